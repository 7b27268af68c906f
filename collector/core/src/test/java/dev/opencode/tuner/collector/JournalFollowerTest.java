package dev.opencode.tuner.collector;

import static dev.opencode.tuner.journal.JournalFixture.T0_USEC;
import static dev.opencode.tuner.journal.JournalFixture.tcpLine;
import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.JournalEntries;
import dev.opencode.tuner.journal.Journal;
import dev.opencode.tuner.journal.JournalFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalFollowerTest {
    @TempDir
    Path tmp;

    private final List<Thread> threads = new ArrayList<>();
    private final List<JournalFollower> followers = new ArrayList<>();

    /** A sink that records what it received; acknowledges at once unless told to hold or fail. */
    static final class RecordingSink implements EventSink {
        final List<BlockedEvent> delivered = new CopyOnWriteArrayList<>();
        final List<MalformedLine> malformed = new CopyOnWriteArrayList<>();
        final ConcurrentLinkedQueue<Runnable> held = new ConcurrentLinkedQueue<>();
        volatile boolean hold;
        final AtomicInteger failNext = new AtomicInteger();

        @Override
        public void blocked(BlockedEvent event, Completion completion) {
            if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                completion.failed(new RuntimeException("broker unavailable (test)"));
                return;
            }
            if (hold) {
                held.add(() -> {
                    delivered.add(event);
                    completion.acknowledged();
                });
                return;
            }
            delivered.add(event);
            completion.acknowledged();
        }

        @Override
        public void malformed(MalformedLine line, Completion completion) {
            malformed.add(line);
            completion.acknowledged();
        }

        void release() {
            hold = false;
            Runnable r;
            while ((r = held.poll()) != null) {
                r.run();
            }
        }

        List<String> destinations() {
            return delivered.stream().map(e -> e.line().destination()).toList();
        }
    }

    static final class Counters implements FollowerMetrics {
        final AtomicLong entries = new AtomicLong();
        final AtomicLong spoofed = new AtomicLong();
        final AtomicLong missed = new AtomicLong();
        final AtomicLong gone = new AtomicLong();
        final AtomicLong failures = new AtomicLong();

        @Override
        public void entriesRead(long count) {
            entries.addAndGet(count);
        }

        @Override
        public void spoofed() {
            spoofed.incrementAndGet();
        }

        @Override
        public void missedKernelMessages(long count) {
            missed.addAndGet(count);
        }

        @Override
        public void cursorGone() {
            gone.incrementAndGet();
        }

        @Override
        public void produceFailed() {
            failures.incrementAndGet();
        }
    }

    private JournalFollower start(Path journalDir, Path state, EventSink sink, FollowerConfig config,
                                  FollowerMetrics metrics) throws Exception {
        JournalFollower follower = new JournalFollower(() -> Journal.openDirectory(journalDir), new CursorStore(state),
                sink, config, metrics, Clock.systemUTC());
        Thread t = Thread.ofPlatform().name("follower").start(follower);
        threads.add(t);
        followers.add(follower);
        return follower;
    }

    private void stop(JournalFollower follower) throws InterruptedException {
        follower.stop();
        Thread t = threads.get(followers.indexOf(follower));
        t.join(10_000);
        assertThat(t.isAlive()).as("follower stopped").isFalse();
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        for (JournalFollower f : followers) {
            f.stop();
        }
        for (Thread t : threads) {
            t.join(10_000);
        }
    }

    private static FollowerConfig config(int maxInFlight) {
        return new FollowerConfig(FollowerConfig.Start.HEAD, null, 100, maxInFlight, Duration.ofMillis(50),
                Duration.ofMillis(10), FollowerConfig.REOPEN_ENTRIES);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private static JournalFixture lines(JournalFixture fx, int from, int to) {
        for (int i = from; i < to; i++) {
            fx.kernel(tcpLine("web", "10.0.0.2", "192.0.2." + i, 443, 990));
        }
        return fx;
    }

    @Test
    void deliversKernelEventsAndResumesAfterTheCommittedCursorWithoutRepeats() throws Exception {
        Path dir = tmp.resolve("journal");
        lines(new JournalFixture(), 1, 6).writeJournal(dir.resolve("system.journal"));
        Path state = tmp.resolve("state");
        RecordingSink sink = new RecordingSink();
        JournalFollower f = start(dir, state, sink, config(100), new Counters());
        await(() -> sink.delivered.size() == 5, "5 events");
        stop(f);
        assertThat(Files.readString(state.resolve(CursorStore.FILE))).contains("s=");

        lines(new JournalFixture().at(T0_USEC + 60_000_000), 6, 9).writeJournal(dir.resolve("system.journal"));
        RecordingSink again = new RecordingSink();
        JournalFollower g = start(dir, state, again, config(100), new Counters());
        await(() -> again.delivered.size() == 3, "3 new events");
        Thread.sleep(200);
        stop(g);
        assertThat(again.destinations()).containsExactly("192.0.2.6", "192.0.2.7", "192.0.2.8");
    }

    @Test
    void reopensTheJournalEveryFewEntriesWithoutSkippingOrRepeatingOne() throws Exception {
        Path dir = tmp.resolve("journal");
        JournalFixture fx = new JournalFixture();
        List<String> expected = new java.util.ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            String destination = "198.51." + (i / 250) + "." + (i % 250);
            fx.kernel(tcpLine("web", "10.0.0.2", destination, 443, 990));
            expected.add(destination);
        }
        fx.writeJournal(dir.resolve("system.journal"));
        RecordingSink sink = new RecordingSink();
        FollowerConfig reopenOften = new FollowerConfig(FollowerConfig.Start.HEAD, null, 64, 1_000,
                Duration.ofMillis(50), Duration.ofMillis(10), 150); // reopened 6 times, mid-batch boundaries
        JournalFollower f = start(dir, tmp.resolve("state"), sink, reopenOften, new Counters());
        await(() -> sink.delivered.size() >= 1_000, "1,000 events");
        Thread.sleep(200);
        stop(f);
        assertThat(sink.destinations()).containsExactlyElementsOf(expected);
    }

    @Test
    void aFailedDeliveryRewindsToTheCommittedCursorSoNothingIsLost() throws Exception {
        Path dir = tmp.resolve("journal");
        lines(new JournalFixture(), 1, 11).writeJournal(dir.resolve("system.journal"));
        RecordingSink sink = new RecordingSink();
        sink.failNext.set(2);
        Counters counters = new Counters();
        JournalFollower f = start(dir, tmp.resolve("state"), sink, config(100), counters);
        await(() -> sink.destinations().containsAll(
                List.of("192.0.2.1", "192.0.2.2", "192.0.2.5", "192.0.2.10")), "every event delivered");
        stop(f);
        assertThat(counters.failures.get()).isEqualTo(2);
        assertThat(sink.destinations()).containsAll(
                List.of("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6", "192.0.2.7",
                        "192.0.2.8", "192.0.2.9", "192.0.2.10"));
        // Redelivered events keep their ids, so consumers count them once.
        assertThat(sink.delivered.stream().map(BlockedEvent::id).distinct().count()).isEqualTo(10);
    }

    @Test
    void stopsReadingWhileTheSinkDoesNotAcknowledgeAndResumesAfter() throws Exception {
        Path dir = tmp.resolve("journal");
        lines(new JournalFixture(), 1, 51).writeJournal(dir.resolve("system.journal"));
        RecordingSink sink = new RecordingSink();
        sink.hold = true;
        Counters counters = new Counters();
        JournalFollower f = start(dir, tmp.resolve("state"), sink, config(5), counters);
        await(() -> sink.held.size() == 5, "5 records in flight");
        Thread.sleep(300);
        assertThat(sink.held).hasSize(5); // bounded: no sixth record while five are unacknowledged
        assertThat(f.inFlight()).isEqualTo(5);
        assertThat(Files.exists(tmp.resolve("state").resolve(CursorStore.FILE))).isFalse();
        sink.release();
        await(() -> sink.delivered.size() == 50, "all 50 after the sink recovered");
        stop(f);
    }

    @Test
    void aVacuumedCursorIsCountedAsAGapAndNothingAfterItIsSkipped() throws Exception {
        JournalFixture fx = lines(new JournalFixture(), 1, 5);
        Path old = tmp.resolve("old");
        fx.writeJournal(old.resolve("system.journal"));
        Path state = tmp.resolve("state");
        RecordingSink first = new RecordingSink();
        JournalFollower f = start(old, state, first, config(100), new Counters());
        await(() -> first.delivered.size() == 4, "4 events");
        stop(f);
        // The journal after vacuum + rotation: only later entries remain, in a new file.
        Path now = tmp.resolve("now");
        lines(new JournalFixture().at(T0_USEC + 3_600_000_000L), 5, 8).writeJournal(now.resolve("system.journal"));
        RecordingSink second = new RecordingSink();
        Counters counters = new Counters();
        JournalFollower g = start(now, state, second, config(100), counters);
        await(() -> second.delivered.size() == 3, "3 events after the gap");
        stop(g);
        assertThat(counters.gone.get()).isEqualTo(1);
        assertThat(second.destinations()).containsExactly("192.0.2.5", "192.0.2.6", "192.0.2.7");
    }

    @Test
    void userspaceLinesAreNeverDeliveredEvenWithJournaldsMessageId() throws Exception {
        Path dir = tmp.resolve("journal");
        Map<String, byte[]> forged = new LinkedHashMap<>();
        forged.put("_TRANSPORT", b("journal"));
        forged.put("_HOSTNAME", b("web-1"));
        forged.put("MESSAGE_ID", b(JournalEntries.MISSED_MESSAGE_ID));
        forged.put("MESSAGE", b(tcpLine("web", "10.0.0.2", "203.0.113.66", 4444, 0)));
        Map<String, byte[]> missed = new LinkedHashMap<>();
        missed.put("_TRANSPORT", b("driver"));
        missed.put("_HOSTNAME", b("web-1"));
        missed.put("MESSAGE_ID", b(JournalEntries.MISSED_MESSAGE_ID));
        missed.put("MESSAGE", b("Missed 7 kernel messages"));
        new JournalFixture().add(forged).add(missed)
                .entry("stdout", tcpLine("web", "10.0.0.2", "203.0.113.67", 4444, 0))
                .kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 990))
                .kernel("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.2 DST=nonsense PROTO=TCP ")
                .writeJournal(dir.resolve("system.journal"));
        RecordingSink sink = new RecordingSink();
        Counters counters = new Counters();
        JournalFollower f = start(dir, tmp.resolve("state"), sink, config(100), counters);
        await(() -> sink.delivered.size() == 1 && sink.malformed.size() == 1, "one event, one malformed line");
        stop(f);
        assertThat(sink.destinations()).containsExactly("192.0.2.1");
        assertThat(counters.missed.get()).isEqualTo(7);
        assertThat(sink.malformed.get(0).reason()).contains("DST=");
    }

    @Test
    void fieldsForgedInTheLogPrefixAreRoutedAsideAsMalformed() throws Exception {
        Path dir = tmp.resolve("journal");
        new JournalFixture()
                .kernel("opencode-web-blocked: IN= OUT=eth0 SRC=10.0.0.2 DST=6.6.6.6 PROTO=TCP SPT=1 DPT=443 "
                        + "UID=990 GID=990 X" + tcpLine("web", "10.99.0.2", "192.0.2.9", 22, 0)
                                .substring("opencode-web-blocked: ".length()))
                .kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 990))
                .writeJournal(dir.resolve("system.journal"));
        RecordingSink sink = new RecordingSink();
        JournalFollower f = start(dir, tmp.resolve("state"), sink, config(100), new Counters());
        await(() -> sink.delivered.size() == 1 && sink.malformed.size() == 1, "one event, one malformed line");
        stop(f);
        assertThat(sink.destinations()).containsExactly("192.0.2.1");
        assertThat(sink.malformed.get(0).reason()).contains("'OUT=' appears twice");
    }

    @Test
    void followsEntriesAppendedWhileRunning() throws Exception {
        Path dir = tmp.resolve("journal");
        Path file = dir.resolve("system.journal");
        lines(new JournalFixture(), 1, 2).writeJournal(file);
        RecordingSink sink = new RecordingSink();
        JournalFollower f = start(dir, tmp.resolve("state"), sink,
                new FollowerConfig(FollowerConfig.Start.TAIL, null, 100, 100, Duration.ofMillis(50),
                        Duration.ofMillis(10), FollowerConfig.REOPEN_ENTRIES), new Counters());
        await(f::isRunning, "running");
        Thread.sleep(300);
        lines(new JournalFixture().at(T0_USEC + 5_000_000), 2, 4).writeJournal(file);
        await(() -> sink.delivered.size() == 2, "2 appended events");
        stop(f);
        assertThat(sink.destinations()).containsExactly("192.0.2.2", "192.0.2.3"); // TAIL: not the old one
    }

    @Test
    void theSpoofWatcherCountsUserspaceImitationsAppendedWhileItRuns() throws Exception {
        Path dir = tmp.resolve("journal");
        Path file = dir.resolve("system.journal");
        new JournalFixture().entry("stdout", tcpLine("web", "10.0.0.2", "203.0.113.1", 1, 0)) // before: not counted
                .writeJournal(file);
        Counters counters = new Counters();
        SpoofWatcher watcher = new SpoofWatcher(() -> Journal.openDirectory(dir), counters, Duration.ofMillis(50),
                3);
        Thread t = Thread.ofPlatform().start(watcher);
        Thread.sleep(300);
        new JournalFixture().at(T0_USEC + 10_000_000)
                .entry("stdout", tcpLine("web", "10.0.0.2", "203.0.113.2", 1, 0))
                .entry("syslog", tcpLine("docs", "10.0.0.2", "203.0.113.3", 1, 0))
                .kernel(tcpLine("web", "10.0.0.2", "192.0.2.1", 443, 990)) // the kernel's own: not a spoof
                .entry("stdout", "an unrelated line")
                .writeJournal(file);
        await(() -> counters.spoofed.get() == 2, "2 spoofed lines");
        Thread.sleep(200);
        watcher.stop();
        t.join(5_000);
        assertThat(counters.spoofed.get()).isEqualTo(2);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

}
