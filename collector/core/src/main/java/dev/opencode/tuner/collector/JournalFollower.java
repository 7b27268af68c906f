package dev.opencode.tuner.collector;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.BlockedLineParser;
import dev.opencode.tuner.blocked.EventId;
import dev.opencode.tuner.blocked.JournalEntries;
import dev.opencode.tuner.blocked.ParseResult;
import dev.opencode.tuner.blocked.Transport;
import dev.opencode.tuner.journal.InstanceUsers;
import dev.opencode.tuner.journal.Journal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Follows the journal's kernel entries and hands blocked events to a sink with at-least-once delivery: the cursor
 * is saved only after every record read before it was acknowledged ({@link AckTracker}); on restart the follower
 * resumes after the saved cursor without skipping ({@link Journal#seekAfterCursor}); a failed delivery makes it
 * rewind to the saved cursor and read again (consumers deduplicate by event id). Records in flight are bounded, so
 * a sink that stops acknowledging (Kafka down) stops the reading and memory stays flat.
 *
 * <p>Runs on the thread that calls {@link #run()}, which owns the journal handle: use a dedicated platform thread.
 */
public final class JournalFollower implements Runnable {
    private static final System.Logger LOG = System.getLogger(JournalFollower.class.getName());

    private final Supplier<Journal> opener;
    private final CursorStore cursors;
    private final EventSink sink;
    private final FollowerConfig config;
    private final FollowerMetrics metrics;
    private final Clock clock;
    private final AckTracker tracker = new AckTracker();
    private final Semaphore permits;
    private final BlockedLineParser parser = new BlockedLineParser();
    private final EventId ids = new EventId();
    /** For this machine's own journal: only lines with the instance user's uid count (null: no check). */
    private final InstanceUsers instanceUsers;
    private volatile boolean stopping;
    private volatile boolean running;
    private long lastCommitNanos;

    public JournalFollower(Supplier<Journal> opener, CursorStore cursors, EventSink sink, FollowerConfig config,
                           FollowerMetrics metrics, Clock clock) {
        this(opener, cursors, sink, config, metrics, clock, null);
    }

    /**
     * With {@code instanceUsers}, a kernel line becomes an event only when its {@code UID=} is the uid of the local
     * user {@code opencode-<name>}: with {@code nf_log_all_netns=1}, anyone who may create a network namespace can
     * make the kernel log the prefix. Use it when following this machine's own journal.
     */
    public JournalFollower(Supplier<Journal> opener, CursorStore cursors, EventSink sink, FollowerConfig config,
                           FollowerMetrics metrics, Clock clock, InstanceUsers instanceUsers) {
        this.instanceUsers = instanceUsers;
        this.opener = opener;
        this.cursors = cursors;
        this.sink = sink;
        this.config = config;
        this.metrics = metrics;
        this.clock = clock;
        this.permits = new Semaphore(config.maxInFlight());
    }

    /** Asks the loop to finish: it stops reading, waits for what is in flight, commits and closes the journal. */
    public void stop() {
        stopping = true;
    }

    public boolean isRunning() {
        return running;
    }

    /** Records produced and not yet acknowledged. */
    public int inFlight() {
        return tracker.inFlight();
    }

    @Override
    public void run() {
        running = true;
        Journal journal = open();
        try {
            position(journal);
            long sinceOpen = 0;
            while (!stopping) {
                int read = readBatch(journal);
                if (tracker.failures() > 0) {
                    rewind(journal);
                    continue;
                }
                commit(read == 0);
                sinceOpen += read;
                if (read > 0 && config.reopenEntries() > 0 && sinceOpen >= config.reopenEntries()) {
                    journal = reopen(journal);
                    sinceOpen = 0;
                } else if (read == 0) {
                    journal.waitForChange(config.pollTimeout());
                }
            }
            tracker.awaitSettled(30_000);
            commit(true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            journal.close();
            running = false;
        }
    }

    private Journal open() {
        Journal journal = opener.get();
        journal.addMatch(JournalEntries.KERNEL_MATCH);
        journal.addDisjunction();
        journal.addMatch(JournalEntries.MISSED_MATCH);
        return journal;
    }

    /**
     * Closes the handle and opens a new one right after the last entry read: drops the windows libsystemd mapped,
     * which it keeps for the life of a handle. Nothing is skipped or read twice (the read position is that cursor).
     */
    private Journal reopen(Journal journal) {
        String cursor = journal.cursor();
        journal.close();
        Journal reopened = open();
        if (reopened.seekAfterCursor(cursor) == Journal.Resume.GONE) {
            metrics.cursorGone();
            LOG.log(System.Logger.Level.WARNING, "the journal entry last read was vacuumed or rotated away while"
                    + " reading: resuming at the next entry that exists; entries in between are lost");
        }
        return reopened;
    }

    /** Where the first read lands: after the saved cursor, else the configured start. */
    private void position(Journal journal) {
        Optional<String> saved = load();
        if (saved.isPresent()) {
            if (journal.seekAfterCursor(saved.get()) == Journal.Resume.GONE) {
                metrics.cursorGone();
                LOG.log(System.Logger.Level.WARNING, "the saved journal cursor no longer exists (journal vacuumed or"
                        + " rotated away, or another machine's journal): resuming at the next entry that exists;"
                        + " entries in between are lost");
            }
            return;
        }
        switch (config.start()) {
            case HEAD -> journal.seekHead();
            case TAIL -> {
                if (journal.seekLast()) {
                    // Remember "after this entry" at once: a rewind before the first commit must not jump to the
                    // then-current tail and skip what was read since.
                    save(journal.cursor());
                }
            }
            case SINCE -> journal.seekRealtime(config.since());
            default -> throw new IllegalStateException("unknown start " + config.start());
        }
    }

    private Optional<String> load() {
        try {
            return cursors.load();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int readBatch(Journal journal) throws InterruptedException {
        int read = 0;
        long lastRealtime = -1;
        while (read < config.batchSize() && !stopping && tracker.failures() == 0 && journal.next()) {
            read++;
            byte[] message = journal.field(Journal.MESSAGE);
            if (message == null) {
                continue;
            }
            lastRealtime = journal.realtimeUsec();
            switch (classify(journal, message)) {
                case KERNEL_PREFIXED -> handlePrefixed(journal, message, lastRealtime);
                case MISSED_KERNEL_MESSAGES -> metrics.missedKernelMessages(JournalEntries.missedCount(message));
                // SPOOFED: in through the MESSAGE_ID match; never an event (the SpoofWatcher counts it)
                case SPOOFED, OTHER -> { }
            }
        }
        if (read > 0) {
            metrics.entriesRead(read);
            tracker.checkpoint(journal.cursor());
            if (lastRealtime >= 0) {
                metrics.lagSeconds(Math.max(0, clock.millis() * 1000L - lastRealtime) / 1e6);
            }
        }
        return read;
    }

    /**
     * The entry {@code journal} is at, classified by the contract's rule ({@link JournalEntries}): its fields are read
     * only when the message needs them. Shared with the {@link SpoofWatcher}.
     */
    static JournalEntries.Kind classify(Journal journal, byte[] message) {
        return JournalEntries.classify(message, () -> journal.fieldText(Journal.TRANSPORT),
                () -> journal.fieldText(Journal.MESSAGE_ID));
    }

    /** A kernel entry with the blocked prefix ({@link JournalEntries.Kind#KERNEL_PREFIXED}). */
    private void handlePrefixed(Journal journal, byte[] message, long realtime) throws InterruptedException {
        String text = new String(message, StandardCharsets.UTF_8);
        ParseResult result = parser.parse(text);
        if (result == ParseResult.Unrelated.INSTANCE) {
            return;
        }
        String host = journal.fieldText(Journal.HOSTNAME);
        host = host == null ? "unknown" : host;
        if (result instanceof BlockedLine line) {
            if (instanceUsers != null) {
                Long expected = instanceUsers.uidOf(line.instance());
                if (expected == null || !expected.equals(line.uid())) {
                    metrics.uidMismatch();
                    return;
                }
            }
            Journal.Monotonic monotonic = journal.monotonic();
            String id = ids.forJournalEntry(monotonic.bootId(), monotonic.usec(), realtime, message, 0,
                    message.length);
            BlockedEvent event = new BlockedEvent(id, host, Journal.usecToInstant(realtime), Transport.KERNEL, line);
            AckTracker.Slot slot = reserve();
            sink.blocked(event, completion(slot, true));
        } else if (result instanceof ParseResult.Malformed bad) {
            metrics.malformed();
            AckTracker.Slot slot = reserve();
            sink.malformed(new EventSink.MalformedLine(host, bad.instance(), bad.reason(), text, journal.cursor()),
                    completion(slot, false));
        }
    }

    private AckTracker.Slot reserve() throws InterruptedException {
        permits.acquire(); // blocks while maxInFlight records wait for their acknowledgement
        return tracker.event();
    }

    private EventSink.Completion completion(AckTracker.Slot slot, boolean blocked) {
        return new EventSink.Completion() {
            @Override
            public void acknowledged() {
                tracker.acknowledge(slot);
                permits.release();
                if (blocked) {
                    metrics.blockedProduced();
                }
            }

            @Override
            public void failed(Throwable cause) {
                metrics.produceFailed();
                LOG.log(System.Logger.Level.WARNING, "delivery failed, will re-read from the saved cursor: "
                        + cause.getMessage());
                tracker.fail(slot);
                permits.release();
            }
        };
    }

    /** After a failed delivery: let everything in flight settle, keep the committable prefix, re-read the rest. */
    private void rewind(Journal journal) throws InterruptedException {
        while (!tracker.awaitSettled(1_000)) {
            if (stopping) {
                return;
            }
        }
        commit(true);
        tracker.reset();
        metrics.rewound();
        Optional<String> saved = load();
        if (saved.isPresent()) {
            journal.seekAfterCursor(saved.get());
        } else {
            position(journal);
        }
    }

    private void commit(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastCommitNanos < config.commitInterval().toNanos()) {
            return;
        }
        String cursor = tracker.drainCommittable();
        if (cursor == null) {
            return;
        }
        save(cursor);
        lastCommitNanos = now;
        metrics.committed();
    }

    private void save(String cursor) {
        try {
            cursors.save(cursor);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the journal cursor to " + cursors.file(), e);
        }
    }
}
