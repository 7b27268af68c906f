package dev.opencode.tuner.blocked;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * The versioned JSON form of a {@link BlockedEvent} ({@code schema/blocked-event-v1.schema.json}): written by the
 * collector, read (and validated field by field) by the policy service.
 */
public final class BlockedEventJson {
    public static final int SCHEMA_VERSION = 1;
    public static final String SCHEMA_RESOURCE = "/schema/blocked-event-v1.schema.json";

    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** The instants an RFC 3339 date-time (the schema's format) can express: years 0000 to 9999. */
    private static final Instant FIRST_TIME = Instant.parse("0000-01-01T00:00:00Z");
    private static final Instant LAST_TIME = Instant.parse("9999-12-31T23:59:59.999999999Z");
    private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");

    private BlockedEventJson() {
    }

    /** Thrown by {@link #read} for a record that is not a valid blocked event; the message names the field. */
    public static final class InvalidEventException extends Exception {
        private final String field;

        public InvalidEventException(String field, String message) {
            super(field + ": " + message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    public static ObjectNode toNode(BlockedEvent event) {
        if (event.time() == null) {
            throw new IllegalArgumentException("event " + event.id() + " has no time: only journal events are written");
        }
        BlockedLine l = event.line();
        ObjectNode node = MAPPER.createObjectNode();
        node.put("schemaVersion", SCHEMA_VERSION);
        node.put("id", event.id());
        node.put("host", event.host());
        node.put("instance", l.instance());
        node.put("time", event.time().toString());
        node.put("transport", event.transport().json());
        node.put("family", l.family());
        node.put("protocol", l.protocol());
        node.put("source", l.source());
        node.put("destination", l.destination());
        node.put("sourcePort", l.sourcePort());
        node.put("destinationPort", l.destinationPort());
        node.put("uid", l.uid());
        node.put("gid", l.gid());
        node.put("outInterface", l.outInterface());
        node.put("inInterface", l.inInterface());
        node.put("mac", l.mac());
        node.put("icmpType", l.icmpType());
        node.put("icmpCode", l.icmpCode());
        return node;
    }

    public static String write(BlockedEvent event) {
        return toNode(event).toString();
    }

    /** Parses and validates one event; never returns an event that could not have been written by {@link #write}. */
    public static BlockedEvent read(String json) throws InvalidEventException {
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("$", "not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new InvalidEventException("$", "expected a JSON object");
        }
        JsonNode version = node.get("schemaVersion");
        if (version == null || !version.isInt() || version.intValue() != SCHEMA_VERSION) {
            throw new InvalidEventException("schemaVersion", "expected " + SCHEMA_VERSION + ", got " + version);
        }
        String id = text(node, "id", true);
        if (!ID.matcher(id).matches()) {
            throw new InvalidEventException("id", "expected 32 lowercase hex digits, got " + Untrusted.quote(id));
        }
        String host = text(node, "host", true);
        if (host.isEmpty() || host.length() > 255) {
            throw new InvalidEventException("host", "expected 1..255 characters");
        }
        String instance = text(node, "instance", true);
        if (!InstanceName.isValid(instance)) {
            throw new InvalidEventException("instance", Untrusted.quote(instance) + " is not " + InstanceName.RULE);
        }
        Instant time;
        try {
            time = Instant.parse(text(node, "time", true));
        } catch (DateTimeParseException e) {
            throw new InvalidEventException("time", "expected an ISO-8601 instant such as 2026-11-25T10:15:30Z");
        }
        if (time.isBefore(FIRST_TIME) || time.isAfter(LAST_TIME)) {
            throw new InvalidEventException("time", "expected a year in 0000..9999, got " + time);
        }
        Transport transport;
        try {
            transport = Transport.fromJson(text(node, "transport", true));
        } catch (IllegalArgumentException e) {
            throw new InvalidEventException("transport", e.getMessage());
        }
        int family = (int) integer(node, "family", true, 4, 6);
        if (family != 4 && family != 6) {
            throw new InvalidEventException("family", "expected 4 or 6, got " + family);
        }
        String protocol = text(node, "protocol", false);
        String source = address(node, "source", family);
        String destination = address(node, "destination", family);
        Integer sourcePort = toInt(integer(node, "sourcePort", false, 0, 65535));
        Integer destinationPort = toInt(integer(node, "destinationPort", false, 0, 65535));
        Long uid = toLong(integer(node, "uid", false, 0, 0xffff_ffffL));
        Long gid = toLong(integer(node, "gid", false, 0, 0xffff_ffffL));
        String out = text(node, "outInterface", true);
        String in = text(node, "inInterface", true);
        String mac = text(node, "mac", false);
        Integer icmpType = toInt(integer(node, "icmpType", false, 0, 255));
        Integer icmpCode = toInt(integer(node, "icmpCode", false, 0, 255));
        BlockedLine line = new BlockedLine(instance, family, protocol, source, destination, sourcePort,
                destinationPort, uid, gid, out, in, mac, icmpType, icmpCode);
        return new BlockedEvent(id, host, time, transport, line);
    }

    private static final long ABSENT = Long.MIN_VALUE;

    private static Integer toInt(long value) {
        return value == ABSENT ? null : (int) value;
    }

    private static Long toLong(long value) {
        return value == ABSENT ? null : value;
    }

    private static String text(JsonNode node, String field, boolean required) throws InvalidEventException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw new InvalidEventException(field, "is required");
            }
            return null;
        }
        if (!value.isTextual()) {
            throw new InvalidEventException(field, "expected a string, got " + value.getNodeType());
        }
        return value.textValue();
    }

    private static long integer(JsonNode node, String field, boolean required, long min, long max)
            throws InvalidEventException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw new InvalidEventException(field, "is required");
            }
            return ABSENT;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new InvalidEventException(field, "expected an integer, got " + value.getNodeType());
        }
        long v = value.longValue();
        if (v < min || v > max) {
            throw new InvalidEventException(field, "expected " + min + ".." + max + ", got " + v);
        }
        return v;
    }

    private static String address(JsonNode node, String field, int family) throws InvalidEventException {
        String text = text(node, field, true);
        IPAddress address = new IPAddressString(text).getAddress();
        if (address == null || address.getNetworkPrefixLength() != null
                || (family == 4 ? !address.isIPv4() : !address.isIPv6())) {
            throw new InvalidEventException(field, Untrusted.quote(text) + " is not an IPv" + family + " address");
        }
        if (!address.toCanonicalString().equals(text)) {
            throw new InvalidEventException(field, Untrusted.quote(text) + " is not canonical; expected "
                    + address.toCanonicalString());
        }
        return text;
    }
}
