package dev.opencode.tuner.bench;

import java.time.Duration;
import java.time.Instant;

/**
 * One SIGKILL of a part and its recovery: when it was killed, how long until {@code Stack.up} had it healthy again
 * (and how many calls that took), and how long until the policy service had counted every line the journal held when
 * the part was back (null until then).
 */
final class Kill {
    final String part;
    final long pid;
    final Instant killedAt;
    final Duration healed;
    final int upCalls;
    final Instant healedAt;
    /** Journal lines of the run received up to {@link #healedAt}: what "caught up" means for this kill. */
    final long journalAtHeal;
    private Duration caughtUp;

    Kill(String part, long pid, Instant killedAt, Duration healed, int upCalls, long journalAtHeal) {
        this.part = part;
        this.pid = pid;
        this.killedAt = killedAt;
        this.healed = healed;
        this.upCalls = upCalls;
        this.healedAt = killedAt.plus(healed);
        this.journalAtHeal = journalAtHeal;
    }

    Duration caughtUp() {
        return caughtUp;
    }

    /** Marks the counts caught up at {@code now}, once. */
    void caughtUpAt(Instant now) {
        if (caughtUp == null) {
            caughtUp = Duration.between(killedAt, now);
        }
    }
}
