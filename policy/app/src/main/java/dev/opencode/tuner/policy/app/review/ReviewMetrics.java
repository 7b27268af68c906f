package dev.opencode.tuner.policy.app.review;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import dev.opencode.tuner.policy.app.metrics.InstanceLabels;
import dev.opencode.tuner.review.DecisionOutcome;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The review's metrics: pending suggestions and the age of the oldest per host and instance (read from the database
 * every 30 s, so every policy instance reports the same), decisions by outcome, and the time from a destination's
 * first block to its decision. No label carries an address, a CIDR or a user name; host and instance come only
 * through {@link InstanceLabels}, which bounds them.
 */
@ApplicationScoped
public class ReviewMetrics {
    private static final Logger LOG = Logger.getLogger(ReviewMetrics.class);
    private static final String PENDING = """
            SELECT host, instance, count(*), extract(epoch FROM now() - min(pending_since))
              FROM suggestion
             WHERE stable AND (state = 'pending' OR (state = 'snoozed' AND snoozed_until <= now()))
             GROUP BY host, instance
            """;

    private final DataSource dataSource;
    // Filled in the constructor, only read after it: no concurrent map needed. Withdrawn is the service's, no decision.
    private final Map<DecisionOutcome, Counter> decisions = new EnumMap<>(DecisionOutcome.class);
    private final MeterRegistry registry;
    private final Timer firstBlockToDecision;
    private final Timer recomputation;
    private final MultiGauge pending;
    private final MultiGauge oldestPending;

    private final InstanceLabels labels;

    ReviewMetrics(MeterRegistry registry, DataSource dataSource, InstanceLabels labels) {
        this.registry = registry;
        this.dataSource = dataSource;
        this.labels = labels;
        for (DecisionOutcome outcome : List.of(DecisionOutcome.ACCEPTED, DecisionOutcome.REJECTED,
                DecisionOutcome.SNOOZED, DecisionOutcome.APPROVED)) {
            decisions.put(outcome, Counter.builder("tuner.policy.decisions").tag("outcome", outcome.text())
                    .description("Decisions on suggestions (approved: the first of two approvals under four-eyes)")
                    .register(registry));
        }
        firstBlockToDecision = Timer.builder("tuner.policy.first.block.to.decision")
                .description("From the first blocked event of a suggestion's destinations to its decision")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMinutes(1))
                .maximumExpectedValue(Duration.ofDays(90)).register(registry);
        recomputation = Timer.builder("tuner.policy.suggestions.recompute.duration")
                .description("Recomputing one instance's suggestions after new events or a decision")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
        pending = MultiGauge.builder("tuner.policy.suggestions.pending")
                .description("Pending (stable) suggestions per host and instance").register(registry);
        oldestPending = MultiGauge.builder("tuner.policy.suggestions.oldest.pending.age.seconds")
                .description("Age of the oldest pending suggestion per host and instance").register(registry);
    }

    void decided(DecisionOutcome outcome, Duration sinceFirstBlock) {
        decisions.get(outcome).increment();
        if (sinceFirstBlock != null && outcome != DecisionOutcome.APPROVED) {
            firstBlockToDecision.record(sinceFirstBlock.isNegative() ? Duration.ZERO : sinceFirstBlock);
        }
    }

    void recomputed(long nanos) {
        recomputation.record(Duration.ofNanos(nanos));
    }

    @Scheduled(every = "30s", delayed = "2s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        // Pairs beyond tuner.policy.metrics.max-instances share the _other series: their counts add up, and the
        // oldest age is the oldest of them.
        Map<Tags, double[]> byTags = new java.util.LinkedHashMap<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(PENDING);
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                double[] v = byTags.computeIfAbsent(labels.tags(r.getString(1), r.getString(2)),
                        k -> new double[2]);
                v[0] += r.getLong(3);
                v[1] = Math.max(v[1], r.getDouble(4));
            }
        } catch (SQLException e) {
            LOG.warnf("cannot read the pending suggestions for the metrics: SQLState %s: %s", e.getSQLState(),
                    e.getMessage());
            return;
        }
        List<MultiGauge.Row<?>> counts = new ArrayList<>();
        List<MultiGauge.Row<?>> ages = new ArrayList<>();
        byTags.forEach((tags, v) -> {
            counts.add(MultiGauge.Row.of(tags, v[0]));
            ages.add(MultiGauge.Row.of(tags, v[1]));
        });
        pending.register(counts, true);
        oldestPending.register(ages, true);
    }

    MeterRegistry registry() {
        return registry;
    }
}
