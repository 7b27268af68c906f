package dev.opencode.tuner.policy.app.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Per host and instance, from the aggregates in PostgreSQL, refreshed every {@code tuner.policy.metrics.refresh-interval}
 * (never per request or per batch): the blocked events counted ({@code tuner_policy_blocked_events_total}), the
 * distinct destinations blocked ({@code tuner_policy_instance_destinations}) and those first blocked within the last
 * hour ({@code tuner_policy_instance_new_destinations}). Read from the database, every policy
 * instance reports the same totals, which survive restarts: aggregate replicas with {@code max}, never {@code sum}.
 * Labels come from {@link InstanceLabels}; folded pairs are summed into {@code _other}.
 */
@ApplicationScoped
public class AggregateMetrics {
    private static final Logger LOG = Logger.getLogger(AggregateMetrics.class);
    /**
     * One pass over destination_aggregate, joined to the small instance table. "New" is by event time
     * ({@code first_seen}), so a collector catching up on an old journal raises no alarm, and a brand-new instance that
     * scans before the first refresh still counts.
     */
    static final String QUERY = """
            SELECT i.host, i.instance, i.events, coalesce(d.destinations, 0), coalesce(d.new_destinations, 0)
              FROM instance_aggregate i
              LEFT JOIN (SELECT host, instance, count(*) AS destinations,
                                count(*) FILTER (WHERE first_seen > now() - interval '1 hour') AS new_destinations
                           FROM destination_aggregate GROUP BY host, instance) d
                     ON d.host = i.host AND d.instance = i.instance
             ORDER BY i.host, i.instance
            """;

    private final DataSource dataSource;
    private final InstanceLabels labels;
    private final MeterRegistry registry;
    private final Counter errors;
    private final Map<Tags, Values> values = new ConcurrentHashMap<>();

    /** The current totals of one label set; read at scrape time. */
    static final class Values {
        volatile double events;
        volatile double destinations;
        volatile double newDestinations;
    }

    AggregateMetrics(DataSource dataSource, InstanceLabels labels, MeterRegistry registry) {
        this.dataSource = dataSource;
        this.labels = labels;
        this.registry = registry;
        this.errors = Counter.builder("tuner.policy.metrics.refresh.errors").tag("source", "database")
                .description("Refreshes of the metrics read from PostgreSQL or Kafka that failed (retried at the"
                        + " next interval)").register(registry);
    }

    @Scheduled(every = "${tuner.policy.metrics.refresh-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduledRefresh() {
        try {
            refresh();
        } catch (SQLException e) {
            errors.increment();
            LOG.warnf("refreshing the per-instance metrics from PostgreSQL failed (retried in the next interval): %s",
                    e.getMessage());
        }
    }

    /** Reads the totals and publishes them; new label sets get their meters on first sight. */
    public void refresh() throws SQLException {
        Map<Tags, double[]> totals = new HashMap<>();
        try (Connection connection = dataSource.getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(QUERY)) {
            while (rows.next()) {
                Tags tags = labels.tags(rows.getString(1), rows.getString(2));
                double[] t = totals.computeIfAbsent(tags, k -> new double[3]);
                t[0] += rows.getLong(3);
                t[1] += rows.getLong(4);
                t[2] += rows.getLong(5);
            }
        }
        totals.forEach((tags, t) -> {
            Values v = values.computeIfAbsent(tags, this::register);
            v.events = t[0];
            v.destinations = t[1];
            v.newDestinations = t[2];
        });
    }

    private Values register(Tags tags) {
        Values v = new Values();
        FunctionCounter.builder("tuner.policy.blocked.events", v, x -> x.events).tags(tags)
                .description("Blocked events counted into the aggregates (each event id once), per host and instance;"
                        + " the total in PostgreSQL, so every policy instance reports the same value")
                .register(registry);
        Gauge.builder("tuner.policy.instance.destinations", v, x -> x.destinations).tags(tags)
                .description("Distinct destinations blocked per host and instance, all time (PostgreSQL)")
                .register(registry);
        Gauge.builder("tuner.policy.instance.new.destinations", v, x -> x.newDestinations).tags(tags)
                .description("Distinct destinations per host and instance first blocked within the last hour, by"
                        + " event time (PostgreSQL)")
                .register(registry);
        return v;
    }
}
