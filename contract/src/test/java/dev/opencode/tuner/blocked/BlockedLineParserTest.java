package dev.opencode.tuner.blocked;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Lines below follow the kernel's {@code nf_log_syslog.c} format as written up in
 * {@code shared/research/journald-collectors-and-nflog-format.md} section 4: the prefix glued to {@code IN=}, IPv6
 * printed with {@code %pI6} (8 groups of 4 digits, uncompressed), a trailing space after the last field.
 */
class BlockedLineParserTest {
    /** Verbatim MESSAGE of a real journal entry (research doc section 2.7), trailing space included. */
    static final String RESEARCH_SAMPLE = "opencode-web-3-blocked: IN= OUT=va9978 SRC=10.211.0.1 DST=10.211.0.2 LEN=60 "
            + "TOS=0x00 PREC=0x00 TTL=64 ID=22550 DF PROTO=TCP SPT=56680 DPT=8080 WINDOW=64240 RES=0x00 SYN URGP=0 "
            + "UID=984 GID=984 ";

    private final BlockedLineParser parser = new BlockedLineParser();

    private BlockedLine blocked(String line) {
        ParseResult result = parser.parse(line);
        assertThat(result).as("parse of %s", line).isInstanceOf(BlockedLine.class);
        return (BlockedLine) result;
    }

    private ParseResult.Malformed malformed(String line) {
        ParseResult result = parser.parse(line);
        assertThat(result).as("parse of %s", line).isInstanceOf(ParseResult.Malformed.class);
        return (ParseResult.Malformed) result;
    }

    @Nested
    class ParsesKernelLines {
        @Test
        void researchDocSampleGivesEveryField() {
            BlockedLine l = blocked(RESEARCH_SAMPLE);

            assertThat(l).isEqualTo(new BlockedLine("web-3", 4, "tcp", "10.211.0.1", "10.211.0.2", 56680, 8080,
                    984L, 984L, "va9978", "", null, null, null));
        }

        @Test
        void lineWithoutTrailingSpaceParsesTheSame() {
            assertThat(blocked(RESEARCH_SAMPLE.stripTrailing())).isEqualTo(blocked(RESEARCH_SAMPLE));
        }

        @Test
        void ipv6TcpAddressesAreCanonicalisedToRfc5952() {
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 "
                    + "SRC=2001:0db8:0000:0000:0000:0000:0000:0001 DST=2606:4700:0000:0000:0000:0000:6810:0a0b "
                    + "LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=791231 PROTO=TCP SPT=41000 DPT=443 WINDOW=64800 RES=0x00 "
                    + "SYN URGP=0 UID=1000 GID=100 ");

            assertThat(l.family()).isEqualTo(6);
            assertThat(l.source()).isEqualTo("2001:db8::1");
            assertThat(l.destination()).isEqualTo("2606:4700::6810:a0b");
            assertThat(l.protocol()).isEqualTo("tcp");
            assertThat(l.sourcePort()).isEqualTo(41000);
            assertThat(l.destinationPort()).isEqualTo(443);
            assertThat(l.uid()).isEqualTo(1000L);
            assertThat(l.gid()).isEqualTo(100L);
        }

        @Test
        void ipv6ZeroRunsCompressOnlyTheLongestRunAndKeepSingleZeroGroups() {
            // RFC 5952 4.2: '::' replaces the longest run of zero groups (the first one on a tie), never a single one.
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 "
                    + "SRC=2001:0db8:0000:0001:0000:0000:0000:0001 DST=2001:0db8:0000:0000:0001:0000:0000:0001 "
                    + "LEN=60 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=TCP SPT=1 DPT=2 WINDOW=1 RES=0x00 SYN URGP=0 ");

