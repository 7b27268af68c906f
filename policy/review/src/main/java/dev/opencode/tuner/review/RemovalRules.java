package dev.opencode.tuner.review;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The rules of removal suggestions (after Netflix Repokid: announce, then remove only what was announced): an entry
 * of the generated file whose counter on the host has not moved for {@code unusedAfter} is suggested for removal; an
 * accepted removal is announced, and the file drops the entry once {@code noticePeriod} has passed since; a counter
 * that moves before that withdraws it.
 *
 * @param unusedAfter  how long an entry's counter stands still before its removal is suggested
 * @param noticePeriod how long an accepted removal is announced before the entry leaves the file
 */
public record RemovalRules(Duration unusedAfter, Duration noticePeriod) {
    public RemovalRules {
        positive("tuner.policy.removal.unused-after", unusedAfter);
        positive("tuner.policy.removal.notice-period", noticePeriod);
    }

    private static void positive(String key, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be a positive duration (e.g. 30d, 7d, 12h), got "
                    + value);
        }
    }

    /**
     * Why an open removal is withdrawn, or empty when it stands: the entry was used again after {@code unusedSince}
     * ({@code lastUsed} later, with {@code packets} counted), or its addition ({@code addition}, null when gone) is
     * no longer in force, so the entry left the generated file by another way.
     */
    public Optional<String> withdrawal(Instant unusedSince, Instant lastUsed, long packets,
                                       SuggestionState addition) {
        if (lastUsed != null && unusedSince != null && lastUsed.isAfter(unusedSince)) {
            return Optional.of("used again: the host reported its counter moving at " + lastUsed + " (" + packets
                    + " packets); the entry stays");
        }
        if (addition == null || !addition.isInForce()) {
            return Optional.of("the entry is no longer in the generated file (its addition is " + addition + ")");
        }
        return Optional.empty();
    }

    /**
     * Whether an unused entry's existing removal suggestion (in {@code state}) becomes pending again: a withdrawn
     * one (superseded) after a whole new window unused; an earlier removal whose entry was accepted again since
     * (exported, merged, deployed); a rejected one once its rejection expired. Pending and snoozed ones stay as
     * they are (their evidence refreshed), accepted ones are left to the exporter.
     */
    public static boolean reopens(SuggestionState state, Instant rejectedAt, Instant now, RejectionMemory memory) {
        return switch (state) {
            case SUPERSEDED, EXPORTED, MERGED, DEPLOYED -> true;
            case REJECTED -> memory.expired(rejectedAt, now);
            default -> false;
        };
    }

    /** Whether the removal's evidence is refreshed at all: it reopens, or it is still open. */
    public static boolean refreshed(SuggestionState state, boolean reopens) {
        return reopens || state.isOpen();
    }

    /**
     * Whether an announced removal is due: the notice period ended ({@code removeAfter} not after {@code now}) and
     * the entry was not used since it was found unused.
     */
    public static boolean due(Instant announcedAt, Instant removeAfter, boolean usedSince, Instant now) {
        return announcedAt != null && removeAfter != null && !removeAfter.isAfter(now) && !usedSince;
    }
}
