package dev.opencode.tuner.hoststate;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.blocked.Untrusted;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The versioned JSON form of a {@link HostState} on the topic {@code opencode.egress.host-state} (key: the host):
 * written by the collector, read by the policy service, which validates it field by field like a blocked event.
 */
public final class HostStateJson {
    public static final int SCHEMA_VERSION = 1;
    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private HostStateJson() {
    }

    /** A record that is not a valid host state; the message names the field. */
    public static final class InvalidHostStateException extends Exception {
        public InvalidHostStateException(String field, String message) {
            super(field + ": " + message);
        }
    }

    public static String write(HostState state) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("schemaVersion", SCHEMA_VERSION);
        root.put("host", state.host());
        root.put("time", state.time().toString());
        ArrayNode problems = root.putArray("problems");
        state.problems().forEach(problems::add);
        ArrayNode instances = root.putArray("instances");
        for (HostState.InstanceState instance : state.instances()) {
            ObjectNode i = instances.addObject();
            i.put("instance", instance.instance());
            ArrayNode allow = i.putArray("allow");
            for (HostState.AllowCounter e : instance.allow()) {
                allow.addObject().put("cidr", e.cidr()).put("packets", e.packets()).put("bytes", e.bytes());
            }
            ArrayNode blocked = i.putArray("blocked");
            for (HostState.BlockedDestination d : instance.blocked()) {
                blocked.addObject().put("address", d.address()).put("packets", d.packets()).put("bytes", d.bytes())
                        .put("expiresSeconds", d.expiresSeconds());
            }
        }
        return root.toString();
    }

    public static HostState read(String json) throws InvalidHostStateException {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new InvalidHostStateException("$", "not JSON: " + Untrusted.quote(String.valueOf(e.getMessage()), 200));
        }
        if (root == null || !root.isObject()) {
            throw new InvalidHostStateException("$", "expected an object");
        }
        if (root.path("schemaVersion").asInt(-1) != SCHEMA_VERSION) {
            throw new InvalidHostStateException("schemaVersion", "expected " + SCHEMA_VERSION + ", got "
                    + Untrusted.quote(root.path("schemaVersion").toString(), 20));
        }
        String host = text(root, "host");
        if (host.isEmpty() || host.length() > 255 || !host.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new InvalidHostStateException("host", Untrusted.quote(host) + " is not a host name");
        }
        Instant time;
        try {
            time = Instant.parse(text(root, "time"));
        } catch (DateTimeParseException e) {
            throw new InvalidHostStateException("time", "not an RFC 3339 instant");
        }
        List<String> problems = new ArrayList<>();
        for (JsonNode p : array(root, "problems")) {
            problems.add(p.asText());
        }
        List<HostState.InstanceState> instances = new ArrayList<>();
        int n = 0;
        for (JsonNode i : array(root, "instances")) {
            String where = "instances[" + n++ + "]";
            String name = text(i, "instance");
            if (!InstanceName.isValid(name)) {
                throw new InvalidHostStateException(where + ".instance", Untrusted.quote(name) + " is not "
                        + InstanceName.RULE);
            }
            List<HostState.AllowCounter> allow = new ArrayList<>();
            for (JsonNode e : array(i, "allow")) {
                allow.add(new HostState.AllowCounter(text(e, "cidr"), e.path("packets").asLong(),
                        e.path("bytes").asLong()));
            }
            List<HostState.BlockedDestination> blocked = new ArrayList<>();
            for (JsonNode d : array(i, "blocked")) {
                blocked.add(new HostState.BlockedDestination(text(d, "address"), d.path("packets").asLong(),
                        d.path("bytes").asLong(), d.path("expiresSeconds").asLong()));
            }
            instances.add(new HostState.InstanceState(name, allow, blocked));
        }
        return new HostState(host, time, problems, instances);
    }

    private static String text(JsonNode node, String field) throws InvalidHostStateException {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new InvalidHostStateException(field, "expected a string");
        }
        return value.asText();
    }

    private static JsonNode array(JsonNode node, String field) throws InvalidHostStateException {
        JsonNode value = node.get(field);
        if (value == null || !value.isArray()) {
            throw new InvalidHostStateException(field, "expected an array");
        }
        return value;
    }
}
