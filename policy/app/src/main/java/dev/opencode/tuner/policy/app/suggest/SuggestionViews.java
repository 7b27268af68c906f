package dev.opencode.tuner.policy.app.suggest;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.opencode.tuner.suggest.DestinationAggregate;
import dev.opencode.tuner.suggest.InstanceSuggestions;
import dev.opencode.tuner.suggest.Refusal;
import dev.opencode.tuner.suggest.Suggestion;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The API's JSON: the {@code instances[]} shape of {@code tuner suggest --format json} (field for field, in the same
 * order), plus a stable {@code id} per suggestion.
 */
public final class SuggestionViews {
    private SuggestionViews() {
    }

    /** The answer of {@code GET /api/v1/suggestions}. */
    @Schema(description = "Pending suggestions per instance, as `tuner suggest --format json` prints them in"
            + " `instances`, with an `id` per suggestion")
    public record SuggestionList(List<InstanceView> instances) {
    }

    @JsonPropertyOrder({"host", "instance", "events", "destinations", "suggestions", "refused", "alreadyAllowed"})
    public record InstanceView(
            String host,
            String instance,
            @Schema(description = "Blocked events counted (each event id once)") long events,
            @Schema(description = "Distinct blocked destinations") int destinations,
            List<SuggestionView> suggestions,
            @Schema(description = "Destinations on the denylist: never suggested") List<RefusalView> refused,
            @Schema(description = "Destinations the instance's allowlist already covers") List<DestinationView>
                    alreadyAllowed) {
    }

    @JsonPropertyOrder({"id", "cidr", "addresses", "opens", "ports", "protocols", "services", "events", "firstSeen",
        "lastSeen"})
    public record SuggestionView(
            @Schema(description = "Stable id: 128 bits of SHA-256 over host, instance and CIDR, in hex."
                    + " The same on every policy instance and across restarts") String id,
            @Schema(description = "Canonical CIDR to allow", examples = "140.82.112.0/24") String cidr,
            @Schema(description = "The observed destinations it covers, sorted") List<DestinationView> addresses,
            @Schema(description = "How many addresses the CIDR opens, observed or not") BigInteger opens,
            Set<Integer> ports,
            Set<String> protocols,
            @Schema(description = "protocol/port pairs, or the protocol alone", examples = "tcp/443") Set<String>
                    services,
            long events,
            @Schema(description = "ISO-8601 instant") String firstSeen,
            @Schema(description = "ISO-8601 instant") String lastSeen) {
    }

    @JsonPropertyOrder({"address", "events", "ports", "protocols", "firstSeen", "lastSeen", "sampleSources", "uids"})
    @Schema(name = "Destination")
    public record DestinationView(
            String address,
            long events,
            Set<Integer> ports,
            Set<String> protocols,
            String firstSeen,
            String lastSeen,
            @Schema(description = "Up to 5 distinct source addresses, in the order first seen") Set<String>
                    sampleSources,
            Set<Long> uids) {
    }

    @JsonPropertyOrder({"address", "reason", "deniedBy", "events"})
    @Schema(name = "Refusal")
    public record RefusalView(String address, String reason, String deniedBy, long events) {
    }

    /** The view of one instance's suggestions, ids included. */
    public static InstanceView of(InstanceSuggestions s) {
        List<SuggestionView> suggestions = new ArrayList<>(s.suggestions().size());
        for (Suggestion g : s.suggestions()) {
            suggestions.add(new SuggestionView(id(s.host(), s.instance(), g.cidr()), g.cidr(),
                    destinations(g.addresses()), g.opens(), g.ports(), g.protocols(), g.services(), g.events(),
                    time(g.firstSeen()), time(g.lastSeen())));
        }
        List<RefusalView> refused = new ArrayList<>(s.refused().size());
        for (Refusal r : s.refused()) {
            refused.add(new RefusalView(r.address(), r.reason(), r.deniedBy(), r.events()));
        }
        return new InstanceView(s.host(), s.instance(), s.events(), s.destinations(), suggestions, refused,
                destinations(s.alreadyAllowed()));
    }

    private static List<DestinationView> destinations(List<DestinationAggregate> list) {
        List<DestinationView> views = new ArrayList<>(list.size());
        for (DestinationAggregate d : list) {
            views.add(new DestinationView(d.address(), d.events(), d.ports(), d.protocols(), time(d.firstSeen()),
                    time(d.lastSeen()), d.sampleSources(), d.uids()));
        }
        return views;
    }

    /** 128 bits of SHA-256 over host, instance and CIDR (NUL-separated), as 32 hex digits. */
    public static String id(String host, String instance, String cidr) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(host.getBytes(StandardCharsets.UTF_8));
            sha256.update((byte) 0);
            sha256.update(instance.getBytes(StandardCharsets.UTF_8));
            sha256.update((byte) 0);
            sha256.update(cidr.getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(sha256.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform but missing", e);
        }
    }

    private static String time(Instant t) {
        return t == null ? null : t.toString();
    }
}
