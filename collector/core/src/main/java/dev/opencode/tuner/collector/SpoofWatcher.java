package dev.opencode.tuner.collector;

import dev.opencode.tuner.blocked.JournalEntries;
import dev.opencode.tuner.journal.Journal;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Counts userspace imitations of the blocked prefix: journal entries of any transport but the kernel whose MESSAGE
 * starts with {@code opencode-<name>-blocked:} ({@link JournalEntries.Kind#SPOOFED}). They never become events (the
 * follower trusts the kernel transport alone); this watcher only makes them visible as a metric. It reads from the
 * tail of the journal on its own handle and thread, keeps no cursor, and counts only what appears while it runs.
 */
public final class SpoofWatcher implements Runnable {

    private final Supplier<Journal> opener;
    private final FollowerMetrics metrics;
    private final Duration pollTimeout;
    private final int reopenEntries;
    private volatile boolean stopping;

    /** {@code reopenEntries}: as {@link FollowerConfig#reopenEntries()}, to bound the pages libsystemd maps. */
    public SpoofWatcher(Supplier<Journal> opener, FollowerMetrics metrics, Duration pollTimeout, int reopenEntries) {
        this.opener = opener;
        this.metrics = metrics;
        this.pollTimeout = pollTimeout;
        this.reopenEntries = reopenEntries;
    }

    public void stop() {
        stopping = true;
    }

    @Override
    public void run() {
        Journal journal = opener.get();
        try {
            journal.seekLast();
            long sinceOpen = 0;
            while (!stopping) {
                int read = 0;
                while (!stopping && journal.next()) {
                    read++;
                    byte[] message = journal.field(Journal.MESSAGE);
                    if (message != null
                            && JournalFollower.classify(journal, message) == JournalEntries.Kind.SPOOFED) {
                        metrics.spoofed();
                    }
                    if (reopenEntries > 0 && ++sinceOpen >= reopenEntries) {
                        String cursor = journal.cursor();
                        journal.close();
                        journal = opener.get();
                        journal.seekAfterCursor(cursor); // gone: the next entry that exists (counting only)
                        sinceOpen = 0;
                    }
                }
                if (read == 0) {
                    journal.waitForChange(pollTimeout);
                }
            }
        } finally {
            journal.close();
        }
    }
}
