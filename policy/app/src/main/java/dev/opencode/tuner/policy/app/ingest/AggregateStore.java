package dev.opencode.tuner.policy.app.ingest;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.suggest.DestinationAggregate;
import dev.opencode.tuner.suggest.InstanceAggregate;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The SQL of the ingest: the aggregate tables ({@code destination_aggregate}, {@code instance_aggregate},
 * {@code destination_day}) and {@code seen_event}. Every statement takes a batch as arrays through {@code unnest},
 * one round trip whatever its size, on the caller's connection: the transaction, its retries and the order rows are
 * written in are {@link AggregateWriter}'s. Stateless and thread-safe.
 *
 * <p>A row that already holds every port, protocol, service, uid and sample source of the batch keeps its arrays
 * without calling the SQL merge functions (native {@code @>} instead): a third of the cost of an update in a
 * measurement of 2,000-row batches.
 */
final class AggregateStore {
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

    /** A host's instance: the key of {@code instance_aggregate}. */
    record Key(String host, String instance) {
    }

    /** A row of destination_day; the natural order is the order rows are written in (no deadlocks). */
    record DayKey(String host, String instance, String destination, LocalDate day)
            implements Comparable<DayKey> {
        private static final Comparator<DayKey> ORDER = Comparator.comparing(DayKey::host)
                .thenComparing(DayKey::instance).thenComparing(DayKey::destination).thenComparing(DayKey::day);

        @Override
        public int compareTo(DayKey other) {
            return ORDER.compare(this, other);
        }
    }

    /** The transaction's start time on the server: the one clock every policy instance shares. */
    Instant now(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT now()")) {
            result.next();
            return result.getObject(1, OffsetDateTime.class).toInstant();
        }
    }

    /** Remembers the events' ids; answers those that were new (32 hex, as in the events). */
    Set<String> insertSeen(Connection connection, Collection<BlockedEvent> events) throws SQLException {
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

    /** Adds the aggregates to their destinations' rows, in the aggregates' order and by address within each. */
    void upsertDestinations(Connection connection, List<InstanceAggregate> aggregates)
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
            List<DestinationAggregate> sorted = new ArrayList<>(aggregate.destinations());
            sorted.sort(Comparator.comparing(DestinationAggregate::address));
            for (DestinationAggregate d : sorted) {
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
            statement.setInt(p++, DestinationAggregate.SAMPLE_SOURCES);
            statement.setInt(p, DestinationAggregate.SAMPLE_SOURCES);
            statement.executeUpdate();
        }
    }

    /** Adds the per-day counts, in the map's order (a {@code TreeMap} of {@link DayKey}: no deadlocks). */
    void upsertDays(Connection connection, Map<DayKey, Long> days) throws SQLException {
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

    /** Adds the aggregates' events and first and last times to their instances' rows, in the list's order. */
    void upsertInstances(Connection connection, List<InstanceAggregate> aggregates)
            throws SQLException {
        List<String> hosts = new ArrayList<>();
        List<String> instances = new ArrayList<>();
        List<String> counts = new ArrayList<>();
        List<String> first = new ArrayList<>();
        List<String> last = new ArrayList<>();
        for (InstanceAggregate aggregate : aggregates) {
            Instant min = null;
            Instant max = null;
            for (DestinationAggregate d : aggregate.destinations()) {
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

    /** How many destinations each of {@code instances} already holds; an instance holding none is absent. */
    Map<Key, Long> destinationCounts(Connection connection, Collection<Key> instances) throws SQLException {
        Map<Key, Long> held = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(DESTINATION_COUNTS)) {
            statement.setArray(1, texts(connection, instances.stream().map(Key::host).toList()));
            statement.setArray(2, texts(connection, instances.stream().map(Key::instance).toList()));
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    held.put(new Key(result.getString(1), result.getString(2)), result.getLong(3));
                }
            }
        }
        return held;
    }

    /** Of the batch's destinations of {@code instances}, those already held, as (host, instance, destination). */
    Set<List<String>> knownDestinations(Connection connection, List<Key> instances,
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

    /** Deletes the ids of events older than {@code age}, in chunks of {@code chunk}; returns how many. */
    long pruneSeen(Connection connection, Duration age, int chunk) throws SQLException {
        long total = 0;
        double seconds = age.toMillis() / 1000.0;
        try (PreparedStatement delete = connection.prepareStatement(PRUNE)) {
            int deleted;
            do {
                delete.setDouble(1, seconds);
                delete.setInt(2, chunk);
                deleted = delete.executeUpdate();
                total += deleted;
            } while (deleted == chunk);
        }
        return total;
    }

    /** Deletes the per-day counts of days older than {@code history} (at least one day); returns how many rows. */
    long pruneDays(Connection connection, Duration history) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(PRUNE_DAYS)) {
            delete.setInt(1, (int) Math.max(1, history.toDays()));
            return delete.executeUpdate();
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
}
