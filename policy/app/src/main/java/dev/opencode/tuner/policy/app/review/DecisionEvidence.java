package dev.opencode.tuner.policy.app.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.nix.AllowlistRenderer;
import dev.opencode.tuner.review.DecidedEvidence;
import dev.opencode.tuner.suggest.Cidrs;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The evidence of a decided CIDR ({@link DecidedEvidence}) read from what the service stores: a suggestion's
 * evidence (the array of its observed destinations) and a decision's snapshot (the suggestion's summary and that
 * array). A decision that narrows or widens the suggested CIDR records the evidence of the decided one, and the
 * generated file's comment of an accepted entry is always the evidence of the CIDR in force. Defensive on stored
 * JSON: a missing or mistyped field counts as empty, so a snapshot of an older shape still reads.
 */
public final class DecisionEvidence {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DecisionEvidence() {
    }

    /** The evidence of {@code cidr} in a decision's snapshot ({@code decision.evidence}). */
    public static DecidedEvidence ofDecision(String snapshotJson, String cidr) {
        JsonNode snapshot = read(snapshotJson);
        return DecidedEvidence.within(cidr, destinations(snapshot.path("addresses")), texts(snapshot.path("services")));
    }

    /** The evidence of {@code cidr} for a suggestion (an edit previewed or decided). */
    static DecidedEvidence ofSuggestion(ReviewViews.ReviewSuggestion s, String cidr) {
        return DecidedEvidence.within(cidr, destinations(read(s.addresses())), s.services());
    }

    /** The evidence line of the generated file for the CIDR in force. */
    public static String line(DecidedEvidence e) {
        return AllowlistRenderer.evidence(e.events(), e.services(), e.addresses(), e.opens(), e.firstSeen(),
                e.lastSeen());
    }

    /**
     * What a decision on {@code decidedCidr} records over the suggestion's summary when the reviewer edited the CIDR:
     * the evidence of the decided CIDR (its destinations' events, ports, protocols, services, first and last seen and
     * the destinations themselves), plus {@code suggested}: the CIDR suggested and what it covered. Null when the
     * decided CIDR is the suggested one (the suggestion's evidence is the decision's).
     */
    static String editedSnapshot(ReviewViews.ReviewSuggestion s, String decidedCidr) {
        if (decidedCidr == null || Cidrs.parse(decidedCidr).equals(Cidrs.parse(s.cidr()))) {
            return null;
        }
        JsonNode stored = read(s.addresses());
        DecidedEvidence e = DecidedEvidence.within(decidedCidr, destinations(stored), s.services());
        ObjectNode o = JSON.createObjectNode();
        o.put("cidr", e.cidr());
        o.put("events", e.events());
        e.ports().forEach(o.putArray("ports")::add);
        e.protocols().forEach(o.putArray("protocols")::add);
        e.services().forEach(o.putArray("services")::add);
        o.put("firstSeen", e.firstSeen() == null ? null : e.firstSeen().toString());
        o.put("lastSeen", e.lastSeen() == null ? null : e.lastSeen().toString());
        Set<String> inside = new HashSet<>(e.addresses());
        ArrayNode addresses = o.putArray("addresses");
        for (JsonNode d : stored) {
            if (inside.contains(d.path("address").asText())) {
                addresses.add(d);
            }
        }
        ObjectNode suggested = o.putObject("suggested");
        suggested.put("cidr", s.cidr());
        suggested.put("events", s.events());
        suggested.put("addresses", stored.size());
        return o.toString();
    }

    private static List<DecidedEvidence.Destination> destinations(JsonNode array) {
        List<DecidedEvidence.Destination> destinations = new ArrayList<>();
        if (!array.isArray()) {
            return destinations;
        }
        for (JsonNode d : array) {
            String address = d.path("address").asText(null);
            if (!isAddress(address)) {
                continue;
            }
            Set<Integer> ports = new LinkedHashSet<>();
            d.path("ports").forEach(p -> {
                if (p.canConvertToInt()) {
                    ports.add(p.asInt());
                }
            });
            destinations.add(new DecidedEvidence.Destination(address, d.path("events").asLong(0), ports,
                    new LinkedHashSet<>(texts(d.path("protocols"))), instant(d.path("firstSeen")),
                    instant(d.path("lastSeen"))));
        }
        return destinations;
    }

    private static boolean isAddress(String text) {
        try {
            Cidrs.address(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(t -> {
            if (t.isTextual()) {
                texts.add(t.asText());
            }
        });
        return texts;
    }

    private static Instant instant(JsonNode time) {
        if (!time.isTextual()) {
            return null;
        }
        try {
            return Instant.parse(time.asText());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static JsonNode read(String json) {
        if (json == null) {
            return JSON.missingNode();
        }
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            return JSON.missingNode();
        }
    }
}
