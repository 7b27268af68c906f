package dev.opencode.tuner.cli.suggest;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.BlockedLineParser;
import dev.opencode.tuner.blocked.EventId;
import dev.opencode.tuner.blocked.JournalEntries;
import dev.opencode.tuner.blocked.ParseResult;
import dev.opencode.tuner.blocked.Transport;
import dev.opencode.tuner.journal.Journal;
import dev.opencode.tuner.journal.JournalException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads blocked events from systemd journal files through libsystemd. Only {@code _TRANSPORT=kernel} entries are
 * read for events (the match runs inside libsystemd, on its index); a second pass over the other transports, on its
 * own thread and handle, counts userspace lines that imitate the prefix ("spoofed").
 */
final class JournalInput {

    private final String description;
    private final Opener opener;
    /** For this machine's own journal: lines must carry the instance user's uid (see {@link InstanceUsers}). */
    private final boolean verifyUid;

    /** Opens the journal in the calling thread (handles are thread-confined). */
    interface Opener {
        Journal open();
    }

    private JournalInput(String description, Opener opener, boolean verifyUid) {
        this.description = description;
        this.opener = opener;
        this.verifyUid = verifyUid;
    }

    boolean verifiesUid() {
        return verifyUid;
    }

    static JournalInput localSystem() {
        return new JournalInput("the local system journal", () -> {
            Journal j = Journal.openLocalSystem();
            if (!j.hasFiles()) {
                j.close();
                throw new JournalException("no journal files are readable: run as root or"
                        + " as a member of the systemd-journal group, or pass --journal-dir/--kernel-log");
            }
            return j;
        }, true);
    }

    /**
     * Whether this machine has a system journal at all (libsystemd and a journal directory). A journal that exists
     * but cannot be read is an error for the user to fix, never a reason to show demo data instead.
     */
    static boolean localJournalExists() {
        return Journal.isAvailable() && (java.nio.file.Files.isDirectory(Path.of("/var/log/journal"))
                || java.nio.file.Files.isDirectory(Path.of("/run/log/journal")));
    }

    static JournalInput directory(Path dir) {
        return new JournalInput("journal directory " + dir, () -> Journal.openDirectory(dir), false);
    }

    static JournalInput files(List<Path> files) {
        return new JournalInput(files.size() == 1 ? "journal file " + files.get(0) : files.size() + " journal files",
                () -> Journal.openFiles(files), false);
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
        Thread reader = Thread.ofPlatform().name("journal-reader").daemon(true)
                .start(() -> readRaw(filter, queue, progress));
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
            Thread.currentThread().interrupt();
            throw new JournalException("interrupted while reading the journal");
        } finally {
            reader.interrupt(); // a no-op after a normal end; frees a reader blocked on a full queue otherwise
            try {
                reader.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void readRaw(EventFilter filter, BlockingQueue<Batch> queue, Progress progress) {
        long entries = 0;
        RuntimeException failure = null;
        List<RawEntry> batch = new ArrayList<>(BATCH);
        try (Journal journal = opener.open()) {
            journal.addMatch(JournalEntries.KERNEL_MATCH);
            seekStart(journal, filter);
            while (journal.next()) {
                entries++;
                progress.update(entries);
                byte[] message = journal.field(Journal.MESSAGE);
                if (message == null || classify(journal, message) != JournalEntries.Kind.KERNEL_PREFIXED) {
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
        } catch (InterruptedException e) {
            return; // the consumer gave up and interrupted us
        } catch (RuntimeException e) {
            failure = e;
        } catch (Throwable e) { // an Error (e.g. JNA's native part missing): report it, never leave the consumer waiting
            failure = new JournalException("the journal reader failed: " + e);
        }
        try {
            queue.put(new Batch(failure == null ? batch : List.of(), entries, failure, true));
        } catch (InterruptedException e) {
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
            // No match: every transport, and entries without _TRANSPORT, must be seen to count imitations.
            seekStart(journal, filter);
            while (journal.next()) {
                byte[] message = journal.field(Journal.MESSAGE);
                if (message == null) {
                    continue;
                }
                switch (classify(journal, message)) {
                    case SPOOFED -> {
                        if (filter.selected(journal.fieldText(Journal.HOSTNAME),
                                JournalEntries.claimedInstance(message))) {
                            spoofed++;
                        }
                    }
                    case MISSED_KERNEL_MESSAGES -> {
                        if (filter.hostSelected(journal.fieldText(Journal.HOSTNAME))) {
                            missed += JournalEntries.missedCount(message);
                        }
                    }
                    case KERNEL_PREFIXED, OTHER -> { }
                }
            }
        }
        return new SideScan(spoofed, missed);
    }

    private static void seekStart(Journal journal, EventFilter filter) {
        if (filter.since() != null) {
            journal.seekRealtime(filter.since());
        } else {
            journal.seekHead();
        }
    }

    /** The entry {@code journal} is at, classified by the contract's rule (fields read only when it needs them). */
    private static JournalEntries.Kind classify(Journal journal, byte[] message) {
        return JournalEntries.classify(message, () -> journal.fieldText(Journal.TRANSPORT),
                () -> journal.fieldText(Journal.MESSAGE_ID));
    }
}
