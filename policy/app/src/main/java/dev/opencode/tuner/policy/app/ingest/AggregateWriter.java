package dev.opencode.tuner.policy.app.ingest;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.policy.app.ingest.AggregateStore.DayKey;
import dev.opencode.tuner.policy.app.ingest.AggregateStore.Key;
import dev.opencode.tuner.suggest.InstanceAggregate;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Applies a batch of blocked events to the PostgreSQL aggregates in one transaction, counting each event id once
 * ever: the ids go into {@code seen_event} with {@code ON CONFLICT DO NOTHING} in the same transaction as the
 * aggregate upserts, and only the ids that were new are aggregated. A batch is a handful of set-based statements
 * (arrays through {@code unnest}), whatever its size.
 *
 * <p>Rows are written in one fixed order (host, instance, destination; ids sorted), so that two policy instances
 * writing the same rows at once (a rebalance) wait for each other instead of deadlocking; a deadlock or
 * serialization failure that happens anyway is retried here. Thread-safe: all state is in the database.
 *
 * <p>The statements are {@link AggregateStore}'s; this class decides what goes into them (duplicates, the retention
 * horizon, the cap on destinations, the order) and owns the transaction.
 */
public final class AggregateWriter {
    /**
     * What a batch did: events counted, events whose id was already counted, events older than the retention, and
     * events counted (their id is remembered) but not aggregated because their instance already had the maximum
     * number of distinct destinations.
     */
    public record Result(int applied, int duplicates, int expired, int overflow, Instant newestApplied) {
        static final Result EMPTY = new Result(0, 0, 0, 0, null);

        Result plus(Result other) {
            Instant newest = newestApplied == null || (other.newestApplied != null
                    && other.newestApplied.isAfter(newestApplied)) ? other.newestApplied : newestApplied;
            return new Result(applied + other.applied, duplicates + other.duplicates, expired + other.expired,
                    overflow + other.overflow, newest);
        }
    }

    /** The default of {@code tuner.policy.aggregation.max-destinations-per-instance}. */
    public static final int DEFAULT_MAX_DESTINATIONS = 10_000;

    /** Safety margin between the counting horizon and the pruning horizon (clock corrections on the server). */
    static final Duration PRUNE_MARGIN = Duration.ofDays(1);
    private static final int ATTEMPTS = 5;
    private static final int PRUNE_CHUNK = 10_000;
    private static final AggregateStore STORE = new AggregateStore();

    private final DataSource dataSource;
    private final Duration retention;
    /** Null: the database's clock, which every policy instance shares. */
    private final Clock clock;
    private final int maxDestinations;

    public AggregateWriter(DataSource dataSource, Duration retention) {
        this(dataSource, retention, null);
    }

    /**
     * A writer whose retention horizon is measured from {@code clock} instead of the database's {@code now()}: tests
     * run the aggregation as if on another date (so no fixture can rely on a fixed one).
     */
    public AggregateWriter(DataSource dataSource, Duration retention, Clock clock) {
        this(dataSource, retention, clock, DEFAULT_MAX_DESTINATIONS);
    }

