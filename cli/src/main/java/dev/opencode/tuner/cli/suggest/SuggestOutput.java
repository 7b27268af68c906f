package dev.opencode.tuner.cli.suggest;

import dev.opencode.tuner.cli.Text;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.blocked.Transport;
import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.suggest.Aggregator;
import dev.opencode.tuner.suggest.DestinationAggregate;
import dev.opencode.tuner.suggest.InstanceAggregate;
import dev.opencode.tuner.suggest.InstanceSuggestions;
import dev.opencode.tuner.suggest.Refusal;
import dev.opencode.tuner.suggest.Suggestion;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The {@code json} and {@code text} forms of a suggest run. */
final class SuggestOutput {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final DateTimeFormatter SHORT =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);

    private final String inputDescription;
    private final Transport transport;
    private final List<InstanceSuggestions> instances;
    private final ReadCounters counters;
    private final long duplicates;
    private final Aggregator aggregator;
    /** Overflow events per host and instance ("host\0instance"), for the instances that had any. */
    private final Map<String, Long> overflow = new HashMap<>();

    SuggestOutput(String inputDescription, Transport transport, List<InstanceSuggestions> instances,
                  ReadCounters counters, Aggregator aggregator) {
        this.inputDescription = inputDescription;
        this.transport = transport;
        this.instances = instances;
        this.counters = counters;
        this.duplicates = aggregator.duplicates();
        this.aggregator = aggregator;
        for (InstanceAggregate a : aggregator.instances()) {
            if (a.overflowEvents() > 0) {
                overflow.put(a.host() + "\0" + a.instance(), a.overflowEvents());
            }
        }
    }

    private long overflowOf(InstanceSuggestions s) {
        return overflow.getOrDefault(s.host() + "\0" + s.instance(), 0L);
    }

    /** The one-line warning when some instance reached the cap of distinct destinations. */
    static String overflowWarning(Aggregator aggregator) {
        return String.format("Warning: %,d blocked event%s went to destinations beyond the cap of %,d distinct"
                + " destinations per instance: counted, not aggregated or suggested. So many destinations suggest"
                + " a scan or an agent making addresses up; raise --max-destinations to keep more.",
                aggregator.overflowEvents(), aggregator.overflowEvents() == 1 ? "" : "s",
                aggregator.maxDestinations());
    }

    void json(PrintWriter out) {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode input = root.putObject("input");
        input.put("source", inputDescription);
        input.put("transport", transport.json());
        input.put("entriesRead", counters.entries);
        input.put("blockedEvents", counters.blocked);
        ArrayNode list = root.putArray("instances");
        for (InstanceSuggestions s : instances) {
            ObjectNode i = list.addObject();
            i.put("host", s.host());
            i.put("instance", s.instance());
            i.put("events", s.events());
            i.put("destinations", s.destinations());
            ArrayNode suggestions = i.putArray("suggestions");
            for (Suggestion g : s.suggestions()) {
                ObjectNode n = suggestions.addObject();
                n.put("cidr", g.cidr());
                ArrayNode addresses = n.putArray("addresses");
                for (DestinationAggregate d : g.addresses()) {
                    destination(addresses.addObject(), d);
                }
                n.put("opens", g.opens());
                ints(n.putArray("ports"), g.ports());
                strings(n.putArray("protocols"), g.protocols());
                strings(n.putArray("services"), g.services());
                n.put("events", g.events());
                n.put("firstSeen", time(g.firstSeen()));
                n.put("lastSeen", time(g.lastSeen()));
            }
            ArrayNode refused = i.putArray("refused");
            for (Refusal r : s.refused()) {
                ObjectNode n = refused.addObject();
                n.put("address", r.address());
                n.put("reason", r.reason());
                n.put("deniedBy", r.deniedBy());
                n.put("events", r.events());
            }
            ArrayNode allowed = i.putArray("alreadyAllowed");
            for (DestinationAggregate d : s.alreadyAllowed()) {
                destination(allowed.addObject(), d);
            }
        }
        ObjectNode skipped = root.putObject("skipped");
        skipped.put("spoofed", counters.spoofed);
        skipped.put("uidMismatch", counters.uidMismatch);
        skipped.put("malformed", counters.malformed);
        skipped.put("duplicates", duplicates);
        skipped.put("otherHosts", counters.otherHosts);
        skipped.put("otherInstances", counters.otherInstances);
        skipped.put("overflow", aggregator.overflowEvents());
        // Beside instances[], whose fields are those of the policy service's API.
        root.put("maxDestinationsPerInstance", aggregator.maxDestinations());
        ArrayNode capped = root.putArray("capped");
        for (InstanceSuggestions s : instances) {
            if (overflowOf(s) > 0) {
                capped.addObject().put("host", s.host()).put("instance", s.instance())
                        .put("overflowEvents", overflowOf(s));
            }
        }
        root.put("missedKernelMessages", counters.missedKernelMessages);
        ArrayNode samples = root.putArray("malformedSamples");
        for (ReadCounters.MalformedSample m : counters.malformedSamples()) {
            ObjectNode n = samples.addObject();
            n.put("location", m.location());
            n.put("instance", m.instance());
            n.put("reason", m.reason());
        }
        out.println(root.toPrettyString());
        out.flush();
    }

    private static void destination(ObjectNode n, DestinationAggregate d) {
        n.put("address", d.address());
        n.put("events", d.events());
        ints(n.putArray("ports"), d.ports());
        strings(n.putArray("protocols"), d.protocols());
        n.put("firstSeen", time(d.firstSeen()));
        n.put("lastSeen", time(d.lastSeen()));
        strings(n.putArray("sampleSources"), d.sampleSources());
        ArrayNode uids = n.putArray("uids");
        d.uids().forEach(uids::add);
    }

    private static void ints(ArrayNode array, Collection<Integer> values) {
        values.forEach(array::add);
    }

    private static void strings(ArrayNode array, Collection<String> values) {
        values.forEach(array::add);
    }

    private static String shortTime(Instant t) {
        return t == null ? "time unknown" : SHORT.format(t);
    }

    /** Host names come from logs: control and format characters (terminal escapes, bidi overrides) are escaped. */
    static String printable(String text) {
        return Untrusted.visible(text);
    }

    private static String events(long n, int width) {
        return String.format("%," + width + "d %-6s", n, n == 1 ? "event" : "events");
    }

    private static String time(Instant t) {
        return t == null ? null : t.toString();
    }

    void text(PrintWriter out) {
        int suggestionCount = 0;
        int refusedCount = 0;
        Set<String> hosts = new java.util.TreeSet<>();
        int cidrWidth = 18; // one width for the whole report, so columns line up across instances
        int eventsWidth = 6;
        for (InstanceSuggestions s : instances) {
            for (Suggestion g : s.suggestions()) {
                cidrWidth = Math.max(cidrWidth, g.cidr().length());
                eventsWidth = Math.max(eventsWidth, Text.width(g.events()));
            }
            for (Refusal r : s.refused()) {
                cidrWidth = Math.max(cidrWidth, r.address().length());
                eventsWidth = Math.max(eventsWidth, Text.width(r.events()));
            }
            for (DestinationAggregate d : s.alreadyAllowed()) {
                cidrWidth = Math.max(cidrWidth, d.address().length());
                eventsWidth = Math.max(eventsWidth, Text.width(d.events()));
            }
        }
        for (InstanceSuggestions s : instances) {
            hosts.add(s.host());
            out.printf("%s / %s: %s to %s%n", printable(s.host()), s.instance(),
                    Text.count(s.events(), "blocked event"), Text.count(s.destinations(), "destination"));
            if (overflowOf(s) > 0) {
                out.printf("  capped: %,d more events went to destinations beyond the first %,d; counted, not shown%n",
                        overflowOf(s), aggregator.maxDestinations());
            }
            for (Suggestion g : s.suggestions()) {
                suggestionCount++;
                String covered = g.addresses().size() == 1 && g.opens().longValue() == 1
                        ? "1 address"
                        : g.addresses().size() + " of " + g.opens() + " addresses";
                out.printf("  allow   %-" + cidrWidth + "s %s  %-22s %-16s %s .. %s%n", g.cidr(),
                        events(g.events(), eventsWidth), covered, String.join(",", g.services()),
                        shortTime(g.firstSeen()), shortTime(g.lastSeen()));
            }
            for (Refusal r : s.refused()) {
                refusedCount++;
                out.printf("  refuse  %-" + cidrWidth + "s %s  %s%n", r.address(), events(r.events(), eventsWidth), r.reason() + " (denylist " + r.deniedBy() + ")");
            }
            for (DestinationAggregate d : s.alreadyAllowed()) {
                out.printf("  known   %-" + cidrWidth + "s %s  already in the allowlist%n", d.address(),
                        events(d.events(), eventsWidth));
            }
            out.println();
        }
        if (instances.isEmpty()) {
            out.println("No blocked egress found.");
        }
        out.printf("Summary: %d suggestion%s, %d refused, for %d instance%s on %d host%s.%n",
                suggestionCount, suggestionCount == 1 ? "" : "s", refusedCount, instances.size(),
                instances.size() == 1 ? "" : "s", hosts.size(), hosts.size() == 1 ? "" : "s");
        out.printf("Read %,d entries from %s (transport: %s).%n", counters.entries, inputDescription,
                transport == Transport.KERNEL ? "kernel, checked"
                        : "unknown: plain text cannot prove that lines came from the kernel");
        out.printf("Skipped %,d spoofed (userspace lines imitating the kernel), %,d malformed, %,d duplicate%s.%n",
                counters.spoofed, counters.malformed, duplicates, duplicates == 1 ? "" : "s");
        if (counters.uidMismatch > 0) {
            out.printf("Skipped %,d kernel line%s whose UID is not the instance user's (opencode-<name>): logged"
                    + " from another network namespace or socket, never suggested.%n", counters.uidMismatch,
                    counters.uidMismatch == 1 ? "" : "s");
        }
        if (aggregator.overflowEvents() > 0) {
            out.println(overflowWarning(aggregator));
        }
        if (counters.missedKernelMessages > 0) {
            out.printf("Warning: journald missed %,d kernel messages (kernel log buffer overflow): blocked events may"
                    + " be missing.%n", counters.missedKernelMessages);
        }
        for (ReadCounters.MalformedSample m : counters.malformedSamples()) {
            out.printf("  malformed line%s: %s%n", m.instance() == null ? "" : " of instance " + m.instance(),
                    m.reason());
        }
        if (suggestionCount > 0 && hosts.size() == 1) {
            out.printf("Next: ./tuner suggest --format nix > opencode-egress-allowlist.nix, review it, import it.%n");
        }
        out.flush();
    }
}
