package dev.opencode.tuner.collector.app;

import dev.opencode.tuner.collector.FollowerMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The follower's counters as Prometheus metrics. Values live in plain atomics read at scrape time (function
 * counters): the follower starts counting before every registry is attached, and no increment may be lost. No label
 * carries an address, host or instance, so cardinality is fixed.
 */
final class CollectorMetrics implements FollowerMetrics {
    private final AtomicLong entries = new AtomicLong();
    private final AtomicLong produced = new AtomicLong();
    private final AtomicLong spoofed = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong produceErrors = new AtomicLong();
    private final AtomicLong rewinds = new AtomicLong();
    private final AtomicLong missed = new AtomicLong();
    private final AtomicLong cursorGone = new AtomicLong();
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong lagMillis = new AtomicLong();
    private final AtomicLong uidMismatch = new AtomicLong();

    CollectorMetrics(MeterRegistry registry) {
        counter(registry, "tuner.collector.entries.read", "Journal entries read", entries);
        counter(registry, "tuner.collector.blocked.produced", "Blocked events acknowledged by Kafka", produced);
        counter(registry, "tuner.collector.spoofed", "Lines with the blocked prefix that did not come from the kernel",
                spoofed);
        counter(registry, "tuner.collector.malformed", "Kernel lines with the blocked prefix that could not be parsed",
                malformed);
        counter(registry, "tuner.collector.produce.errors",
                "Records whose delivery to Kafka failed (re-read from the saved cursor)", produceErrors);
        counter(registry, "tuner.collector.rewinds",
                "Times reading went back to the saved cursor after failed deliveries", rewinds);
        counter(registry, "tuner.collector.gap.missed.kernel.messages", "Kernel messages journald reported as missed",
                missed);
        counter(registry, "tuner.collector.gap.cursor.gone",
                "Starts whose saved cursor no longer existed (journal vacuumed): entries may be lost", cursorGone);
        counter(registry, "tuner.collector.cursor.commits", "Cursor saves", commits);
        counter(registry, "tuner.collector.uid.mismatch",
                "Kernel lines whose UID is not the instance user's (another network namespace or socket)", uidMismatch);
        registry.gauge("tuner.collector.journal.lag.seconds", lagMillis, v -> v.get() / 1000.0);
    }

    private static void counter(MeterRegistry registry, String name, String description, AtomicLong value) {
        FunctionCounter.builder(name, value, AtomicLong::get).description(description).register(registry);
    }

    @Override
    public void entriesRead(long count) {
        entries.addAndGet(count);
    }

    @Override
    public void blockedProduced() {
        produced.incrementAndGet();
    }

    @Override
    public void malformed() {
        malformed.incrementAndGet();
    }

    @Override
    public void spoofed() {
        spoofed.incrementAndGet();
    }

    @Override
    public void uidMismatch() {
        uidMismatch.incrementAndGet();
    }

    @Override
    public void produceFailed() {
        produceErrors.incrementAndGet();
    }

    @Override
    public void rewound() {
        rewinds.incrementAndGet();
    }

    @Override
    public void missedKernelMessages(long count) {
        missed.addAndGet(count);
    }

    @Override
    public void cursorGone() {
        cursorGone.incrementAndGet();
    }

    @Override
    public void lagSeconds(double seconds) {
        lagMillis.set((long) (seconds * 1000));
    }

    @Override
    public void committed() {
        commits.incrementAndGet();
    }
}
