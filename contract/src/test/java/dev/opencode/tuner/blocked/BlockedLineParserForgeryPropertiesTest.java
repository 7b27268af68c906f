package dev.opencode.tuner.blocked;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Whatever text a log rule's author puts after {@code opencode-<name>-blocked: } (127 bytes of prefix in all), the
 * line either is malformed or carries exactly the kernel's fields: only the input device name can differ.
 */
class BlockedLineParserForgeryPropertiesTest {
    private static final String PREFIX = "opencode-web-blocked: ";
    private static final int MAX_PREFIX = 127;

    /** What the kernel prints after the prefix, for packets of each shape (the fuzz seeds' shapes). */
    private static final List<String> KERNEL_PARTS = List.of(
            "IN= OUT=eth0 SRC=10.211.0.2 DST=8.8.8.8 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=3001 DF PROTO=ICMP TYPE=8 "
                    + "CODE=0 ID=12 SEQ=1 UID=984 GID=984 ",
            "IN= OUT=eth0 SRC=10.211.0.1 DST=192.0.2.50 LEN=88 TOS=0x00 PREC=0xC0 TTL=64 ID=5151 PROTO=ICMP TYPE=11 "
                    + "CODE=0 [SRC=192.0.2.50 DST=198.51.100.7 LEN=60 TOS=0x00 PREC=0x00 TTL=1 ID=777 PROTO=UDP "
                    + "SPT=33434 DPT=53 LEN=40 ] ",
            "IN= OUT=eth0 SRC=10.211.0.2 DST=1.1.1.1 LEN=59 TOS=0x00 PREC=0x00 TTL=64 ID=4242 DF PROTO=UDP SPT=51515 "
                    + "DPT=53 LEN=39 ",
            "IN=br0 OUT=eth0 MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=10.211.0.5 DST=93.184.215.14 LEN=60 "
                    + "TOS=0x00 PREC=0x00 TTL=63 ID=100 DF PROTO=TCP SPT=40000 DPT=80 WINDOW=64240 RES=0x00 SYN "
                    + "URGP=0 ",
            "IN= OUT=eth0 SRC=10.211.0.2 DST=203.0.113.7 LEN=24 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=TCP "
                    + "INCOMPLETE [4 bytes] UID=984 GID=984 ",
            "IN= OUT=eth0 SRC=2001:0db8:0000:0000:0000:0000:0000:0001 DST=2606:4700:0000:0000:0000:0000:6810:0a0b "
                    + "LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=791231 PROTO=TCP SPT=41000 DPT=443 WINDOW=64800 RES=0x00 SYN "
                    + "URGP=0 OPT (020405B4) ");

    private final BlockedLineParser parser = new BlockedLineParser();

    @Property(tries = 3000)
    void forgedPrefixNeverChangesAFieldOtherThanTheInputDevice(@ForAll("injections") String injection,
            @ForAll("kernelParts") String kernel) {
        BlockedLine genuine = (BlockedLine) parser.parse(PREFIX + kernel);

        ParseResult result = parser.parse(PREFIX + injection + kernel);

        if (result instanceof BlockedLine forged) {
            assertThat(new BlockedLine(forged.instance(), forged.family(), forged.protocol(), forged.source(),
                    forged.destination(), forged.sourcePort(), forged.destinationPort(), forged.uid(), forged.gid(),
                    forged.outInterface(), genuine.inInterface(), forged.mac(), forged.icmpType(), forged.icmpCode()))
                    .as("%s", injection)
                    .isEqualTo(genuine);
        } else {
            assertThat(result).isInstanceOf(ParseResult.Malformed.class);
        }
    }

    @Provide
    Arbitrary<String> kernelParts() {
        return Arbitraries.of(KERNEL_PARTS);
    }

    /** Prefix text built from the kernel's own vocabulary, brackets and glue, within the prefix's 127 bytes. */
    @Provide
    Arbitrary<String> injections() {
        Arbitrary<String> token = Arbitraries.oneOf(
                Arbitraries.of("IN=", "IN=x", "OUT=", "OUT=eth0", "SRC=10.0.0.2", "DST=6.6.6.6",
                        "DST=2001:0db8:0000:0000:0000:0000:0000:0666", "PROTO=TCP", "PROTO=UDP", "SPT=1", "DPT=443",
                        "UID=984", "GID=984", "MAC=00:11", "TYPE=8", "CODE=0", "LEN=1", "[", "]", "(", ")", "OPT (",
                        "X", "", " "),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(6));
        return token.list().ofMaxSize(14)
                .map(tokens -> String.join(" ", tokens))
                .map(text -> text.length() > MAX_PREFIX - PREFIX.length()
                        ? text.substring(0, MAX_PREFIX - PREFIX.length()) : text)
                .edgeCases(edges -> edges.add("IN="));
    }
}
