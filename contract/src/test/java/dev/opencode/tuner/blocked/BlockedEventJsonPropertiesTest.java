package dev.opencode.tuner.blocked;

import static org.assertj.core.api.Assertions.assertThat;

import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;
import java.time.Instant;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class BlockedEventJsonPropertiesTest {
    @Property(tries = 300)
    void anyEventSurvivesWriteThenRead(@ForAll("events") BlockedEvent event) throws Exception {
        assertThat(BlockedEventJson.read(BlockedEventJson.write(event))).isEqualTo(event);
    }

    @Property(tries = 300)
    void anyWrittenEventValidatesAgainstThePublishedSchema(@ForAll("events") BlockedEvent event) {
        assertThat(BlockedEventSchema.violations(BlockedEventJson.write(event))).isEmpty();
    }

    @Provide
    Arbitrary<BlockedEvent> events() {
        Arbitrary<BlockedLine> lines = Arbitraries.of(4, 6).flatMap(family -> Builders.withBuilder(LineBuilder::new)
                .use(instances()).in(LineBuilder::instance)
                .use(address(family)).in(LineBuilder::source)
                .use(address(family)).in(LineBuilder::destination)
                .use(Arbitraries.of("tcp", "udp", "udplite", "icmp", "icmpv6", "ah", "esp", "sctp", "47")
                        .injectNull(0.2)).in(LineBuilder::protocol)
                .use(ports()).in(LineBuilder::sourcePort)
                .use(ports()).in(LineBuilder::destinationPort)
                .use(ids32()).in(LineBuilder::uid)
                .use(ids32()).in(LineBuilder::gid)
                .use(text(0, 15)).in(LineBuilder::out)
                .use(text(0, 15)).in(LineBuilder::in)
                .use(text(0, 60).injectNull(0.7)).in(LineBuilder::mac)
                .use(bytes()).in(LineBuilder::icmpType)
                .use(bytes()).in(LineBuilder::icmpCode)
                .build(b -> b.build(family)));
        Arbitrary<String> ids = Arbitraries.strings().withChars("0123456789abcdef").ofLength(32);
        // Years 0000..9999: the range RFC 3339 date-time (the schema's 'format') can express.
        Arbitrary<Instant> times = Arbitraries.longs()
                .between(Instant.parse("0000-01-01T00:00:00Z").getEpochSecond(),
                        Instant.parse("9999-12-31T23:59:59Z").getEpochSecond())
                .flatMap(s -> Arbitraries.integers().between(0, 999_999_999)
                        .map(n -> Instant.ofEpochSecond(s, n)));
        return Combinators.combine(ids, text(1, 255), times, Arbitraries.of(Transport.class), lines)
                .as(BlockedEvent::new);
    }

    private static Arbitrary<String> instances() {
        Arbitrary<String> first = Arbitraries.strings().withCharRange('a', 'z').ofLength(1);
        Arbitrary<String> middle = Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9')
                .withChars('-').ofMaxLength(InstanceName.MAX_LENGTH - 2);
        Arbitrary<String> last = Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').ofLength(1);
        Arbitrary<String> longer = Combinators.combine(first, middle, last).as((f, m, l) -> f + m + l);
        return Arbitraries.oneOf(first, longer);
    }

    /** Canonical addresses of one family, from raw bytes, as the parser produces them. */
    private static Arbitrary<String> address(int family) {
        if (family == 4) {
            return Arbitraries.integers().map(v -> new IPv4Address(v).toCanonicalString());
        }
        Arbitrary<byte[]> raw = Arbitraries.bytes().array(byte[].class).ofSize(16);
        // Mostly-zero addresses exercise '::' compression.
        Arbitrary<byte[]> sparse = raw.map(b -> {
            for (int i = 2; i < 14; i++) {
                b[i] = (i % 5 == 0) ? b[i] : 0;
            }
            return b;
        });
        return Arbitraries.oneOf(raw, sparse).map(b -> new IPv6Address(b).toCanonicalString());
    }

    private static Arbitrary<Integer> ports() {
        return Arbitraries.integers().between(0, 65535).injectNull(0.3);
    }

    private static Arbitrary<Integer> bytes() {
        return Arbitraries.integers().between(0, 255).injectNull(0.5);
    }

    private static Arbitrary<Long> ids32() {
        return Arbitraries.longs().between(0, 0xffff_ffffL).injectNull(0.3);
    }

    /** Text from printable ASCII, Latin-1, CJK and control characters (no lone surrogates: not valid JSON text). */
    private static Arbitrary<String> text(int min, int max) {
        return Arbitraries.strings().withCharRange(' ', '~').withCharRange('\u00a0', '\u00ff')
                .withCharRange('\u4e00', '\u4e20').withChars('\u0000', '\n', '\t', '"', '\\', '\u2028')
                .ofMinLength(min).ofMaxLength(max);
    }

    /** Collects the generated parts of a line (jqwik's builder needs a mutable target). */
    static final class LineBuilder {
        private String instance;
        private String source;
        private String destination;
        private String protocol;
        private Integer sourcePort;
        private Integer destinationPort;
        private Long uid;
        private Long gid;
        private String out;
        private String in;
        private String mac;
        private Integer icmpType;
        private Integer icmpCode;

        LineBuilder instance(String v) {
            instance = v;
            return this;
        }

        LineBuilder source(String v) {
            source = v;
            return this;
        }

        LineBuilder destination(String v) {
            destination = v;
            return this;
        }

        LineBuilder protocol(String v) {
            protocol = v;
            return this;
        }

        LineBuilder sourcePort(Integer v) {
            sourcePort = v;
            return this;
        }

        LineBuilder destinationPort(Integer v) {
            destinationPort = v;
            return this;
        }

        LineBuilder uid(Long v) {
            uid = v;
            return this;
        }

        LineBuilder gid(Long v) {
            gid = v;
            return this;
        }

        LineBuilder out(String v) {
            out = v;
            return this;
        }

        LineBuilder in(String v) {
            in = v;
            return this;
        }

        LineBuilder mac(String v) {
            mac = v;
            return this;
        }

        LineBuilder icmpType(Integer v) {
            icmpType = v;
            return this;
        }

        LineBuilder icmpCode(Integer v) {
            icmpCode = v;
            return this;
        }

        BlockedLine build(int family) {
            return new BlockedLine(instance, family, protocol, source, destination, sourcePort, destinationPort, uid,
                    gid, out, in, mac, icmpType, icmpCode);
        }
    }
}
