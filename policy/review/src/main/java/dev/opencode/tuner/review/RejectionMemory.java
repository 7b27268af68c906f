package dev.opencode.tuner.review;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * Remembered rejections: a rejected CIDR is held back (subtracted like the allowlist) until a port not seen at the
 * time of the rejection shows up inside it, or until the rejection is older than {@code reopenAfter}.
 *
 * @param reopenAfter the age from which a rejection no longer holds anything back
 */
public record RejectionMemory(Duration reopenAfter) {
    public RejectionMemory {
        if (reopenAfter == null || reopenAfter.isNegative()) {
            throw new IllegalArgumentException("reopen-after must be a duration of zero or more, got " + reopenAfter);
        }
    }

    /** Whether a rejection made at {@code rejectedAt} (null: unknown, hence old) has expired by {@code now}. */
    public boolean expired(Instant rejectedAt, Instant now) {
        return rejectedAt == null || rejectedAt.isBefore(now.minus(reopenAfter));
    }

    /**
     * Whether a rejection reopens: it expired, or {@code portsNow} (the ports seen inside the CIDR) holds one that
     * {@code decidedPorts} (those seen when it was rejected) did not.
     */
    public boolean reopens(Instant rejectedAt, Instant now, Set<Integer> decidedPorts, Set<Integer> portsNow) {
        return expired(rejectedAt, now) || !decidedPorts.containsAll(portsNow);
    }
}
