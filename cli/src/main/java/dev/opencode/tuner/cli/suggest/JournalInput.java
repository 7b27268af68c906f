package dev.opencode.tuner.cli.suggest;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.BlockedLineParser;
import dev.opencode.tuner.blocked.EventId;
import dev.opencode.tuner.blocked.ParseResult;
import dev.opencode.tuner.blocked.Transport;
import dev.opencode.tuner.journal.Journal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import dev.opencode.tuner.journal.JournalException;

/**
 * Reads blocked events from systemd journal files through libsystemd. Only {@code _TRANSPORT=kernel} entries are
 * read for events (the match runs inside libsystemd, on its index); a second pass over the other transports, on its
 * own thread and handle, counts userspace lines that imitate the prefix ("spoofed").
 */
final class JournalInput {
    static final List<String> NON_KERNEL_TRANSPORTS = List.of("syslog", "journal", "stdout", "driver", "audit");
    private static final byte[] PREFIX = BlockedLineParser.PREFIX_START.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PREFIX_END = BlockedLineParser.PREFIX_END.getBytes(StandardCharsets.US_ASCII);

    private final String description;
    private final Opener opener;

    /** Opens the journal in the calling thread (handles are thread-confined). */
    interface Opener {
        Journal open();
    }

    private JournalInput(String description, Opener opener) {
        this.description = description;
        this.opener = opener;
    }

    static JournalInput localSystem() {
        return new JournalInput("the local system journal", () -> {
            Journal j = Journal.openLocalSystem();
            if (!j.hasFiles()) {
                j.close();
                throw new dev.opencode.tuner.journal.JournalException("no journal files are readable: run as root or"
                        + " as a member of the systemd-journal group, or pass --journal-dir/--kernel-log");
            }
            return j;
        });
    }

    /** Whether this machine has a system journal the current user can read. */
    static boolean localSystemReadable() {
        if (!Journal.isAvailable()) {
            return false;
        }
        try (Journal j = Journal.openLocalSystem()) {
            return j.hasFiles();
        } catch (dev.opencode.tuner.journal.JournalException e) {
            return false;
        }
    }

    static JournalInput directory(Path dir) {
        return new JournalInput("journal directory " + dir, () -> Journal.openDirectory(dir));
    }

    static JournalInput files(List<Path> files) {
        return new JournalInput(files.size() == 1 ? "journal file " + files.get(0) : files.size() + " journal files",
                () -> Journal.openFiles(files));
    }

    String description() {
        return description;
    }

    /** A prefix-matching kernel entry as copied out of libsystemd by the reader thread. */
    private record RawEntry(byte[] message, long realtimeUsec, long monotonicUsec, String bootId, String host) {
    }

    /** What the reader thread hands over: a batch, or the end (with the count of entries read, or a failure). */
    private record Batch(List<RawEntry> entries, long entriesRead, RuntimeException failure, boolean last) {
    }

    private static final int BATCH = 512;

    /**
     * Reads every kernel entry (from {@code filter.since()} on), parses blocked lines and passes the events on. A
     * dedicated platform thread owns the journal handle and copies prefix-matching entries out in batches; this
     * thread parses and aggregates them meanwhile. The bounded queue keeps memory flat on any journal size.
     */
    void readKernel(EventFilter filter, ReadCounters counters, Progress progress) {
        BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(64);
        Thread reader = Thread.ofPlatform().name("journal-reader").start(() -> readRaw(filter, queue, progress));
        BlockedLineParser parser = new BlockedLineParser();
        EventId ids = new EventId();
        try {
            while (true) {
                Batch batch = queue.take();
                for (RawEntry raw : batch.entries()) {
                    ParseResult result = parser.parse(new String(raw.message(), StandardCharsets.UTF_8));
                    if (result instanceof BlockedLine line) {
                        String id = ids.forJournalEntry(raw.bootId(), raw.monotonicUsec(), raw.realtimeUsec(),
                                raw.message(), 0, raw.message().length);
                        filter.accept(new BlockedEvent(id, raw.host(), Journal.usecToInstant(raw.realtimeUsec()),
                                Transport.KERNEL, line));
                    } else if (result instanceof ParseResult.Malformed bad) {
                        counters.malformed("entry of " + Journal.usecToInstant(raw.realtimeUsec()) + " (boot "
                                + raw.bootId() + ", monotonic " + raw.monotonicUsec() + " us)", bad.instance(),
                                bad.reason());
                    }
                }
                if (batch.last()) {
                    if (batch.failure() != null) {
                        throw batch.failure();
                    }
                    counters.entries += batch.entriesRead();
                    return;
                }
            }
        } catch (InterruptedException e) {
            reader.interrupt();
            Thread.currentThread().interrupt();
            throw new JournalException("interrupted while reading the journal");
        }
    }

