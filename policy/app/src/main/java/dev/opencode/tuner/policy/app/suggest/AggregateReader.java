package dev.opencode.tuner.policy.app.suggest;

import static dev.opencode.tuner.policy.app.JdbcValues.instant;

import dev.opencode.tuner.suggest.DestinationAggregate;
import dev.opencode.tuner.suggest.InstanceAggregate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/** Reads the aggregates back as the core's {@link InstanceAggregate}s, in one consistent snapshot. */
public final class AggregateReader {
    /** One row of {@code instance_aggregate}, with its destination count. */
    record InstanceRow(String host, String instance, long events, long destinations, Instant firstSeen,
                       Instant lastSeen) {
    }

    /** The aggregates of the selected instances and their allowlists, read together. */
    record Snapshot(List<InstanceAggregate> aggregates, Map<String, List<String>> allowlists) {
        List<String> allowlist(String host, String instance) {
            return allowlists.getOrDefault(key(host, instance), List.of());
        }
    }

    private static final String INSTANCES = """
            SELECT i.host, i.instance, i.events, i.first_seen, i.last_seen,
                   (SELECT count(*) FROM destination_aggregate d WHERE d.host = i.host AND d.instance = i.instance)
              FROM instance_aggregate i
            """;

    private static final String DESTINATIONS = """
            SELECT host, instance, destination, events, ports, protocols, services, sample_sources, uids,
                   first_seen, last_seen
              FROM destination_aggregate
             WHERE (?::text IS NULL OR host = ?) AND (?::text IS NULL OR instance = ?)
             ORDER BY host, instance
            """;

    private static final String ALLOWLISTS = """
            SELECT host, instance, cidr::text FROM allowlist_entry
             WHERE (?::text IS NULL OR host = ?) AND (?::text IS NULL OR instance = ?)
            """;

    private final DataSource dataSource;

    AggregateReader(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Every instance, sorted by host then instance. */
    List<InstanceRow> instances() throws SQLException {
        List<InstanceRow> rows = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(INSTANCES);
             ResultSet result = statement.executeQuery()) {
            while (result.next()) {
                rows.add(new InstanceRow(result.getString(1), result.getString(2), result.getLong(3),
                        result.getLong(6), instant(result, 4), instant(result, 5)));
            }
        }
        rows.sort(Comparator.comparing(InstanceRow::host).thenComparing(InstanceRow::instance));
        return rows;
    }

    /** The aggregates (sorted by host, then instance) and allowlists; a null filter selects all. */
    Snapshot read(String host, String instance) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            connection.setReadOnly(true);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                return new Snapshot(destinations(connection, host, instance), allowlists(connection, host, instance));
            } finally {
                connection.rollback(); // read only: nothing to keep
                connection.setReadOnly(false);
                connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                connection.setAutoCommit(true);
            }
        }
    }

    /** The aggregates of the selected instances (null selects all), read on the caller's connection. */
    public static List<InstanceAggregate> destinations(Connection connection, String host, String instance)
            throws SQLException {
        Map<String, List<DestinationAggregate>> byInstance = new HashMap<>();
        Map<String, String[]> names = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(DESTINATIONS)) {
            filter(statement, host, instance);
            statement.setFetchSize(10_000); // streamed (inside a transaction), not loaded whole by the driver
            try (ResultSet r = statement.executeQuery()) {
                while (r.next()) {
                    String h = r.getString(1);
                    String i = r.getString(2);
                    String key = key(h, i);
                    names.putIfAbsent(key, new String[] {h, i});
                    byInstance.computeIfAbsent(key, k -> new ArrayList<>()).add(DestinationAggregate.restore(
                            r.getString(3), r.getLong(4), list(r, 5, Integer.class), list(r, 6, String.class),
                            list(r, 7, String.class), list(r, 8, String.class), list(r, 9, Long.class),
                            instant(r, 10), instant(r, 11)));
                }
            }
        }
        List<InstanceAggregate> aggregates = new ArrayList<>();
        byInstance.forEach((key, list) -> aggregates.add(
                InstanceAggregate.restore(names.get(key)[0], names.get(key)[1], list)));
        aggregates.sort(Comparator.comparing(InstanceAggregate::host).thenComparing(InstanceAggregate::instance));
        return aggregates;
    }

    private static Map<String, List<String>> allowlists(Connection connection, String host, String instance)
            throws SQLException {
        Map<String, List<String>> allowlists = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(ALLOWLISTS)) {
            filter(statement, host, instance);
            try (ResultSet r = statement.executeQuery()) {
                while (r.next()) {
                    allowlists.computeIfAbsent(key(r.getString(1), r.getString(2)), k -> new ArrayList<>())
                            .add(r.getString(3));
                }
            }
        }
        return allowlists;
    }

    private static void filter(PreparedStatement statement, String host, String instance) throws SQLException {
        statement.setString(1, host);
        statement.setString(2, host);
        statement.setString(3, instance);
        statement.setString(4, instance);
    }

    private static String key(String host, String instance) {
        return host + '\0' + instance;
    }

    private static <T> List<T> list(ResultSet r, int column, Class<T> type) throws SQLException {
        java.sql.Array array = r.getArray(column);
        try {
            Object[] values = (Object[]) array.getArray();
            List<T> out = new ArrayList<>(values.length);
            for (Object v : values) {
                out.add(type.cast(v));
            }
            return out;
        } finally {
            array.free();
        }
    }
}
