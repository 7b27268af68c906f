package dev.opencode.tuner.blocked;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class BlockedEventJsonTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ID = "0123456789abcdef0123456789abcdef";
    private static final Instant TIME = Instant.parse("2026-11-25T10:15:30.123456Z");

    private static BlockedEvent event(String line) {
        return new BlockedEvent(ID, "vm-1", TIME, Transport.KERNEL, (BlockedLine) new BlockedLineParser().parse(line));
    }

    /** Every field set, IPv4. */
    private static final BlockedEvent FULL_V4 = event(BlockedLineParserTest.RESEARCH_SAMPLE);
    /** IPv6, no ports, no UID/GID, with MAC and ICMP type/code. */
    private static final BlockedEvent SPARSE_V6 = new BlockedEvent("ffffffffffffffffffffffffffffffff", "h",
            Instant.EPOCH, Transport.UNKNOWN, (BlockedLine) new BlockedLineParser().parse(
            "opencode-a-blocked: IN=br0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:86:dd "
                    + "SRC=2001:0db8:0000:0000:0000:0000:0000:0002 DST=fd00:0000:0000:0000:0000:0000:0000:0001 "
                    + "LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=1 SEQ=1 "));
    /** No protocol at all (line cut after the addresses). */
    private static final BlockedEvent NO_PROTOCOL = event(
            "opencode-web-blocked: IN= OUT=eth0 SRC=10.211.0.2 DST=203.0.113.7 LEN=60 TOS=0x");

    private static ObjectNode validNode() {
        return BlockedEventJson.toNode(FULL_V4);
    }

    private static String with(String field, Object value) {
        ObjectNode node = validNode();
        node.set(field, MAPPER.valueToTree(value));
        return node.toString();
    }

    private static String without(String field) {
        ObjectNode node = validNode();
        node.remove(field);
        return node.toString();
    }

    private static BlockedEventJson.InvalidEventException rejection(String json) {
        BlockedEventJson.InvalidEventException e =
                catchThrowableOfType(BlockedEventJson.InvalidEventException.class, () -> BlockedEventJson.read(json));
        assertThat(e).as("read(%s) must be rejected", json).isNotNull();
        return e;
    }

    @Test
    void fixturesAreParsedLines() {
        assertThat(FULL_V4.line()).isNotNull();
        assertThat(SPARSE_V6.line().family()).isEqualTo(6);
        assertThat(NO_PROTOCOL.line().protocol()).isNull();
    }

    @Test
    void writeThenReadGivesAnEqualEvent() throws Exception {
        for (BlockedEvent event : new BlockedEvent[] {FULL_V4, SPARSE_V6, NO_PROTOCOL}) {
            assertThat(BlockedEventJson.read(BlockedEventJson.write(event))).isEqualTo(event);
        }
    }

    @Test
    void writtenEventsValidateAgainstThePublishedSchema() {
        for (BlockedEvent event : new BlockedEvent[] {FULL_V4, SPARSE_V6, NO_PROTOCOL}) {
            assertThat(BlockedEventSchema.violations(BlockedEventJson.write(event))).isEmpty();
        }
    }

    @Test
    void writesTheDocumentedFieldNamesAndValues() throws Exception {
        JsonNode node = MAPPER.readTree(BlockedEventJson.write(FULL_V4));

        assertThat(node.get("schemaVersion").intValue()).isEqualTo(1);
        assertThat(node.get("id").textValue()).isEqualTo(ID);
        assertThat(node.get("host").textValue()).isEqualTo("vm-1");
        assertThat(node.get("instance").textValue()).isEqualTo("web-3");
        assertThat(node.get("time").textValue()).isEqualTo("2026-11-25T10:15:30.123456Z");
        assertThat(node.get("transport").textValue()).isEqualTo("kernel");
        assertThat(node.get("family").intValue()).isEqualTo(4);
        assertThat(node.get("protocol").textValue()).isEqualTo("tcp");
        assertThat(node.get("destination").textValue()).isEqualTo("10.211.0.2");
        assertThat(node.get("destinationPort").intValue()).isEqualTo(8080);
        assertThat(node.get("uid").longValue()).isEqualTo(984L);
        assertThat(node.get("mac").isNull()).isTrue();
    }

    @Test
    void readerAcceptsUnknownFieldsForForwardCompatibility() throws Exception {
        assertThat(BlockedEventJson.read(with("addedInV1dot1", "x"))).isEqualTo(FULL_V4);
    }

    @Test
    void readerAcceptsAbsentOptionalFields() throws Exception {
        ObjectNode node = validNode();
        for (String optional : new String[] {"protocol", "sourcePort", "destinationPort", "uid", "gid", "mac",
                "icmpType", "icmpCode"}) {
            node.remove(optional);
        }

        BlockedLine line = BlockedEventJson.read(node.toString()).line();

        assertThat(line.protocol()).isNull();
        assertThat(line.destinationPort()).isNull();
        assertThat(line.uid()).isNull();
        assertThat(BlockedEventSchema.violations(node.toString())).isEmpty();
    }

    @Test
    void uidAtTheTopOfItsRangeRoundTrips() throws Exception {
        assertThat(BlockedEventJson.read(with("uid", 4294967295L)).line().uid()).isEqualTo(4294967295L);
    }

    static Stream<Arguments> invalidFields() {
        return Stream.of(
                // field, value; both the reader and the schema must refuse each.
                Arguments.of("schemaVersion", 2),
                Arguments.of("schemaVersion", "1"),
                Arguments.of("id", "0123456789ABCDEF0123456789ABCDEF"),
                Arguments.of("id", "0123456789abcdef0123456789abcde"),
                Arguments.of("id", "0123456789abcdef0123456789abcdef0"),
                Arguments.of("id", "0123456789abcdef0123456789abcdeg"),
                Arguments.of("id", 12345),
                Arguments.of("host", ""),
                Arguments.of("host", "h".repeat(256)),
                Arguments.of("instance", "Web"),
                Arguments.of("instance", "web-"),
                Arguments.of("instance", "a".repeat(23)),
                Arguments.of("instance", ""),
                Arguments.of("time", "yesterday"),
                Arguments.of("time", "2026-11-25 10:15:30Z"),
                Arguments.of("time", "2026-11-25T10:15:30"),
                Arguments.of("time", "+10000-01-01T00:00:00Z"),
                Arguments.of("time", "-0001-12-31T23:59:59Z"),
                Arguments.of("time", 1795364534),
                Arguments.of("transport", "journal"),
                Arguments.of("family", 5),
                Arguments.of("family", "4"),
                Arguments.of("source", "not-an-address"),
                Arguments.of("destination", "10.0.0.256"),
                Arguments.of("sourcePort", 65536),
                Arguments.of("destinationPort", -1),
                Arguments.of("destinationPort", "443"),
                Arguments.of("destinationPort", 44.5),
                Arguments.of("uid", 4294967296L),
                Arguments.of("gid", -1),
                Arguments.of("icmpType", 256),
                Arguments.of("icmpCode", -1),
                Arguments.of("protocol", 6),
                Arguments.of("outInterface", 0),
                Arguments.of("inInterface", true),
                Arguments.of("mac", 1));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("invalidFields")
    void readRejectsAnInvalidFieldAndNamesIt(String field, Object value) {
        String json = with(field, value);

        BlockedEventJson.InvalidEventException e = rejection(json);

        assertThat(e.field()).isEqualTo(field);
        assertThat(e.getMessage()).startsWith(field + ": ");
        assertThat(BlockedEventSchema.violations(json)).as("the schema agrees").isNotEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"schemaVersion", "id", "host", "instance", "time", "transport", "family", "source",
            "destination", "outInterface", "inInterface"})
    void readRejectsAMissingRequiredFieldAndNamesIt(String field) {
        String json = without(field);

        assertThat(rejection(json).field()).isEqualTo(field);
        assertThat(BlockedEventSchema.violations(json)).as("the schema agrees").isNotEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"id", "host", "instance", "time", "transport", "source", "destination", "outInterface",
            "inInterface"})
    void readRejectsNullForARequiredFieldAndNamesIt(String field) {
        String json = with(field, null);

        assertThat(rejection(json).field()).isEqualTo(field);
        assertThat(BlockedEventSchema.violations(json)).as("the schema agrees").isNotEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"2001:0db8::1", "2001:DB8::1", "2001:db8:0:0:0:0:0:1", "010.211.0.2", "10.211.0.2/32"})
    void readRejectsANonCanonicalOrPrefixedAddressAndSaysWhichField(String address) {
        ObjectNode node = BlockedEventJson.toNode(SPARSE_V6);
        if (address.indexOf(':') < 0) {
            node = validNode();
        }
        node.put("destination", address);

        BlockedEventJson.InvalidEventException e = rejection(node.toString());

        assertThat(e.field()).isEqualTo("destination");
        assertThat(e.getMessage()).contains(address);
    }

    @Test
    void nonCanonicalAddressMessageGivesTheCanonicalForm() {
        ObjectNode node = BlockedEventJson.toNode(SPARSE_V6);
        node.put("source", "2001:0db8:0000:0000:0000:0000:0000:0002");

        assertThat(rejection(node.toString()).getMessage()).contains("expected 2001:db8::2");
    }

    @Test
    void readRejectsAnAddressOfTheOtherFamily() {
        String json = with("family", 6);

        BlockedEventJson.InvalidEventException e = rejection(json);

        assertThat(e.field()).isEqualTo("source");
        assertThat(e.getMessage()).contains("not an IPv6 address");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "not json", "[]", "null", "42", "\"event\"", "{\"schemaVersion\":1,}"})
    void readRejectsTextThatIsNotAJsonObjectAtTheRoot(String json) {
        assertThat(rejection(json).field()).isEqualTo("$");
    }

    @Test
    void readRejectsTrailingTextAfterTheObject() {
        String json = BlockedEventJson.write(FULL_V4) + " trailing";

        assertThat(rejection(json).field()).isEqualTo("$");
    }

    @Test
    void hostileValuesAreQuotedInMessagesAsPrintableAscii() {
        BlockedEventJson.InvalidEventException e = rejection(with("instance", "x\u001b[2J\n"));

        assertThat(e.getMessage()).contains("'x\\x1b[2J\\x0a'").doesNotContain("\u001b").doesNotContain("\n");
    }

    @Test
    void constructorRefusesNullParts() {
        assertThatThrownBy(() -> new BlockedEvent(null, "h", TIME, Transport.KERNEL, FULL_V4.line()))
                .isInstanceOf(NullPointerException.class).hasMessage("id");
    }
}
