package dev.opencode.tuner.collector.app;

import dev.opencode.tuner.collector.FollowerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/** The follower's counters as Prometheus metrics. No label carries an address, host or instance: bounded. */
final class CollectorMetrics implements FollowerMetrics {
    private final Counter entries;
    private final Counter produced;
    private final Counter spoofed;
    private final Counter malformed;
    private final Counter produceErrors;
    private final Counter missed;
    private final Counter cursorGone;
    private final Counter commits;
    private final AtomicLong lagMillis = new AtomicLong();

    CollectorMetrics(MeterRegistry registry) {
        entries = Counter.builder("tuner.collector.entries.read").description("Journal entries read").register(registry);
        produced = Counter.builder("tuner.collector.blocked.produced")
                .description("Blocked events acknowledged by Kafka").register(registry);
        spoofed = Counter.builder("tuner.collector.spoofed")
                .description("Lines with the blocked prefix that did not come from the kernel").register(registry);
        malformed = Counter.builder("tuner.collector.malformed")
                .description("Kernel lines with the blocked prefix that could not be parsed").register(registry);
        produceErrors = Counter.builder("tuner.collector.produce.errors")
                .description("Records whose delivery to Kafka failed (re-read from the saved cursor)").register(registry);
        missed = Counter.builder("tuner.collector.gap.missed.kernel.messages")
                .description("Kernel messages journald reported as missed").register(registry);
        cursorGone = Counter.builder("tuner.collector.gap.cursor.gone")
                .description("Restarts whose saved cursor no longer existed (journal vacuumed)").register(registry);
        commits = Counter.builder("tuner.collector.cursor.commits").description("Cursor saves").register(registry);
        registry.gauge("tuner.collector.journal.lag.seconds", lagMillis, v -> v.get() / 1000.0);
    }

    @Override
    public void entriesRead(long count) {
        entries.increment(count);
    }

    @Override
    public void blockedProduced() {
        produced.increment();
    }

    @Override
    public void malformed() {
        malformed.increment();
    }

    @Override
    public void spoofed() {
        spoofed.increment();
    }

    @Override
    public void produceFailed() {
        produceErrors.increment();
    }

    @Override
    public void missedKernelMessages(long count) {
        missed.increment(count);
    }

    @Override
    public void cursorGone() {
        cursorGone.increment();
    }

    @Override
    public void lagSeconds(double seconds) {
        lagMillis.set((long) (seconds * 1000));
    }

    @Override
    public void committed() {
        commits.increment();
    }
}
