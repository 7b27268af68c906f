package dev.opencode.tuner.collector;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * How the follower starts and paces itself.
 *
 * @param start            where to start when no cursor is saved
 * @param since            the first-run backfill start for {@link Start#SINCE}
 * @param batchSize        entries read between two checkpoints
 * @param maxInFlight      records produced but not yet acknowledged before reading pauses (backpressure)
 * @param pollTimeout      how long to wait for new entries before flushing and checking for stop
 * @param commitInterval   how often the cursor file is rewritten at most while events flow
 * @param reopenEntries    the journal is closed and opened again (at the last entry read) after this many entries,
 *                         0 never: libsystemd keeps the windows it mapped of every file while a handle is open, so
 *                         a long read of a big journal otherwise holds hundreds of MiB of mapped pages in RSS
 */
public record FollowerConfig(Start start, Instant since, int batchSize, int maxInFlight, Duration pollTimeout,
                             Duration commitInterval, int reopenEntries) {
    /** The default of {@code reopenEntries}: a few MiB of a kernel-only journal; a reopen takes about a millisecond. */
    public static final int REOPEN_ENTRIES = 20_000;

    /** First-start position. */
    public enum Start {
        /** Every entry the journal still holds. */
        HEAD,
        /** Only entries appended from now on. */
        TAIL,
        /** Entries from {@code since} on. */
        SINCE
    }

    public FollowerConfig {
        Objects.requireNonNull(start, "start");
        if (start == Start.SINCE && since == null) {
            throw new IllegalArgumentException("start SINCE needs a since time");
        }
        if (reopenEntries < 0) {
            throw new IllegalArgumentException("reopenEntries must be 0 (never) or positive");
        }
        if (batchSize < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException("batchSize and maxInFlight must be positive");
        }
        Objects.requireNonNull(pollTimeout, "pollTimeout");
        Objects.requireNonNull(commitInterval, "commitInterval");
    }

    public static FollowerConfig defaults() {
        return new FollowerConfig(Start.HEAD, null, 1000, 10_000, Duration.ofMillis(250), Duration.ofSeconds(1),
                REOPEN_ENTRIES);
    }
}
