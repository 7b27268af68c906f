package dev.opencode.tuner.review;

import java.time.Duration;
import java.time.Instant;

/**
 * The stabilisation rule: a suggestion is shown for review only once it rests on enough events, or on events spread
 * over enough time; until then it is pending but held back (one-off noise never reaches a reviewer).
 *
 * @param events a suggestion with at least this many events is stable
 * @param span   ... or one whose first and last event are at least this far apart
 */
public record Stabilisation(long events, Duration span) {
    public Stabilisation {
        if (events < 1) {
            throw new IllegalArgumentException("the stable event count must be at least 1, got " + events);
        }
        if (span == null || span.isNegative()) {
            throw new IllegalArgumentException("the stable span must be a duration of zero or more, got " + span);
        }
    }

    /** Whether a suggestion with these events, first seen and last seen (either may be null) is stable. */
    public boolean isStable(long eventCount, Instant firstSeen, Instant lastSeen) {
        if (eventCount >= events) {
            return true;
        }
        return firstSeen != null && lastSeen != null && Duration.between(firstSeen, lastSeen).compareTo(span) >= 0;
    }
}