    /**
     * @param maxDestinations distinct destinations kept per instance: the suggestions of an instance are computed in
     *        memory from all of them, and an agent can make up any number
     */
    public AggregateWriter(DataSource dataSource, Duration retention, Clock clock, int maxDestinations) {
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("tuner.policy.dedupe.retention must be positive, got " + retention);
        }
        if (maxDestinations < 1) {
            throw new IllegalArgumentException("tuner.policy.aggregation.max-destinations-per-instance must be at"
                    + " least 1, got " + maxDestinations);
        }
        this.dataSource = dataSource;
        this.retention = retention;
        this.clock = clock;
        this.maxDestinations = maxDestinations;
    }

    /** Applies the events (in their order: it decides which sample sources are kept) and commits. */
    public Result apply(List<BlockedEvent> events) throws SQLException {
        if (events.isEmpty()) {
            return Result.EMPTY;
        }
        for (int attempt = 1; ; attempt++) {
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(false);
                try {
                    Result result = applyInTransaction(connection, events);
                    connection.commit();
                    connection.setAutoCommit(true);
                    return result;
                } catch (SQLException | RuntimeException e) {
                    rollback(connection, e);
                    throw e;
                }
            } catch (SQLException e) {
                if (attempt >= ATTEMPTS || !isTransient(e)) {
                    throw e;
                }
                // A deadlock or serialization failure rolled everything back: the batch is simply applied again.
            }
        }
    }

    /** Deletes the ids of events older than the retention plus a day, in chunks; returns how many. */
    public long prune() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            return STORE.pruneSeen(connection, retention.plus(PRUNE_MARGIN), PRUNE_CHUNK);
        }
    }

    /** Deletes the per-day counts of days older than the history retention; returns how many rows. */
    public long pruneDays(Duration history) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            return STORE.pruneDays(connection, history);
        }
    }

    private Result applyInTransaction(Connection connection, List<BlockedEvent> events) throws SQLException {
        Instant horizon = (clock == null ? STORE.now(connection) : clock.instant()).minus(retention);
        // The first of several deliveries within one batch wins; an id's first delivery keeps its place in the order.
        Map<String, BlockedEvent> byId = new LinkedHashMap<>();
        int duplicates = 0;
        int expired = 0;
        for (BlockedEvent event : events) {
            if (event.time().isBefore(horizon)) {
                expired++;
            } else if (byId.putIfAbsent(event.id(), event) != null) {
                duplicates++;
            }
        }
        if (byId.isEmpty()) {
            return new Result(0, duplicates, expired, 0, null);
        }
        Set<String> newIds = STORE.insertSeen(connection, byId.values());
        duplicates += byId.size() - newIds.size();

        Set<String> overflowIds = beyondTheCap(connection, byId.values(), newIds);

        Map<Key, InstanceAggregate> aggregates = new LinkedHashMap<>();
        Map<DayKey, Long> days = new TreeMap<>();
        Instant newest = null;
        for (BlockedEvent event : byId.values()) {
            if (newIds.contains(event.id()) && !overflowIds.contains(event.id())) {
                aggregates.computeIfAbsent(new Key(event.host(), event.instance()),
                        k -> new InstanceAggregate(k.host(), k.instance())).add(event);
                days.merge(new DayKey(event.host(), event.instance(), event.line().destination(),
                        LocalDate.ofInstant(event.time(), ZoneOffset.UTC)), 1L, Long::sum);
                newest = newest == null || event.time().isAfter(newest) ? event.time() : newest;
            }
        }
        if (!aggregates.isEmpty()) {
            List<InstanceAggregate> sorted = new ArrayList<>(aggregates.values());
            sorted.sort(Comparator.comparing(InstanceAggregate::host).thenComparing(InstanceAggregate::instance));
            STORE.upsertDestinations(connection, sorted);
            STORE.upsertDays(connection, days);
            STORE.upsertInstances(connection, sorted);
        }
        return new Result(newIds.size() - overflowIds.size(), duplicates, expired, overflowIds.size(), newest);
    }

    /**
     * The ids of the new events whose destination would take their instance beyond {@link #maxDestinations}
     * distinct destinations. Usually one cheap count per instance of the batch; the destinations already held are
     * looked up only when an instance could reach the cap with this batch. Two policy instances writing the same
     * instance at once can each add up to a batch's worth before they see each other's rows: the cap is exceeded by
     * at most that.
     */
    private Set<String> beyondTheCap(Connection connection, Collection<BlockedEvent> events, Set<String> newIds)
            throws SQLException {
        Map<Key, Set<String>> batchDestinations = new LinkedHashMap<>();
        for (BlockedEvent event : events) {
            if (newIds.contains(event.id())) {
                batchDestinations.computeIfAbsent(new Key(event.host(), event.instance()), k -> new HashSet<>())
                        .add(event.line().destination());
            }
        }
        Map<Key, Long> held = STORE.destinationCounts(connection, batchDestinations.keySet());
        List<Key> nearTheCap = new ArrayList<>();
        for (Map.Entry<Key, Set<String>> e : batchDestinations.entrySet()) {
            if (held.getOrDefault(e.getKey(), 0L) + e.getValue().size() > maxDestinations) {
                nearTheCap.add(e.getKey());
            }
        }
        if (nearTheCap.isEmpty()) {
            return Set.of();
        }
        Set<List<String>> known = STORE.knownDestinations(connection, nearTheCap, batchDestinations);
        Map<Key, Long> count = new HashMap<>();
        Set<List<String>> accepted = new HashSet<>();
        Set<String> overflow = new HashSet<>();
        for (BlockedEvent event : events) {
            Key key = new Key(event.host(), event.instance());
            if (!newIds.contains(event.id()) || !nearTheCap.contains(key)) {
                continue;
            }
            List<String> destination = List.of(event.host(), event.instance(), event.line().destination());
            if (known.contains(destination) || accepted.contains(destination)) {
                continue;
            }
            long n = count.merge(key, 1L, Long::sum) + held.getOrDefault(key, 0L);
            if (n <= maxDestinations) {
                accepted.add(destination);
            } else {
                overflow.add(event.id());
            }
        }
        return overflow;
    }

    /** The array literal of {@link AggregateStore#arrayLiteral}, where its tests have always found it. */
    static String arrayLiteral(Collection<?> values) {
        return AggregateStore.arrayLiteral(values);
    }

    /**
     * Whether the database refused the data itself (SQLState class 22, data exception, or 23, integrity constraint
     * violation): the same statement fails again however often it is retried.
     */
    static boolean isDataError(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    private static boolean isTransient(SQLException e) {
        String state = e.getSQLState();
        return "40P01".equals(state) || "40001".equals(state); // deadlock_detected, serialization_failure
    }

    private static void rollback(Connection connection, Exception cause) {
        try {
            connection.rollback();
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            cause.addSuppressed(e); // the connection is broken; the pool discards it, the cause is what matters
        }
    }
}