            assertThat(l.source()).isEqualTo("2001:db8:0:1::1");
            assertThat(l.destination()).isEqualTo("2001:db8::1:0:0:1");
        }

        @Test
        void udpLineWithLenTwiceTakesPortsFromTheUdpHeader() {
            BlockedLine l = blocked("opencode-api-blocked: IN= OUT=eth0 SRC=10.211.0.2 DST=1.1.1.1 LEN=59 TOS=0x00 "
                    + "PREC=0x00 TTL=64 ID=4242 DF PROTO=UDP SPT=51515 DPT=53 LEN=39 UID=984 GID=984 ");

            assertThat(l).isEqualTo(new BlockedLine("api", 4, "udp", "10.211.0.2", "1.1.1.1", 51515, 53, 984L, 984L,
                    "eth0", "", null, null, null));
        }

        @Test
        void icmpEchoHasTypeAndCodeButNoPorts() {
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.2 DST=8.8.8.8 LEN=84 TOS=0x00 "
                    + "PREC=0x00 TTL=64 ID=3001 DF PROTO=ICMP TYPE=8 CODE=0 ID=12 SEQ=1 UID=984 GID=984 ");

            assertThat(l.protocol()).isEqualTo("icmp");
            assertThat(l.icmpType()).isEqualTo(8);
            assertThat(l.icmpCode()).isEqualTo(0);
            assertThat(l.sourcePort()).isNull();
            assertThat(l.destinationPort()).isNull();
            assertThat(l.destination()).isEqualTo("8.8.8.8");
        }

        @Test
        void icmpErrorKeepsOuterAddressesAndIgnoresTheEmbeddedPacket() {
            // Time exceeded sent by 10.211.0.1 to 192.0.2.50 about a UDP packet 192.0.2.50:33434 -> 198.51.100.7:53.
            // Every inner field differs from the outer one, so a leak of any of them shows.
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.1 DST=192.0.2.50 LEN=88 "
                    + "TOS=0x00 PREC=0xC0 TTL=64 ID=5151 PROTO=ICMP TYPE=11 CODE=0 [SRC=192.0.2.50 DST=198.51.100.7 "
                    + "LEN=60 TOS=0x00 PREC=0x00 TTL=1 ID=777 PROTO=UDP SPT=33434 DPT=53 LEN=40 ] ");

            assertThat(l.source()).isEqualTo("10.211.0.1");
            assertThat(l.destination()).isEqualTo("192.0.2.50");
            assertThat(l.protocol()).isEqualTo("icmp");
            assertThat(l.icmpType()).isEqualTo(11);
            assertThat(l.icmpCode()).isEqualTo(0);
            assertThat(l.sourcePort()).isNull();
            assertThat(l.destinationPort()).isNull();
            assertThat(l.uid()).isNull();
        }

        @Test
        void icmpErrorEmbeddingAnIcmpPacketKeepsOuterTypeAndCode() {
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.1 DST=192.0.2.50 LEN=56 "
                    + "TOS=0x00 PREC=0xC0 TTL=64 ID=1 PROTO=ICMP TYPE=3 CODE=1 [SRC=192.0.2.50 DST=203.0.113.9 "
                    + "LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=2 PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=1 ] UID=0 GID=0 ");

            assertThat(l.icmpType()).isEqualTo(3);
            assertThat(l.icmpCode()).isEqualTo(1);
            assertThat(l.destination()).isEqualTo("192.0.2.50");
            assertThat(l.uid()).as("UID after the embedded packet is the outer one").isEqualTo(0L);
        }

        @Test
        void icmpv6EchoIsParsedWithItsType() {
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=2001:0db8:0000:0000:0000:0000:0000:0002 "
                    + "DST=2001:4860:4860:0000:0000:0000:0000:8888 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=1234 "
                    + "PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=1 UID=1000 GID=1000 ");

            assertThat(l.family()).isEqualTo(6);
            assertThat(l.protocol()).isEqualTo("icmpv6");
            assertThat(l.icmpType()).isEqualTo(128);
            assertThat(l.icmpCode()).isEqualTo(0);
            assertThat(l.destination()).isEqualTo("2001:4860:4860::8888");
        }

        @Test
        void icmpv6ErrorKeepsOuterAddresses() {
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=2001:0db8:0000:0000:0000:0000:0000:0001 "
                    + "DST=2001:0db8:0000:0000:0000:0000:0000:0099 LEN=128 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 "
                    + "TYPE=1 CODE=4 [SRC=2001:0db8:0000:0000:0000:0000:0000:0099 "
                    + "DST=2001:0db8:0000:0000:0000:0000:0000:0abc LEN=80 TC=0 HOPLIMIT=63 FLOWLBL=0 PROTO=UDP "
                    + "SPT=5353 DPT=9999 LEN=40 ] ");

            assertThat(l.source()).isEqualTo("2001:db8::1");
            assertThat(l.destination()).isEqualTo("2001:db8::99");
            assertThat(l.icmpType()).isEqualTo(1);
            assertThat(l.icmpCode()).isEqualTo(4);
            assertThat(l.destinationPort()).isNull();
        }

        @Test
        void otherProtocolsKeepTheirNumber() {
            BlockedLine gre = blocked("opencode-vpn-blocked: IN= OUT=eth0 SRC=10.211.0.2 DST=198.51.100.1 LEN=64 "
                    + "TOS=0x00 PREC=0x00 TTL=64 ID=9 DF PROTO=47 UID=984 GID=984 ");

            assertThat(gre.protocol()).isEqualTo("47");
            assertThat(gre.sourcePort()).isNull();
            assertThat(gre.destinationPort()).isNull();
        }

        @Test
        void espIsNamedAndItsSpiIgnored() {
            BlockedLine esp = blocked("opencode-vpn-blocked: IN= OUT=eth0 SRC=10.211.0.2 DST=198.51.100.1 LEN=120 "
                    + "TOS=0x00 PREC=0x00 TTL=64 ID=9 DF PROTO=ESP SPI=0x1a2b3c4d UID=984 GID=984 ");

            assertThat(esp.protocol()).isEqualTo("esp");
            assertThat(esp.destinationPort()).isNull();
        }

        @Test
        void lineWithoutUidAndGidHasNeither() {
            // nft 'log' without 'flags skuid', or a kernel-generated RST: no UID=/GID= at all.
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.2 DST=203.0.113.7 LEN=40 "
                    + "TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=443 DPT=50000 WINDOW=0 RES=0x00 ACK RST "
                    + "URGP=0 ");

            assertThat(l.uid()).isNull();
            assertThat(l.gid()).isNull();
            assertThat(l.destinationPort()).isEqualTo(50000);
        }

        @Test
        void inputHookLineCarriesInterfaceAndMac() {
            BlockedLine l = blocked("opencode-web-blocked: IN=br0 OUT=eth0 "
                    + "MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 "
                    + "SRC=10.211.0.5 DST=93.184.215.14 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=100 DF PROTO=TCP "
                    + "SPT=40000 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0 ");

            assertThat(l.inInterface()).isEqualTo("br0");
            assertThat(l.outInterface()).isEqualTo("eth0");
            assertThat(l.mac()).isEqualTo("52:54:00:12:34:56:52:54:00:65:43:21:08:00");
        }

        @Test
        void emptyMacOfADeviceWithoutHardwareHeaderIsEmptyNotAbsent() {
            BlockedLine l = blocked("opencode-web-blocked: IN=wg0 OUT= MAC= SRC=10.211.0.5 DST=10.0.0.1 LEN=60 "
                    + "TOS=0x00 PREC=0x00 TTL=63 ID=100 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN "
                    + "URGP=0 ");

            assertThat(l.mac()).isEmpty();
            assertThat(l.inInterface()).isEqualTo("wg0");
            assertThat(l.outInterface()).isEmpty();
        }

        @Test
        void ipAndTcpOptionBlocksAreSkippedAndLaterFieldsStillRead() {
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.2 DST=203.0.113.7 LEN=64 "
                    + "TOS=0x00 PREC=0x00 TTL=64 ID=4711 DF OPT (94040000) PROTO=TCP SPT=40000 DPT=443 "
                    + "SEQ=3735928559 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 "
                    + "OPT (020405B40402080A0A0B0C0D0000000001030307) "
                    + "UID=984 GID=985 ");

            assertThat(l.destinationPort()).isEqualTo(443);
            assertThat(l.uid()).isEqualTo(984L);
            assertThat(l.gid()).isEqualTo(985L);
        }

        @Test
        void ipv6ExtensionHeaderOptionBlockIsSkipped() {
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=2001:0db8:0000:0000:0000:0000:0000:0001 "
                    + "DST=2001:0db8:0000:0000:0000:0000:0000:0002 LEN=88 TC=0 HOPLIMIT=64 FLOWLBL=0 "
                    + "OPT ( AH INCOMPLETE [4 bytes] ) PROTO=TCP SPT=1000 DPT=2000 WINDOW=1 RES=0x00 SYN URGP=0 ");

            assertThat(l.destination()).isEqualTo("2001:db8::2");
            assertThat(l.destinationPort()).isEqualTo(2000);
        }

        @Test
        void ipv4FirstFragmentHasPortsAndLaterFragmentsHaveNone() {
            BlockedLine first = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.2 DST=203.0.113.7 LEN=1500 "
                    + "TOS=0x00 PREC=0x00 TTL=64 ID=54321 MF PROTO=UDP SPT=40000 DPT=4500 LEN=3008 UID=984 GID=984 ");
            BlockedLine later = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.2 DST=203.0.113.7 LEN=1500 "
                    + "TOS=0x00 PREC=0x00 TTL=64 ID=54321 MF FRAG:185 PROTO=UDP UID=984 GID=984 ");

            assertThat(first.destinationPort()).isEqualTo(4500);
            assertThat(later.destinationPort()).isNull();
            assertThat(later.protocol()).isEqualTo("udp");
            assertThat(later.destination()).isEqualTo("203.0.113.7");
        }

        @Test
        void ipv6FragmentHeaderTokensAreIgnored() {
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=2001:0db8:0000:0000:0000:0000:0000:0001 "
                    + "DST=2001:0db8:0000:0000:0000:0000:0000:0002 LEN=1280 TC=0 HOPLIMIT=64 FLOWLBL=0 "
                    + "FRAG:1232 INCOMPLETE ID:0000abcd PROTO=UDP UID=1000 GID=1000 ");

            assertThat(l.protocol()).isEqualTo("udp");
            assertThat(l.destinationPort()).isNull();
            assertThat(l.uid()).isEqualTo(1000L);
        }

        @Test
        void truncatedTransportHeaderGivesNoPorts() {
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.2 DST=203.0.113.7 LEN=24 "
                    + "TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=TCP INCOMPLETE [4 bytes] UID=984 GID=984 ");

            assertThat(l.protocol()).isEqualTo("tcp");
            assertThat(l.destinationPort()).isNull();
            assertThat(l.uid()).isEqualTo(984L);
        }

        @Test
        void bridgePhysicalDevicesAndMarkAreIgnored() {
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=br0 PHYSOUT=veth1 SRC=10.211.0.2 DST=203.0.113.7 "
                    + "LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=1 DPT=443 WINDOW=1 RES=0x00 SYN URGP=0 "
                    + "UID=984 GID=984 MARK=0x2a ");

            assertThat(l.outInterface()).isEqualTo("br0");
            assertThat(l.destinationPort()).isEqualTo(443);
        }

        @Test
        void lineCutAfterTheAddressesStillNamesTheDestinationWithoutProtocol() {
            // nf_log truncates at 1019 bytes; what was printed before the cut is still the packet's.
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.2 DST=203.0.113.7 LEN=60 TOS=0x");

            assertThat(l.destination()).isEqualTo("203.0.113.7");
            assertThat(l.protocol()).isNull();
            assertThat(l.destinationPort()).isNull();
        }

        @Test
        void lineCutInsideTheEmbeddedPacketKeepsTheOuterFields() {
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.1 DST=192.0.2.50 LEN=88 "
                    + "TOS=0x00 PREC=0xC0 TTL=64 ID=5151 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.0.2.50 DST=198.5");

            assertThat(l.destination()).isEqualTo("192.0.2.50");
            assertThat(l.icmpType()).isEqualTo(3);
        }

        @Test
        void prefixWithoutSpaceBeforeInIsAccepted() {
            // 'log prefix "opencode-web-blocked:"' without the trailing space: the kernel glues IN= to it.
            BlockedLine l = blocked("opencode-web-blocked:IN= OUT=eth0 SRC=10.211.0.2 DST=203.0.113.7 LEN=60 "
                    + "TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=1 DPT=443 WINDOW=1 RES=0x00 SYN URGP=0 ");

            assertThat(l.instance()).isEqualTo("web");
        }

        @Test
        void instanceNameMayItselfContainBlocked() {
            BlockedLine l = blocked("opencode-x-blocked-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP ");

            assertThat(l.instance()).isEqualTo("x-blocked");
        }

        @Test
        void uidAtTheTopOfItsRangeIsKept() {
            BlockedLine l = blocked("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 PROTO=47 "
                    + "UID=4294967295 GID=65534 ");

            assertThat(l.uid()).isEqualTo(4294967295L);
            assertThat(l.gid()).isEqualTo(65534L);
        }

        @Test
        void hugeLineWithoutFieldsIsParsedInLinearTime() {
            // Plain-text input (kern.log) has no line cap; a quadratic scan of 2 MB would take tens of seconds.
            String line = "opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 " + "x ".repeat(1_000_000);

            ParseResult result = assertTimeoutPreemptively(Duration.ofSeconds(3), () -> parser.parse(line));

            assertThat(result).isInstanceOf(BlockedLine.class);
        }
    }

    @Nested
    class RejectsMalformedLines {
        @ParameterizedTest
        @ValueSource(strings = {"Web", "web_1", "1web", "web-", "-web", "abcdefghijklmnopqrstuvw", "w\u00e9b", ""})
        void badInstanceNameInThePrefixIsMalformedAndNamesTheInstance(String name) {
            ParseResult.Malformed m = malformed("opencode-" + name + "-blocked: IN= OUT=eth0 SRC=10.0.0.1 "
                    + "DST=10.0.0.2 PROTO=TCP SPT=1 DPT=2 ");

            assertThat(m.instance()).isNull();
            assertThat(m.reason()).contains("instance name");
        }

        @Test
        void overlongInstanceNameIsEchoedCappedAndQuoted() {
            String name = "a".repeat(500);

            ParseResult.Malformed m = malformed("opencode-" + name
                    + "-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 ");

            assertThat(m.reason()).contains("instance name").contains("(500 chars)").hasSizeLessThan(300);
        }

        @Test
        void missingDestinationIsMalformedAndNamesDst() {
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 LEN=60 PROTO=TCP ");

            assertThat(m.instance()).isEqualTo("web");
            assertThat(m.reason()).contains("DST");
        }

        @Test
        void missingSourceIsMalformedAndNamesSrc() {
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN= OUT=eth0 DST=10.0.0.1 LEN=60 PROTO=TCP ");

            assertThat(m.reason()).contains("SRC");
        }

        @ParameterizedTest
        @ValueSource(strings = {"example.com", "10.0.0", "10.0.0.256", "10.0.0.1/24", "1::2::3", "", "fe80::1%eth0",
                "2001:0db8:0000:0000:0000:0000:0000:0000:0001"})
        void destinationThatIsNotAnAddressIsMalformedAndNamesDst(String dst) {
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=" + dst
                    + " LEN=60 PROTO=TCP SPT=1 DPT=2 ");

            assertThat(m.instance()).isEqualTo("web");
            assertThat(m.reason()).contains("DST=").contains("not an IP address");
        }

        @ParameterizedTest
        @ValueSource(strings = {"65536", "-1", "99999999999", "80x", ""})
        void destinationPortOutOfRangeIsMalformedAndNamesDpt(String dpt) {
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 "
                    + "PROTO=TCP SPT=1 DPT=" + dpt + " WINDOW=1 ");

            assertThat(m.reason()).startsWith("DPT=");
        }

        @Test
        void portAtTheTopOfItsRangeIsAccepted() {
            assertThat(blocked("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 PROTO=UDP SPT=65535 "
                    + "DPT=65535 LEN=8 ").destinationPort()).isEqualTo(65535);
        }

        @Test
        void inMissingAfterThePrefixIsMalformedAndNamesIn() {
            ParseResult.Malformed m = malformed("opencode-web-blocked: OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP ");

            assertThat(m.instance()).isEqualTo("web");
            assertThat(m.reason()).contains("'IN='");
        }

        @Test
        void prefixWithNothingAfterItIsMalformed() {
            assertThat(malformed("opencode-web-blocked:").reason()).contains("'IN='");
        }

        @Test
        void sourceAndDestinationOfDifferentFamiliesAreMalformed() {
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 "
                    + "DST=2001:0db8:0000:0000:0000:0000:0000:0001 PROTO=TCP SPT=1 DPT=2 ");

            assertThat(m.reason()).contains("SRC=10.0.0.1").contains("DST=2001:db8::1").contains("famil");
        }

        @Test
        void ipv6SourceWithIpv4DestinationIsMalformed() {
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN= OUT=eth0 "
                    + "SRC=2001:0db8:0000:0000:0000:0000:0000:0001 DST=10.0.0.1 PROTO=TCP ");

            assertThat(m.reason()).contains("famil");
        }

        @ParameterizedTest
        @ValueSource(strings = {"UID=-1", "UID=4294967296", "GID=x", "TYPE=256", "CODE=1000", "SPT=70000"})
        void numericFieldOutOfRangeIsMalformedAndNamesTheField(String field) {
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 "
                    + "PROTO=TCP " + field + " ");

            assertThat(m.reason()).startsWith(field.substring(0, field.indexOf('=') + 1));
        }

        @ParameterizedTest
        @ValueSource(strings = {"PROTO=", "PROTO=256", "PROTO=GRE"})
        void unknownProtocolIsMalformedAndNamesProto(String proto) {
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 "
                    + proto + " ");

            assertThat(m.reason()).contains("PROTO=");
        }

        @Test
        void hostileTextInAReasonIsQuotedAsPrintableAscii() {
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 "
                    + "DST=\u001b[31mevil\u2028 PROTO=TCP ");

            assertThat(m.reason()).contains("\\x1b[31mevil\\u2028").doesNotContain("\u001b").doesNotContain("\u2028");
        }
    }

    /**
     * Whoever may add a log rule chooses up to 127 bytes of prefix, printed verbatim before the kernel's
     * {@code IN=%s OUT=%s}: fields written there must never stand in for the kernel's.
     */
    @Nested
    class RefusesFieldsForgedInTheLogPrefix {
        /** What the kernel prints after the prefix for the attacker's own packet: no UID (no {@code skuid}). */
        static final String KERNEL = "IN= OUT=eth0 SRC=10.99.0.2 DST=192.0.2.9 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 "
                + "DF PROTO=TCP SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0 ";

        @Test
        void forgedFieldsBeforeTheKernelsAreMalformed() {
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.2 DST=6.6.6.6 "
                    + "PROTO=TCP SPT=1 DPT=443 UID=984 GID=984 X" + KERNEL);

            assertThat(m.instance()).isEqualTo("web");
            assertThat(m.reason()).contains("'OUT=' appears twice").contains("log prefix");
        }

        @Test
        void forgedFieldsHidingTheKernelsInAnUnclosedBracketAreMalformed() {
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.2 DST=6.6.6.6 "
                    + "PROTO=TCP SPT=1 DPT=443 UID=984 GID=984 [" + KERNEL);

            assertThat(m.reason()).contains("'OUT=' appears twice");
        }

        @Test
        void forgedUidGluedToTheKernelsInIsMalformed() {
            // Without 'flags skuid' the kernel prints no UID, so a forged one would be the only one.
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN=x UID=984 GID=984 X" + KERNEL);

            assertThat(m.reason()).contains("is not a network device name").contains("log prefix");
        }

        @Test
        void forgedFieldsWithoutOutAreMalformed() {
            ParseResult.Malformed m = malformed("opencode-web-blocked: IN= SRC=10.0.0.2 DST=6.6.6.6 UID=984 X"
                    + KERNEL.replace(" OUT=eth0", ""));

            assertThat(m.reason()).contains("no 'OUT='");
        }

        @Test
        void prefixTextGluedIntoTheInterfaceNameCannotChangeAnyOtherField() {
            BlockedLine l = blocked("opencode-web-blocked: IN=" + KERNEL);

            assertThat(l.inInterface()).isEqualTo("IN=");
            assertThat(l.destination()).isEqualTo("192.0.2.9");
            assertThat(l.destinationPort()).isEqualTo(22);
            assertThat(l.uid()).isNull();
        }

        @ParameterizedTest
        @ValueSource(strings = {"SRC=10.0.0.9", "DST=6.6.6.6", "SPT=1", "DPT=443", "UID=984", "GID=984", "PROTO=UDP",
                "MAC=00:11", "TYPE=8", "CODE=0", "IN=eth1"})
        void aReadTopLevelFieldRepeatedAnywhereIsMalformedAndNamed(String field) {
            ParseResult.Malformed m = malformed("opencode-web-blocked: " + KERNEL + "MAC=00:22 TYPE=3 CODE=1 "
                    + "UID=1000 GID=1000 " + field + " ");

            assertThat(m.reason()).startsWith(field.substring(0, field.indexOf('=') + 1) + " appears twice");
        }

        @ParameterizedTest
        @ValueSource(strings = {
                // UDP: LEN of the IP header, then LEN of the UDP header.
                "opencode-web-blocked: IN= OUT=eth0 SRC=2001:0db8:0000:0000:0000:0000:0000:0001 "
                        + "DST=2001:0db8:0000:0000:0000:0000:0000:0002 LEN=68 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=UDP "
                        + "SPT=5000 DPT=53 LEN=28 UID=1000 GID=1000 ",
                // ICMP echo: ID of the IP header, then the echo identifier.
                "opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.2 DST=8.8.8.8 LEN=84 TOS=0x00 PREC=0x00 TTL=64 "
                        + "ID=3001 DF PROTO=ICMP TYPE=8 CODE=0 ID=12 SEQ=1 UID=984 GID=984 ",
                // ICMP error: the embedded packet has its own SRC, DST, PROTO, ports and LEN.
                "opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.1 DST=192.0.2.50 LEN=88 TOS=0x00 PREC=0xC0 TTL=64 "
                        + "ID=5151 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.0.2.50 DST=198.51.100.7 LEN=60 TOS=0x00 "
                        + "PREC=0x00 TTL=1 ID=777 PROTO=UDP SPT=33434 DPT=53 LEN=40 ] UID=984 GID=984 ",
        })
        void keysTheKernelItselfPrintsTwiceAreAccepted(String line) {
            blocked(line);
        }
    }

    @Nested
    class IgnoresUnrelatedLines {
        @ParameterizedTest
        @ValueSource(strings = {
                "",
                "audit: type=1400 audit(1732550000.123:42): apparmor=\"DENIED\" operation=\"open\"",
                "e1000e 0000:00:1f.6 eth0: NIC Link is Up 1000 Mbps Full Duplex",
                "nft-drop: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP ",
                "opencode-foo",
                "opencode-foo: started",
                "opencode-web-allowed: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP ",
                "opencode-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP ",
                " opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP ",
                "[12345.678901] opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP ",
                "OPENCODE-web-blocked: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP ",
        })
        void lineWithoutTheBlockedPrefixAtTheStartIsUnrelated(String line) {
            assertThat(parser.parse(line)).isSameAs(ParseResult.Unrelated.INSTANCE);
        }

        @Test
        void nullIsUnrelated() {
            assertThat(parser.parse(null)).isSameAs(ParseResult.Unrelated.INSTANCE);
        }
    }
}
