package dev.opencode.tuner.policy.app.ingest;

import dev.opencode.tuner.hoststate.HostState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Applies a host's reported nftables state in one transaction: the newest report per host wins (a redelivered or
 * older one changes nothing); a clean report replaces the host's {@code allowlist_entry} rows and counters, marks the
 * exported or merged additions it enforces, and the exported or merged removals whose entry it no longer enforces, as
 * {@code deployed}, and keeps, per allow entry, when its counter last
 * moved. A report with problems is recorded (so they show) and changes nothing else.
 */
public final class HostStateWriter {
    /** What a report changed. */
    public record Result(boolean applied, int allowEntries, int deployed) {
    }

    private final DataSource dataSource;

    public HostStateWriter(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public Result apply(HostState state) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Result result = applyIn(c, state);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private static Result applyIn(Connection c, HostState state) throws SQLException {
        Timestamp readAt = Timestamp.from(state.time());
        String problems = new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(state.problems()).toString();
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO host_state AS h (host, read_at, problems) VALUES (?, ?, ?::json)
                ON CONFLICT (host) DO UPDATE SET read_at = excluded.read_at, received_at = now(),
                                                 problems = excluded.problems
                 WHERE h.read_at < excluded.read_at
                RETURNING host""")) {
            s.setString(1, state.host());
            s.setTimestamp(2, readAt);
            s.setString(3, problems);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return new Result(false, 0, 0); // an older (or the same) report: already superseded
                }
            }
        }
        if (!state.problems().isEmpty()) {
            return new Result(true, 0, 0);
        }
        List<String[]> allow = new ArrayList<>();
        for (HostState.InstanceState instance : state.instances()) {
            for (HostState.AllowCounter e : instance.allow()) {
                allow.add(new String[] {instance.instance(), e.cidr(), Long.toString(e.packets()),
                        Long.toString(e.bytes())});
            }
        }
        String[] instances = allow.stream().map(a -> a[0]).toArray(String[]::new);
        String[] cidrs = allow.stream().map(a -> a[1]).toArray(String[]::new);
        String[] packets = allow.stream().map(a -> a[2]).toArray(String[]::new);
        String[] bytes = allow.stream().map(a -> a[3]).toArray(String[]::new);
        update(c, "DELETE FROM allowlist_entry WHERE host = ?", state.host());
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO allowlist_entry (host, instance, cidr)
                SELECT DISTINCT ?, i, c::cidr FROM unnest(?::text[], ?::text[]) AS u(i, c)""")) {
            s.setString(1, state.host());
            s.setArray(2, c.createArrayOf("text", instances));
            s.setArray(3, c.createArrayOf("text", cidrs));
            s.executeUpdate();
        }
        // A counter that grew, or restarted (a reloaded ruleset) and counted since, was used at this read.
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO host_allow_counter AS h (host, instance, cidr, packets, bytes, first_reported, last_used,
                                                     reported_at)
                SELECT ?, i, c::cidr, p::bigint, b::bigint, ?, CASE WHEN p::bigint > 0 THEN ?::timestamptz END, ?
                  FROM unnest(?::text[], ?::text[], ?::text[], ?::text[]) AS u(i, c, p, b)
                ON CONFLICT (host, instance, cidr) DO UPDATE SET
                       last_used = CASE WHEN excluded.packets > h.packets
                                          OR (excluded.packets < h.packets AND excluded.packets > 0)
                                        THEN excluded.reported_at ELSE h.last_used END,
                       packets = excluded.packets, bytes = excluded.bytes, reported_at = excluded.reported_at""")) {
            s.setString(1, state.host());
            s.setTimestamp(2, readAt);
            s.setTimestamp(3, readAt);
            s.setTimestamp(4, readAt);
            s.setArray(5, c.createArrayOf("text", instances));
            s.setArray(6, c.createArrayOf("text", cidrs));
            s.setArray(7, c.createArrayOf("text", packets));
            s.setArray(8, c.createArrayOf("text", bytes));
            s.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement(
                "DELETE FROM host_allow_counter WHERE host = ? AND reported_at < ?")) {
            s.setString(1, state.host());
            s.setTimestamp(2, readAt);
            s.executeUpdate();
        }
        List<String[]> blocked = new ArrayList<>();
        for (HostState.InstanceState instance : state.instances()) {
            for (HostState.BlockedDestination d : instance.blocked()) {
                blocked.add(new String[] {instance.instance(), d.address(), Long.toString(d.packets()),
                        Long.toString(d.bytes()), state.time().plusSeconds(d.expiresSeconds()).toString()});
            }
        }
        update(c, "DELETE FROM host_blocked_counter WHERE host = ?", state.host());
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO host_blocked_counter (host, instance, destination, packets, bytes, expires_at, reported_at)
                SELECT DISTINCT ON (i, d) ?, i, d, p::bigint, b::bigint, e::timestamptz, ?
                  FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) AS u(i, d, p, b, e)""")) {
            s.setString(1, state.host());
            s.setTimestamp(2, readAt);
            for (int col = 0; col < 5; col++) {
                final int k = col;
                s.setArray(3 + col, c.createArrayOf("text", blocked.stream().map(a -> a[k]).toArray(String[]::new)));
            }
            s.executeUpdate();
        }
        // The effective allowlist changed: the review recomputes this host's suggestions.
        update(c, "UPDATE suggestion_run SET stale = true WHERE host = ?", state.host());
        int deployed;
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE suggestion AS s SET state = 'deployed', updated_at = now(), version = s.version + 1
                  FROM unnest(?::text[], ?::text[]) AS u(i, c)
                 WHERE s.host = ? AND s.instance = u.i AND s.accepted_cidr = u.c::cidr
                   AND s.state IN ('exported', 'merged') AND s.kind = 'add'""")) {
            s.setArray(1, c.createArrayOf("text", instances));
            s.setArray(2, c.createArrayOf("text", cidrs));
            s.setString(3, state.host());
            deployed = s.executeUpdate();
        }
        // A removal is deployed when the host no longer enforces its entry.
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE suggestion AS s SET state = 'deployed', updated_at = now(), version = s.version + 1
                 WHERE s.host = ? AND s.kind = 'remove' AND s.state IN ('exported', 'merged')
                   AND NOT EXISTS (SELECT 1 FROM allowlist_entry e
                                    WHERE e.host = s.host AND e.instance = s.instance AND e.cidr = s.cidr)""")) {
            s.setString(1, state.host());
            deployed += s.executeUpdate();
        }
        return new Result(true, allow.size(), deployed);
    }

    private static void update(Connection c, String sql, String host) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, host);
            s.executeUpdate();
        }
    }
}
