package dev.opencode.tuner.bench;

import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.BlockedLineParser;
import dev.opencode.tuner.blocked.ParseResult;
import dev.opencode.tuner.journal.Journal;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the system journal holds of one run: its instance's kernel lines, read through the project's JNA binding
 * (kernel transport only, from the run's start) and counted per destination, keeping only lines whose {@code UID=} is
 * the instance user's, as the collector does. The truth the policy service's counts are compared with.
 */
final class JournalCounts {
    private final String prefix;
    private final long uid;
    private final Instant since;
    private final BlockedLineParser parser = new BlockedLineParser();

    JournalCounts(String instance, long uid, Instant since) {
        this.prefix = BlockedLineParser.PREFIX_START + instance + BlockedLineParser.PREFIX_END;
        this.uid = uid;
        this.since = since;
    }

    /** Lines per destination received by journald up to {@code until} (inclusive). */
    Map<String, Long> perDestination(Instant until) {
        return perDestination(until.getEpochSecond() * 1_000_000L + until.getNano() / 1_000);
    }

    /** Every line of the run so far. */
    Map<String, Long> perDestination() {
        return perDestination(Long.MAX_VALUE);
    }

    private Map<String, Long> perDestination(long untilUsec) {
        Map<String, Long> counts = new TreeMap<>();
        try (Journal journal = Journal.openLocalSystem()) {
            journal.addMatch("_TRANSPORT=kernel");
            journal.seekRealtime(since);
            while (journal.next()) {
                if (journal.realtimeUsec() > untilUsec) {
                    continue; // entries of several files are merged, not strictly in time order: read them all
                }
                String message = journal.fieldText(Journal.MESSAGE);
                if (message == null || !message.startsWith(prefix)) {
                    continue;
                }
                ParseResult result = parser.parse(message);
                if (!(result instanceof BlockedLine line)) {
                    throw new IllegalStateException("a kernel line of this run does not parse (" + result + "): "
                            + message);
                }
                if (line.uid() != null && line.uid() == uid) {
                    counts.merge(line.destination(), 1L, Long::sum);
                }
            }
        }
        return counts;
    }

    /** The number of lines received up to {@code until}. */
    long total(Instant until) {
        return perDestination(until).values().stream().mapToLong(Long::longValue).sum();
    }
}
