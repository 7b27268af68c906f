package dev.opencode.tuner.policy.app.ingest;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.suggest.DestinationStats;
import dev.opencode.tuner.suggest.InstanceAggregate;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
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
 * (arrays through {@code unnest}), whatever its size. A row that already holds every port, protocol, service, uid and
 * sample source of the batch keeps its arrays without calling the SQL merge functions (native {@code @>} instead):
 * a third of the cost of an update in a measurement of 2,000-row batches.
 *
 * <p>Rows are written in one fixed order (host, instance, destination; ids sorted), so that two policy instances
 * writing the same rows at once (a rebalance) wait for each other instead of deadlocking; a deadlock or
 * serialization failure that happens anyway is retried here. Thread-safe: all state is in the database.
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

    private static final String DESTINATION_COUNTS = """
            SELECT d.host, d.instance, count(*)
              FROM destination_aggregate d
              JOIN unnest(?::text[], ?::text[]) AS b(host, instance) USING (host, instance)
             GROUP BY d.host, d.instance
            """;

    private static final String KNOWN_DESTINATIONS = """
            SELECT d.host, d.instance, d.destination
              FROM destination_aggregate d
              JOIN unnest(?::text[], ?::text[], ?::text[]) AS b(host, instance, destination)
                   USING (host, instance, destination)
            """;

    /** Safety margin between the counting horizon and the pruning horizon (clock corrections on the server). */
    static final Duration PRUNE_MARGIN = Duration.ofDays(1);
    private static final int ATTEMPTS = 5;
    private static final int PRUNE_CHUNK = 10_000;

    private static final String INSERT_SEEN = """
            INSERT INTO seen_event (event_id, event_time)
            SELECT b.id::uuid, b.t
              FROM unnest(?::text[], ?::timestamptz[]) AS b(id, t)
             ORDER BY b.id
            ON CONFLICT (event_id) DO NOTHING
            RETURNING replace(event_id::text, '-', '')
            """;

    private static final String UPSERT_DESTINATIONS = """
            INSERT INTO destination_aggregate AS d (host, instance, destination, family, events, ports, protocols,
                                                    services, sample_sources, uids, first_seen, last_seen)
            SELECT b.host, b.instance, b.destination, b.family, b.events, b.ports::integer[], b.protocols::text[],
                   b.services::text[], b.sources::text[], b.uids::bigint[], b.first_seen, b.last_seen
              FROM unnest(?::text[], ?::text[], ?::text[], ?::smallint[], ?::bigint[], ?::text[], ?::text[],
                          ?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[])
                   WITH ORDINALITY AS b(host, instance, destination, family, events, ports, protocols, services,
                                        sources, uids, first_seen, last_seen, ord)
             ORDER BY b.ord
            ON CONFLICT (host, instance, destination) DO UPDATE SET
                   events = d.events + excluded.events,
                   ports = CASE WHEN d.ports @> excluded.ports THEN d.ports
                                ELSE tuner_union(d.ports, excluded.ports) END,
                   protocols = CASE WHEN d.protocols @> excluded.protocols THEN d.protocols
                                    ELSE tuner_union(d.protocols, excluded.protocols) END,
                   services = CASE WHEN d.services @> excluded.services THEN d.services
                                   ELSE tuner_union(d.services, excluded.services) END,
                   sample_sources = CASE WHEN cardinality(d.sample_sources) >= ?
                                              OR d.sample_sources @> excluded.sample_sources THEN d.sample_sources
                                         ELSE tuner_first_distinct(d.sample_sources, excluded.sample_sources, ?) END,
                   uids = CASE WHEN d.uids @> excluded.uids THEN d.uids ELSE tuner_union(d.uids, excluded.uids) END,
                   first_seen = least(d.first_seen, excluded.first_seen),
                   last_seen = greatest(d.last_seen, excluded.last_seen)
            """;

    private static final String UPSERT_INSTANCES = """
            INSERT INTO instance_aggregate AS i (host, instance, events, first_seen, last_seen)
            SELECT b.host, b.instance, b.events, b.first_seen, b.last_seen
              FROM unnest(?::text[], ?::text[], ?::bigint[], ?::timestamptz[], ?::timestamptz[])
                   WITH ORDINALITY AS b(host, instance, events, first_seen, last_seen, ord)
             ORDER BY b.ord
            ON CONFLICT (host, instance) DO UPDATE SET
                   events = i.events + excluded.events,
                   first_seen = least(i.first_seen, excluded.first_seen),
                   last_seen = greatest(i.last_seen, excluded.last_seen),
                   updated_at = now()
            """;

    private static final String UPSERT_DAYS = """
            INSERT INTO destination_day AS d (host, instance, destination, day, events)
            SELECT b.host, b.instance, b.destination, b.day, b.events
              FROM unnest(?::text[], ?::text[], ?::text[], ?::date[], ?::bigint[])
                   WITH ORDINALITY AS b(host, instance, destination, day, events, ord)
             ORDER BY b.ord
            ON CONFLICT (host, instance, destination, day) DO UPDATE SET events = d.events + excluded.events
            """;

    private static final String PRUNE_DAYS = """
            DELETE FROM destination_day WHERE day < (now() AT TIME ZONE 'UTC')::date - ?
            """;

    private static final String PRUNE = """
            DELETE FROM seen_event WHERE event_id IN (
                SELECT event_id FROM seen_event WHERE event_time < now() - make_interval(secs => ?) LIMIT ?)
            """;

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
        long total = 0;
        double seconds = retention.plus(PRUNE_MARGIN).toMillis() / 1000.0;
        try (Connection connection = dataSource.getConnection();
             PreparedStatement delete = connection.prepareStatement(PRUNE)) {
            connection.setAutoCommit(true);
            int deleted;
            do {
                delete.setDouble(1, seconds);
                delete.setInt(2, PRUNE_CHUNK);
                deleted = delete.executeUpdate();
                total += deleted;
            } while (deleted == PRUNE_CHUNK);
        }
        return total;
    }

    /** Deletes the per-day counts of days older than the history retention; returns how many rows. */
    public long pruneDays(Duration history) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement delete = connection.prepareStatement(PRUNE_DAYS)) {
            connection.setAutoCommit(true);
            delete.setInt(1, (int) Math.max(1, history.toDays()));
            return delete.executeUpdate();
        }
    }

    private record Key(String host, String instance) {
    }

    /** A row of destination_day; the natural order is the order rows are written in (no deadlocks). */
    private record DayKey(String host, String instance, String destination, LocalDate day)
            implements Comparable<DayKey> {
        private static final Comparator<DayKey> ORDER = Comparator.comparing(DayKey::host)
                .thenComparing(DayKey::instance).thenComparing(DayKey::destination).thenComparing(DayKey::day);

        @Override
        public int compareTo(DayKey other) {
            return ORDER.compare(this, other);
        }
    }

    private Result applyInTransaction(Connection connection, List<BlockedEvent> events) throws SQLException {
        Instant horizon = (clock == null ? databaseNow(connection) : clock.instant()).minus(retention);
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
        Set<String> newIds = insertSeen(connection, byId.values());
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
            upsertDestinations(connection, sorted);
            upsertDays(connection, days);
            upsertInstances(connection, sorted);
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
        Map<Key, Long> held = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(DESTINATION_COUNTS)) {
            statement.setArray(1, texts(connection, batchDestinations.keySet().stream().map(Key::host).toList()));
            statement.setArray(2, texts(connection, batchDestinations.keySet().stream().map(Key::instance).toList()));
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    held.put(new Key(result.getString(1), result.getString(2)), result.getLong(3));
                }
            }
        }
        List<Key> nearTheCap = new ArrayList<>();
        for (Map.Entry<Key, Set<String>> e : batchDestinations.entrySet()) {
            if (held.getOrDefault(e.getKey(), 0L) + e.getValue().size() > maxDestinations) {
                nearTheCap.add(e.getKey());
            }
        }
        if (nearTheCap.isEmpty()) {
            return Set.of();
        }
        Set<List<String>> known = knownDestinations(connection, nearTheCap, batchDestinations);
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

    private static Set<List<String>> knownDestinations(Connection connection, List<Key> instances,
                                                       Map<Key, Set<String>> batchDestinations) throws SQLException {
        List<String> hosts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> destinations = new ArrayList<>();
        for (Key key : instances) {
            for (String destination : batchDestinations.get(key)) {
                hosts.add(key.host());
                names.add(key.instance());
                destinations.add(destination);
            }
        }
        Set<List<String>> known = new HashSet<>();
        try (PreparedStatement statement = connection.prepareStatement(KNOWN_DESTINATIONS)) {
            statement.setArray(1, texts(connection, hosts));
            statement.setArray(2, texts(connection, names));
            statement.setArray(3, texts(connection, destinations));
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    known.add(List.of(result.getString(1), result.getString(2), result.getString(3)));
                }
            }
        }
        return known;
    }

    private static Instant databaseNow(Connection connection) throws SQLException {
        // The transaction's start time on the server: the one clock every policy instance shares.
        try (Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT now()")) {
            result.next();
            return result.getObject(1, OffsetDateTime.class).toInstant();
        }
    }

    private static Set<String> insertSeen(Connection connection, Collection<BlockedEvent> events) throws SQLException {
        String[] ids = new String[events.size()];
        String[] times = new String[events.size()];
        int i = 0;
        for (BlockedEvent event : events) {
            ids[i] = event.id();
            times[i] = event.time().toString();
            i++;
        }
        Set<String> inserted = new HashSet<>();
        try (PreparedStatement statement = connection.prepareStatement(INSERT_SEEN)) {
            statement.setArray(1, connection.createArrayOf("text", ids));
            statement.setArray(2, connection.createArrayOf("text", times));
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    inserted.add(result.getString(1));
                }
            }
        }
        return inserted;
    }

    private static void upsertDestinations(Connection connection, List<InstanceAggregate> aggregates)
            throws SQLException {
        List<String> hosts = new ArrayList<>();
        List<String> instances = new ArrayList<>();
        List<String> destinations = new ArrayList<>();
        List<String> families = new ArrayList<>();
        List<String> counts = new ArrayList<>();
        List<String> ports = new ArrayList<>();
        List<String> protocols = new ArrayList<>();
        List<String> services = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        List<String> uids = new ArrayList<>();
        List<String> first = new ArrayList<>();
        List<String> last = new ArrayList<>();
        for (InstanceAggregate aggregate : aggregates) {
            List<DestinationStats> sorted = new ArrayList<>(aggregate.destinations());
            sorted.sort(Comparator.comparing(DestinationStats::address));
            for (DestinationStats d : sorted) {
                hosts.add(aggregate.host());
                instances.add(aggregate.instance());
                destinations.add(d.address());
                families.add(d.ip().isIPv4() ? "4" : "6");
                counts.add(Long.toString(d.events()));
                ports.add(arrayLiteral(d.ports()));
                protocols.add(arrayLiteral(d.protocols()));
                services.add(arrayLiteral(d.services()));
                sources.add(arrayLiteral(d.sampleSources()));
                uids.add(arrayLiteral(d.uids()));
                first.add(d.firstSeen().toString());
                last.add(d.lastSeen().toString());
            }
        }
        try (PreparedStatement statement = connection.prepareStatement(UPSERT_DESTINATIONS)) {
            int p = 1;
            for (List<String> column : List.of(hosts, instances, destinations, families, counts, ports, protocols,
                    services, sources, uids, first, last)) {
                statement.setArray(p++, texts(connection, column));
            }
            statement.setInt(p++, DestinationStats.SAMPLE_SOURCES);
            statement.setInt(p, DestinationStats.SAMPLE_SOURCES);
            statement.executeUpdate();
        }
    }

    private static void upsertDays(Connection connection, Map<DayKey, Long> days) throws SQLException {
        int n = days.size();
        String[] hosts = new String[n];
        String[] instances = new String[n];
        String[] destinations = new String[n];
        String[] dates = new String[n];
        String[] counts = new String[n];
        int i = 0;
        for (Map.Entry<DayKey, Long> day : days.entrySet()) {
            hosts[i] = day.getKey().host();
            instances[i] = day.getKey().instance();
            destinations[i] = day.getKey().destination();
            dates[i] = day.getKey().day().toString();
            counts[i] = day.getValue().toString();
            i++;
        }
        try (PreparedStatement statement = connection.prepareStatement(UPSERT_DAYS)) {
            int p = 1;
            for (String[] column : List.of(hosts, instances, destinations, dates, counts)) {
                statement.setArray(p++, connection.createArrayOf("text", column));
            }
            statement.executeUpdate();
        }
    }

    private static void upsertInstances(Connection connection, List<InstanceAggregate> aggregates)
            throws SQLException {
        List<String> hosts = new ArrayList<>();
        List<String> instances = new ArrayList<>();
        List<String> counts = new ArrayList<>();
        List<String> first = new ArrayList<>();
        List<String> last = new ArrayList<>();
        for (InstanceAggregate aggregate : aggregates) {
            Instant min = null;
            Instant max = null;
            for (DestinationStats d : aggregate.destinations()) {
                min = min == null || d.firstSeen().isBefore(min) ? d.firstSeen() : min;
                max = max == null || d.lastSeen().isAfter(max) ? d.lastSeen() : max;
            }
            hosts.add(aggregate.host());
            instances.add(aggregate.instance());
            counts.add(Long.toString(aggregate.events()));
            first.add(min.toString());
            last.add(max.toString());
        }
        try (PreparedStatement statement = connection.prepareStatement(UPSERT_INSTANCES)) {
            int p = 1;
            for (List<String> column : List.of(hosts, instances, counts, first, last)) {
                statement.setArray(p++, texts(connection, column));
            }
            statement.executeUpdate();
        }
    }

    private static Array texts(Connection connection, List<String> values) throws SQLException {
        return connection.createArrayOf("text", values.toArray(new String[0]));
    }

    /**
     * A PostgreSQL array literal of the values ({@code {"tcp","udp"}}): how a row's sets cross {@code unnest} as one
     * text each, cast to an array in SQL. Every element is quoted, with {@code "} and {@code \\} escaped.
     */
    static String arrayLiteral(Collection<?> values) {
        StringBuilder out = new StringBuilder(values.size() * 12 + 2).append('{');
        for (Object v : values) {
            if (out.length() > 1) {
                out.append(',');
            }
            out.append('"');
            String text = v.toString();
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '"' || c == '\\') {
                    out.append('\\');
                }
                out.append(c);
            }
            out.append('"');
        }
        return out.append('}').toString();
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
