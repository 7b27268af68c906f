package dev.opencode.tuner.policy.app.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * What the hosts report of their nftables egress tables (tables {@code host_state} and {@code host_allow_counter}),
 * from PostgreSQL, refreshed every {@code tuner.policy.metrics.refresh-interval} (never per request): per host the age
 * of its last report ({@code tuner_policy_host_state_age_seconds}, computed at scrape time from the report's read time,
 * so it keeps growing while nothing arrives or the database cannot be read) and whether that report had problems
 * ({@code tuner_policy_host_state_problems}, 0 or 1); per host and instance the allowlist entries in force
 * ({@code tuner_policy_allowlist_entries}) and those whose counter has not moved for
 * {@code tuner.policy.metrics.unused-after} ({@code tuner_policy_allowlist_unused_entries}; an entry never used counts
 * from its first report). Database totals like {@link AggregateMetrics}: aggregate replicas with {@code max}. Labels come
 * from {@link InstanceLabels}; folded hosts report the oldest age and any problem, folded pairs the sum of entries.
 */
@ApplicationScoped
@Startup // a bad tuner.policy.metrics.unused-after fails the start, naming the key
public class HostStateMetrics {
    private static final Logger LOG = Logger.getLogger(HostStateMetrics.class);
    static final String HOSTS_QUERY = """
            SELECT host, extract(epoch FROM read_at),
                   CASE WHEN json_typeof(problems) = 'array' THEN json_array_length(problems) > 0
                        ELSE json_typeof(problems) <> 'null' END
              FROM host_state ORDER BY host
            """;
    /** The last clean report's entries: a report with problems keeps them as they were. */
    static final String ENTRIES_QUERY = """
            SELECT host, instance, count(*),
                   count(*) FILTER (WHERE coalesce(last_used, first_reported) < now() - ? * interval '1 second')
              FROM host_allow_counter GROUP BY host, instance ORDER BY host, instance
            """;

    private final DataSource dataSource;
    private final InstanceLabels labels;
    private final MeterRegistry registry;
    private final Clock clock;
    private final long unusedAfterSeconds;
    private final Counter errors;
    private final Map<Tags, HostValues> hosts = new ConcurrentHashMap<>();
    private final Map<Tags, EntryValues> entries = new ConcurrentHashMap<>();

    /** The last report of one host label; read at scrape time. */
    static final class HostValues {
        volatile double readAtSeconds;
        volatile double problems;
        final List<Meter> meters = new ArrayList<>();
    }

    /** The entries of one host × instance label set; read at scrape time. */
    static final class EntryValues {
        volatile double entries;
        volatile double unused;
    }

    @Inject
    HostStateMetrics(DataSource dataSource, InstanceLabels labels, MeterRegistry registry, MetricsConfig config) {
        this(dataSource, labels, registry, config.unusedAfter(), Clock.systemUTC());
    }

    HostStateMetrics(DataSource dataSource, InstanceLabels labels, MeterRegistry registry, Duration unusedAfter,
            Clock clock) {
        if (unusedAfter.isNegative() || unusedAfter.isZero()) {
            throw new IllegalArgumentException("tuner.policy.metrics.unused-after must be positive (e.g. 30d), got "
                    + unusedAfter);
        }
        this.dataSource = dataSource;
        this.labels = labels;
        this.registry = registry;
        this.clock = clock;
        this.unusedAfterSeconds = unusedAfter.toSeconds();
        // The same meter as AggregateMetrics' (name and tags): Micrometer hands back the registered counter.
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
            LOG.warnf("refreshing the host-state metrics from PostgreSQL failed (retried in the next interval): %s",
                    e.getMessage());
        }
    }

    /** Reads the hosts' last reports and their entries, and publishes them; new label sets get meters on first sight. */
    public void refresh() throws SQLException {
        Map<Tags, double[]> perHost = new HashMap<>();
        Map<Tags, double[]> perInstance = new HashMap<>();
        try (Connection connection = dataSource.getConnection()) {
            try (Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery(HOSTS_QUERY)) {
                while (rows.next()) {
                    double[] h = perHost.computeIfAbsent(labels.hostTags(rows.getString(1)),
                            k -> new double[] {Double.MAX_VALUE, 0});
                    h[0] = Math.min(h[0], rows.getDouble(2)); // folded hosts: the oldest report
                    h[1] = Math.max(h[1], rows.getBoolean(3) ? 1 : 0);
                }
            }
            try (PreparedStatement statement = connection.prepareStatement(ENTRIES_QUERY)) {
                statement.setLong(1, unusedAfterSeconds);
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        double[] e = perInstance.computeIfAbsent(labels.tags(rows.getString(1), rows.getString(2)),
                                k -> new double[2]);
                        e[0] += rows.getLong(3);
                        e[1] += rows.getLong(4);
                    }
                }
            }
        }
        // A host whose row was deleted (decommissioned): its series end, rather than an age that grows forever.
        hosts.keySet().removeIf(tags -> {
            if (perHost.containsKey(tags)) {
                return false;
            }
            hosts.get(tags).meters.forEach(registry::remove);
            return true;
        });
        perHost.forEach((tags, h) -> {
            HostValues v = hosts.computeIfAbsent(tags, this::registerHost);
            v.readAtSeconds = h[0];
            v.problems = h[1];
        });
        // An instance gone from a host's table (its rows replaced by a clean report) has no entries in force any more.
        entries.forEach((tags, v) -> {
            if (!perInstance.containsKey(tags)) {
                v.entries = 0;
                v.unused = 0;
            }
        });
        perInstance.forEach((tags, e) -> {
            EntryValues v = entries.computeIfAbsent(tags, this::registerEntries);
            v.entries = e[0];
            v.unused = e[1];
        });
    }

    private double ageSeconds(HostValues v) {
        return Math.max(0, clock.millis() / 1000.0 - v.readAtSeconds);
    }

    private HostValues registerHost(Tags tags) {
        HostValues v = new HostValues();
        v.meters.add(Gauge.builder("tuner.policy.host.state.age.seconds", v, this::ageSeconds).tags(tags)
                .description("Seconds since the collector read the host's nftables egress table for its last report"
                        + " that reached PostgreSQL, computed at scrape time")
                .register(registry));
        v.meters.add(Gauge.builder("tuner.policy.host.state.problems", v, x -> x.problems).tags(tags)
                .description("1 when the host's last nftables state report had problems (table missing, nft"
                        + " failed), else 0 (PostgreSQL)")
                .register(registry));
        return v;
    }

    private EntryValues registerEntries(Tags tags) {
        EntryValues v = new EntryValues();
        Gauge.builder("tuner.policy.allowlist.entries", v, x -> x.entries).tags(tags)
                .description("Allowlist entries in force on the host for the instance, as its last clean nftables"
                        + " report listed them (PostgreSQL)")
                .register(registry);
        Gauge.builder("tuner.policy.allowlist.unused.entries", v, x -> x.unused).tags(tags)
                .description("Allowlist entries in force whose counter has not moved for"
                        + " tuner.policy.metrics.unused-after (never used: since first reported)")
                .register(registry);
        return v;
    }
}