    private void readRaw(EventFilter filter, BlockingQueue<Batch> queue, Progress progress) {
        long entries = 0;
        RuntimeException failure = null;
        try (Journal journal = opener.open()) {
            journal.addMatch("_TRANSPORT=kernel");
            if (filter.since() != null) {
                journal.seekRealtime(filter.since());
            } else {
                journal.seekHead();
            }
            List<RawEntry> batch = new ArrayList<>(BATCH);
            while (journal.next()) {
                entries++;
                progress.update(entries);
                byte[] message = journal.field(Journal.MESSAGE);
                if (message == null || !startsWith(message, PREFIX)) {
                    continue;
                }
                Journal.Monotonic monotonic = journal.monotonic();
                String host = journal.fieldText(Journal.HOSTNAME);
                batch.add(new RawEntry(message, journal.realtimeUsec(), monotonic.usec(), monotonic.bootId(),
                        host == null ? "unknown" : host));
                if (batch.size() == BATCH) {
                    queue.put(new Batch(batch, 0, null, false));
                    batch = new ArrayList<>(BATCH);
                }
            }
            queue.put(new Batch(batch, entries, null, true));
            return;
        } catch (RuntimeException e) {
            failure = e;
        } catch (InterruptedException e) {
            return; // the consumer gave up
        }
        try {
            queue.put(new Batch(List.of(), entries, failure, true));
        } catch (InterruptedException ignored) {
            Thread.currentThread().interrupt();
        }
    }

    /** Counts of the scan of non-kernel entries. */
    record SideScan(long spoofed, long missedKernelMessages) {
    }

    SideScan scanOtherTransports(EventFilter filter) {
        long spoofed = 0;
        long missed = 0;
        try (Journal journal = opener.open()) {
            for (String transport : NON_KERNEL_TRANSPORTS) {
                journal.addMatch("_TRANSPORT=" + transport); // same field: ORed
            }
            if (filter.since() != null) {
                journal.seekRealtime(filter.since());
            } else {
                journal.seekHead();
            }
            while (journal.next()) {
                byte[] message = journal.field(Journal.MESSAGE);
                if (message == null) {
                    continue;
                }
                if (startsWith(message, PREFIX) && contains(message, PREFIX_END)) {
                    if (filter.hostSelected(journal.fieldText(Journal.HOSTNAME))) {
                        spoofed++;
                    }
                } else if (startsWith(message, MISSED) && MISSED_ID.equals(journal.fieldText(MESSAGE_ID))
                        && filter.hostSelected(journal.fieldText(Journal.HOSTNAME))) {
                    missed += missedCount(new String(message, StandardCharsets.UTF_8));
                }
            }
        }
        return new SideScan(spoofed, missed);
    }

    /** "Missed N kernel messages": journald's report of loss in the kernel's log buffer. */
    private static final byte[] MISSED = "Missed ".getBytes(StandardCharsets.US_ASCII);
    private static final String MISSED_ID = "e9bf28e6e834481bb6f48f548ad13606";
    private static final Journal.FieldName MESSAGE_ID = Journal.fieldName("MESSAGE_ID");

    private static long missedCount(String message) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^Missed (\\d+) kernel messages").matcher(message);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static boolean startsWith(byte[] value, byte[] prefix) {
        if (value.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (value[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(byte[] value, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= value.length; i++) {
            for (int k = 0; k < part.length; k++) {
                if (value[i + k] != part[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
