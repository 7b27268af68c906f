package dev.opencode.tuner.hoststate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.blocked.Untrusted;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the JSON that {@code nft -j list table inet opencode-egress} prints (libnftables' JSON schema, version 1) into a
 * {@link HostState}. The table is the one {@code nix/lib} renders: per instance {@code allow4_<name>} /
 * {@code allow6_<name>} interval sets with a counter per element, and {@code blocked4_<name>} /
 * {@code blocked6_<name>} dynamic sets. Defensive: anything of another shape becomes a problem naming the object,
 * and everything else is still read.
 */
public final class NftTableReader {
    public static final String FAMILY = "inet";
    public static final String TABLE = "opencode-egress";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern SET = Pattern.compile("(allow|blocked)([46])_(.+)");

    private NftTableReader() {
    }

    /** The host state from nft's JSON output; {@code json} may be anything (it is parsed defensively). */
    public static HostState read(String host, Instant time, String json) {
        List<String> problems = new ArrayList<>();
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (IOException e) {
            return new HostState(host, time, List.of("nft printed no JSON: " + Untrusted.quote(e.getMessage(), 200)),
                    List.of());
        }
        JsonNode objects = root == null ? null : root.get("nftables");
        if (objects == null || !objects.isArray()) {
            return new HostState(host, time, List.of("nft's JSON has no \"nftables\" array"), List.of());
        }
        boolean table = false;
        Map<String, Builder> instances = new TreeMap<>();
        for (JsonNode object : objects) {
            if (object.has("table")) {
                JsonNode t = object.get("table");
                table |= FAMILY.equals(t.path("family").asText()) && TABLE.equals(t.path("name").asText());
            } else if (object.has("set")) {
                readSet(object.get("set"), instances, problems);
            }
        }
        if (!table) {
            problems.add(0, "table " + FAMILY + " " + TABLE + " is not in nft's output");
        }
        List<HostState.InstanceState> states = new ArrayList<>();
        instances.forEach((name, b) -> states.add(new HostState.InstanceState(name, b.allow, b.blocked)));
        return new HostState(host, time, problems, states);
    }

    /** The state of a host whose table could not be listed at all (nft failed, or is missing). */
    public static HostState unreadable(String host, Instant time, String why) {
        return new HostState(host, time, List.of(why), List.of());
    }

    private static final class Builder {
        final List<HostState.AllowCounter> allow = new ArrayList<>();
        final List<HostState.BlockedDestination> blocked = new ArrayList<>();
    }

    private static void readSet(JsonNode set, Map<String, Builder> instances, List<String> problems) {
        if (!TABLE.equals(set.path("table").asText()) || !FAMILY.equals(set.path("family").asText())) {
            return;
        }
        String name = set.path("name").asText();
        Matcher m = SET.matcher(name);
        if (!m.matches()) {
            problems.add("set " + Untrusted.quote(name) + ": not an allow/blocked set of an instance; ignored");
            return;
        }
        String instance = m.group(3);
        if (!InstanceName.isValid(instance)) {
            problems.add("set " + Untrusted.quote(name) + ": " + Untrusted.quote(instance) + " is not "
                    + InstanceName.RULE + "; ignored");
            return;
        }
        String family = m.group(2);
        String expectedType = family.equals("4") ? "ipv4_addr" : "ipv6_addr";
        if (!expectedType.equals(set.path("type").asText())) {
            problems.add("set " + name + ": type " + Untrusted.quote(set.path("type").asText()) + ", expected "
                    + expectedType + "; ignored");
            return;
        }
        Builder builder = instances.computeIfAbsent(instance, k -> new Builder());
        boolean allow = m.group(1).equals("allow");
        JsonNode elements = set.path("elem");
        if (elements.isMissingNode() || elements.isNull()) {
            return; // an empty set
        }
        if (!elements.isArray()) {
            problems.add("set " + name + ": \"elem\" is not an array; ignored");
            return;
        }
        for (JsonNode wrapper : elements) {
            // With counters, each element is {"elem": {"val": ..., "counter": {...}}}; without, the bare value.
            JsonNode element = wrapper.has("elem") ? wrapper.get("elem") : wrapper;
            JsonNode value = element.has("val") ? element.get("val") : element;
            JsonNode counter = element.path("counter");
            long packets = counter.path("packets").asLong(0);
            long bytes = counter.path("bytes").asLong(0);
            List<String> cidrs = cidrs(value, family);
            if (cidrs.isEmpty()) {
                problems.add("set " + name + ": element " + Untrusted.quote(value.toString(), 120)
                        + " is not an address, prefix or range of IPv" + family + "; ignored");
                continue;
            }
            for (String cidr : cidrs) {
                if (allow) {
                    builder.allow.add(new HostState.AllowCounter(cidr, packets, bytes));
                } else if (cidr.endsWith(family.equals("4") ? "/32" : "/128")) {
                    builder.blocked.add(new HostState.BlockedDestination(cidr.substring(0, cidr.indexOf('/')),
                            packets, bytes, element.path("expires").asLong(0)));
                } else {
                    problems.add("set " + name + ": element " + cidr + " is not one address; ignored");
                }
            }
        }
    }

    /** The canonical CIDRs an element covers: an address, {@code {"prefix": ...}} or {@code {"range": [a, b]}}. */
    private static List<String> cidrs(JsonNode value, String family) {
        if (value.isTextual()) {
            IPAddress address = address(value.asText(), family);
            return address == null ? List.of() : List.of(address.withoutPrefixLength().toPrefixBlock(
                    address.getBitCount()).toCanonicalString());
        }
        if (value.has("prefix")) {
            JsonNode prefix = value.get("prefix");
            IPAddress address = address(prefix.path("addr").asText(), family);
            int length = prefix.path("len").asInt(-1);
            if (address == null || length < 0 || length > address.getBitCount()) {
                return List.of();
            }
            IPAddress block = address.setPrefixLength(length, false).toPrefixBlock();
            return List.of(block.toCanonicalString());
        }
        if (value.has("range") && value.get("range").isArray() && value.get("range").size() == 2) {
            IPAddress lower = address(value.get("range").get(0).asText(), family);
            IPAddress upper = address(value.get("range").get(1).asText(), family);
            if (lower == null || upper == null || lower.compareTo(upper) > 0) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (IPAddress block : lower.spanWithPrefixBlocks(upper)) {
                out.add(block.toCanonicalString());
            }
            return out;
        }
        return List.of();
    }

    private static IPAddress address(String text, String family) {
        IPAddress address = new IPAddressString(text).getAddress();
        if (address == null || address.isPrefixed() || (family.equals("4") != address.isIPv4())) {
            return null;
        }
        return address;
    }
}
