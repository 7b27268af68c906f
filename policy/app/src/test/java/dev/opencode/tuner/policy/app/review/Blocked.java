package dev.opencode.tuner.policy.app.review;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import javax.sql.DataSource;

/**
 * Blocked events written straight into the aggregates, as the consumer would write them (same tables, same rules:
 * counts add up, ports union, first and last seen widen, the instance's updated_at moves, today's destination_day
 * grows). The consumer itself is tested in IngestTest; the review tests need exact, fast control of the evidence.
 */
final class Blocked {
    private final DataSource dataSource;

    Blocked(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** {@code events} blocked TCP events to {@code address}:{@code port} between first and last. */
    void add(String host, String instance, String address, int port, long events, Instant first, Instant last) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement d = c.prepareStatement("""
                    INSERT INTO destination_aggregate (host, instance, destination, family, events, ports, protocols,
                                                       services, sample_sources, uids, first_seen, last_seen)
                    VALUES (?, ?, ?, ?, ?, ARRAY[?]::integer[], '{tcp}', ARRAY['tcp/' || ?], '{10.211.0.2}', '{984}',
                            ?, ?)
                    ON CONFLICT (host, instance, destination) DO UPDATE
                       SET events = destination_aggregate.events + excluded.events,
                           ports = tuner_union(destination_aggregate.ports, excluded.ports),
                           services = tuner_union(destination_aggregate.services, excluded.services),
                           first_seen = least(destination_aggregate.first_seen, excluded.first_seen),
                           last_seen = greatest(destination_aggregate.last_seen, excluded.last_seen)""");
                 PreparedStatement i = c.prepareStatement("""
                    INSERT INTO instance_aggregate (host, instance, events, first_seen, last_seen, updated_at)
                    VALUES (?, ?, ?, ?, ?, now())
                    ON CONFLICT (host, instance) DO UPDATE
                       SET events = instance_aggregate.events + excluded.events,
                           first_seen = least(instance_aggregate.first_seen, excluded.first_seen),
                           last_seen = greatest(instance_aggregate.last_seen, excluded.last_seen),
                           updated_at = now()""");
                 PreparedStatement day = c.prepareStatement("""
                    INSERT INTO destination_day (host, instance, destination, day, events)
                    VALUES (?, ?, ?, (now() AT TIME ZONE 'UTC')::date, ?)
                    ON CONFLICT (host, instance, destination, day) DO UPDATE
                       SET events = destination_day.events + excluded.events""")) {
                d.setString(1, host);
                d.setString(2, instance);
                d.setString(3, address);
                d.setInt(4, address.contains(":") ? 6 : 4);
                d.setLong(5, events);
                d.setInt(6, port);
                d.setString(7, String.valueOf(port));
                d.setTimestamp(8, Timestamp.from(first));
                d.setTimestamp(9, Timestamp.from(last));
                d.executeUpdate();
                i.setString(1, host);
                i.setString(2, instance);
                i.setLong(3, events);
                i.setTimestamp(4, Timestamp.from(first));
                i.setTimestamp(5, Timestamp.from(last));
                i.executeUpdate();
                day.setString(1, host);
                day.setString(2, instance);
                day.setString(3, address);
                day.setLong(4, events);
                day.executeUpdate();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot write the test's aggregates: " + e.getMessage(), e);
        }
    }

    /** One TCP event to address:port at time t. */
    void add(String host, String instance, String address, int port, Instant t) {
        add(host, instance, address, port, 1, t, t);
    }

    /** What the host already allows (allowlist_entry). */
    void allow(String host, String instance, String cidr) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(
                     "INSERT INTO allowlist_entry (host, instance, cidr) VALUES (?, ?, ?::cidr)")) {
            s.setString(1, host);
            s.setString(2, instance);
            s.setString(3, cidr);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
