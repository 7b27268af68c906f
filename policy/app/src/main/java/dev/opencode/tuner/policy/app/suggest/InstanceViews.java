package dev.opencode.tuner.policy.app.suggest;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The JSON of {@code GET /api/v1/instances}. */
public final class InstanceViews {
    private InstanceViews() {
    }

    @Schema(description = "Every host and instance with blocked events, sorted by host then instance")
    public record InstanceList(List<InstanceSummary> instances) {
    }

    @Schema(name = "InstanceSummary")
    public record InstanceSummary(
            String host,
            String instance,
            @Schema(description = "Blocked events counted (each event id once)") long events,
            @Schema(description = "Distinct blocked destinations") long destinations,
            @Schema(description = "ISO-8601 instant of the oldest event") String firstSeen,
            @Schema(description = "ISO-8601 instant of the newest event") String lastSeen) {
    }
}
