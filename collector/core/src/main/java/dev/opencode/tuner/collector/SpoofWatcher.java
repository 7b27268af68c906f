package dev.opencode.tuner.collector;

import dev.opencode.tuner.blocked.BlockedLineParser;
import dev.opencode.tuner.journal.Journal;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Counts userspace imitations of the blocked prefix: journal entries of any transport but the kernel whose MESSAGE
 * starts with {@code opencode-<name>-blocked:}. The follower never reads them (its match is the kernel transport),
 * so they cannot become events; this watcher only makes them visible as a metric. It reads from the tail of the
 * journal on its own handle and thread, keeps no cursor, and counts only what appears while it runs.
 */
public final class SpoofWatcher implements Runnable {

    private final Supplier<Journal> opener;
    private final FollowerMetrics metrics;
    private final Duration pollTimeout;
    private volatile boolean stopping;

    public SpoofWatcher(Supplier<Journal> opener, FollowerMetrics metrics, Duration pollTimeout) {
        this.opener = opener;
        this.metrics = metrics;
        this.pollTimeout = pollTimeout;
    }

    public void stop() {
        stopping = true;
    }

    @Override
    public void run() {
        try (Journal journal = opener.get()) {
            journal.seekLast();
            while (!stopping) {
                boolean any = false;
                while (!stopping && journal.next()) {
                    any = true;
                    byte[] message = journal.field(Journal.MESSAGE);
                    if (message != null && BlockedLineParser.hasPrefix(message)
                            && !"kernel".equals(journal.fieldText(Journal.TRANSPORT))) {
                        metrics.spoofed();
                    }
                }
                if (!any) {
                    journal.waitForChange(pollTimeout);
                }
            }
        }
    }
}
