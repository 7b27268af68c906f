package dev.opencode.tuner.policy.app.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of evidence from a decision's evidence snapshot (the review's {@code decision.evidence}: events,
 * services, first and last seen, the covered addresses). Defensive: a field that is missing or of another type is
 * left out, never an error, so a snapshot of an older shape still exports.
 */
final class EvidenceSummary {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EvidenceSummary() {
    }

    static String of(String evidenceJson) {
        if (evidenceJson == null) {
            return "";
        }
        JsonNode e;
        try {
            e = JSON.readTree(evidenceJson);
        } catch (IOException ex) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        if (e.path("events").canConvertToLong()) {
            long n = e.get("events").asLong();
            parts.add(n + (n == 1 ? " event" : " events"));
        }
        if (e.path("services").isArray() && !e.get("services").isEmpty()) {
            List<String> services = new ArrayList<>();
            e.get("services").forEach(s -> services.add(s.asText()));
            parts.add(String.join(" ", services));
        }
        JsonNode addresses = e.path("addresses");
        if (addresses.isArray() && !addresses.isEmpty()) {
            parts.add(addresses.size() == 1 ? addresses.get(0).path("address").asText("1 address")
                    : addresses.size() + " addresses");
        }
        if (e.path("firstSeen").isTextual()) {
            parts.add("first " + minute(e.get("firstSeen").asText()));
        }
        if (e.path("lastSeen").isTextual()) {
            parts.add("last " + minute(e.get("lastSeen").asText()));
        }
        return String.join(", ", parts);
    }

    private static String minute(String time) {
        return time.length() >= 16 ? time.substring(0, 16).replace('T', ' ') : time;
    }
}
