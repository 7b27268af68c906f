package dev.opencode.tuner.policy.app.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumer's counters as Prometheus metrics. Meters are registered by name, so several consumers in one process
 * add to the same ones. No label carries an address, host or instance: the cardinality is fixed.
 */
public final class IngestMetrics {
    private final Counter consumed;
    private final Counter hostNotProven;
    private final Counter applied;
    private final Counter duplicates;
    private final Counter expired;
    private final Counter overflow;
    private final Counter deadLettered;
    private final Counter databaseErrors;
    private final Counter deadLetterErrors;
    private final Counter commitFailures;
    private final Counter pruned;
    private final Timer batches;
    private final AtomicLong lagMillis = new AtomicLong();

    public IngestMetrics(MeterRegistry registry) {
        consumed = Counter.builder("tuner.policy.records.consumed")
                .description("Kafka records read from the blocked-event topic").register(registry);
        applied = Counter.builder("tuner.policy.events.applied")
                .description("Blocked events counted into the aggregates (each event id once)").register(registry);
        duplicates = Counter.builder("tuner.policy.events.duplicates")
                .description("Blocked events whose id had been counted already (redeliveries)").register(registry);
        expired = Counter.builder("tuner.policy.events.expired")
                .description("Blocked events older than tuner.policy.dedupe.retention, not counted").register(registry);
        overflow = Counter.builder("tuner.policy.events.overflow")
                .description("Blocked events counted but not aggregated: their instance already had"
                        + " tuner.policy.aggregation.max-destinations-per-instance distinct destinations")
                .register(registry);
        hostNotProven = Counter.builder("tuner.policy.records.host.not.proven")
                .description("Records claiming a host other than the one whose topic they were written to (only"
                        + " that host's collector may write it): dead-lettered, never counted")
                .register(registry);
        deadLettered = Counter.builder("tuner.policy.records.dead.lettered")
                .description("Records that could not be read or validated, written to the dead-letter topic")
                .register(registry);
        databaseErrors = Counter.builder("tuner.policy.database.errors")
                .description("Batches whose database transaction failed (retried)").register(registry);
        deadLetterErrors = Counter.builder("tuner.policy.dead.letter.errors")
                .description("Batches whose dead letters were not acknowledged (retried)").register(registry);
        commitFailures = Counter.builder("tuner.policy.commit.failures")
                .description("Offset commits refused after the batch was applied (a rebalance: the batch is"
                        + " redelivered and counted once by event id)").register(registry);
        pruned = Counter.builder("tuner.policy.seen.pruned")
                .description("Event ids deleted after the dedupe retention").register(registry);
        batches = Timer.builder("tuner.policy.batch.duration")
                .description("From poll to offset commit, per batch")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(1)).register(registry);
        registry.gauge("tuner.policy.event.lag.seconds", lagMillis, v -> v.get() / 1000.0);
    }

    void hostNotProven(int count) {
        hostNotProven.increment(count);
    }

    void consumed(int count) {
        consumed.increment(count);
    }

    void batch(AggregateWriter.Result result, int deadLetters, long nanos) {
        applied.increment(result.applied());
        duplicates.increment(result.duplicates());
        expired.increment(result.expired());
        overflow.increment(result.overflow());
        deadLettered.increment(deadLetters);
        batches.record(Duration.ofNanos(nanos));
        if (result.newestApplied() != null) {
            lagMillis.set(Math.max(0, Duration.between(result.newestApplied(), Instant.now()).toMillis()));
        }
    }

    void databaseError() {
        databaseErrors.increment();
    }

    void deadLetterError() {
        deadLetterErrors.increment();
    }

    void commitFailed() {
        commitFailures.increment();
    }

    void pruned(long count) {
        pruned.increment(count);
    }
}
