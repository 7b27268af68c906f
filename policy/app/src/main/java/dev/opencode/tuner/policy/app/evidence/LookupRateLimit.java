package dev.opencode.tuner.policy.app.evidence;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * At most {@code limit} reverse DNS lookups in any window of one minute: the start times of the last {@code limit}
 * lookups are kept in a ring, and a lookup may start only when the oldest of them is a minute old. A sliding window
 * rather than a token bucket, so that the bound is exact: a bucket refilled at {@code limit} per minute lets almost
 * twice as many through in the minute after it was full. Thread-safe.
 */
final class LookupRateLimit {
    static final Duration WINDOW = Duration.ofMinutes(1);

    private final long[] starts;
    private final LongSupplier nanos;
    private int next;
    private int used;

    /** @param nanos a monotonic clock in nanoseconds ({@code System::nanoTime}; tests move a counter) */
    LookupRateLimit(int limit, LongSupplier nanos) {
        if (limit < 1) {
            throw new IllegalArgumentException("tuner.policy.evidence.dns.max-lookups-per-minute: " + limit
                    + " is not at least 1 (turn lookups off with tuner.policy.evidence.dns.scope=off)");
        }
        this.starts = new long[limit];
        this.nanos = nanos;
    }

    /** Takes a place in the window and answers true, or answers false when the window is full. */
    synchronized boolean tryAcquire() {
        long now = nanos.getAsLong();
        if (used == starts.length) {
            // starts[next] is the oldest of the last `limit` starts.
            if (now - starts[next] < WINDOW.toNanos()) {
                return false;
            }
        } else {
            used++;
        }
        starts[next] = now;
        next = (next + 1) % starts.length;
        return true;
    }
}
