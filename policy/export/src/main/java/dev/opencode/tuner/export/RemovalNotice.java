package dev.opencode.tuner.export;

import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.suggest.Cidrs;
import java.time.Instant;
import java.util.Objects;

/**
 * An accepted removal of an unused generated entry. While {@code removed} is false the entry stays in the file with a
 * comment naming the date after which it goes, and the pull request announces it; once the notice period is over the
 * entry is left out of the entries and the notice, now {@code removed}, says so in the pull request.
 *
 * @param suggestionId the removal suggestion's id
 * @param acceptedBy who accepted the removal
 * @param comment their comment, or null
 * @param unusedSince since when the entry's counter on the host has not moved
 * @param removeAfter from when the file drops the entry (the announcement plus the notice period)
 * @param removed true when this export leaves the entry out
 */
public record RemovalNotice(String instance, String cidr, String suggestionId, String acceptedBy, String comment,
        Instant unusedSince, Instant removeAfter, boolean removed) {

    public RemovalNotice {
        InstanceName.require(instance);
        cidr = Cidrs.format(Cidrs.parse(cidr));
        Objects.requireNonNull(acceptedBy, "acceptedBy");
        Objects.requireNonNull(removeAfter, "removeAfter");
    }
}
