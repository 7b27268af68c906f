package dev.opencode.tuner.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The review bench's rows in the policy database: the destination aggregates of its instances (set-based, with
 * generate_series), the new events that make a share of them recompute, and counts. Host {@code k % HOSTS} is
 * {@code bench-<n>}, instance {@code k / HOSTS} is {@code inst-<n>}.
 */
final class ReviewBenchData {
    static final int HOSTS = 100;

    private ReviewBenchData() {
    }

    /** instances x perInstance aggregates in /24 groups of 20 (every other /24, so they do not merge), 2 events each. */
    static void load(Connection c, int instances, int perInstance) throws SQLException {
        try (Statement s = c.createStatement()) {
            String destinations = """
                    SELECT 'bench-' || (k %% %1$d) AS host, 'inst-' || (k / %1$d) AS instance,
                           (11 + k / 250) || '.' || (k %% 250) || '.' || (j / 20 * 2) || '.' || (j %% 20 * 7 + 1)
                               AS destination
                      FROM generate_series(0, %2$d - 1) AS k, generate_series(0, %3$d - 1) AS j
                    """.formatted(HOSTS, instances, perInstance);
            s.execute("""
                    INSERT INTO destination_aggregate (host, instance, destination, family, events, ports, protocols,
                                                       services, sample_sources, uids, first_seen, last_seen)
                    SELECT host, instance, destination, 4, 2, '{443}', '{tcp}', '{tcp/443}', '{10.0.0.2}', '{990}',
                           now() - interval '1 hour', now() - interval '50 minutes'
                      FROM (""" + destinations + ") d");
            s.execute("""
                    INSERT INTO destination_day (host, instance, destination, day, events)
                    SELECT host, instance, destination, (now() AT TIME ZONE 'UTC')::date, 2 FROM (""" + destinations
                    + ") d");
            s.execute("""
                    INSERT INTO instance_aggregate (host, instance, events, first_seen, last_seen, updated_at)
                    SELECT host, instance, sum(events), min(first_seen), max(last_seen), now()
                      FROM destination_aggregate GROUP BY host, instance""");
            s.execute("ANALYZE");
        }
    }

    /** 11 new events in each of the first {@code touched} instances: 10 new destinations, 1 more on an old one. */
    static void addEvents(Connection c, int touched) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("""
                    INSERT INTO destination_aggregate (host, instance, destination, family, events, ports, protocols,
                                                       services, sample_sources, uids, first_seen, last_seen)
                    SELECT 'bench-' || (k %% %1$d), 'inst-' || (k / %1$d),
                           (11 + k / 250) || '.' || (k %% 250) || '.' || (200 + j / 5) || '.' || (j %% 5 + 1),
                           4, 1, '{443}', '{tcp}', '{tcp/443}', '{10.0.0.2}', '{990}', now(), now()
                      FROM generate_series(0, %2$d - 1) AS k, generate_series(0, 9) AS j""".formatted(HOSTS,
                    touched));
            s.execute("""
                    UPDATE destination_aggregate d SET events = events + 1, last_seen = now()
                     WHERE (d.host, d.instance) IN (SELECT 'bench-' || (k %% %1$d), 'inst-' || (k / %1$d)
                                                      FROM generate_series(0, %2$d - 1) AS k)
                       AND d.destination LIKE '%%.%%.0.1' """.formatted(HOSTS, touched));
            s.execute("""
                    UPDATE instance_aggregate i SET events = events + 11, updated_at = now()
                     WHERE (i.host, i.instance) IN (SELECT 'bench-' || (k %% %1$d), 'inst-' || (k / %1$d)
                                                      FROM generate_series(0, %2$d - 1) AS k)""".formatted(HOSTS,
                    touched));
        }
    }

    static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }
}
