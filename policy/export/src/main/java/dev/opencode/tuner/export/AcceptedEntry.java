package dev.opencode.tuner.export;

import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.suggest.Cidrs;
import java.time.Instant;
import java.util.Objects;

/**
 * One accepted allowlist entry as the exporter writes it: a row of the {@code accepted_entry} view, with its evidence
 * already summarised in one line (the evidence is a snapshot taken at the decision, so the generated file stays the
 * same from one export to the next).
 *
 * @param suggestionId the suggestion the decision was about (kept for the pull request body and the state changes)
 * @param acceptedBy the reviewer's account name
 * @param comment the reviewer's comment, or null
 * @param evidence one line: events, services, addresses, first and last seen
 */
public record AcceptedEntry(String instance, String cidr, String suggestionId, String acceptedBy, Instant acceptedAt,
        String comment, String evidence) {

    public AcceptedEntry {
        InstanceName.require(instance);
        // PostgreSQL prints a cidr in its own spelling; the file always holds the core's canonical one.
        cidr = Cidrs.format(Cidrs.parse(cidr));
        Objects.requireNonNull(acceptedBy, "acceptedBy");
        Objects.requireNonNull(acceptedAt, "acceptedAt");
        evidence = evidence == null ? "" : evidence;
    }
}
