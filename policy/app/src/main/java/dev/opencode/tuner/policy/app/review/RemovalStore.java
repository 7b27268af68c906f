package dev.opencode.tuner.policy.app.review;

import static dev.opencode.tuner.policy.app.JdbcValues.instant;
import static dev.opencode.tuner.policy.app.JdbcValues.timestamptz;

import dev.opencode.tuner.review.SuggestionState;
import dev.opencode.tuner.suggest.Cidrs;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The SQL of removal suggestions (rows of {@code suggestion} of kind {@code remove}) against the entries in force
 * ({@code accepted_entry}) and what the hosts report of them ({@code host_allow_counter}). Every method runs in the
 * caller's connection and transaction.
 */
@ApplicationScoped
public class RemovalStore {
    /** Accepted entries whose counter has not moved for unused-after: the removal candidates. */
    private static final String CANDIDATES = """
            SELECT a.host, a.instance, a.cidr::text, a.suggestion_id, h.packets, h.last_used,
                   coalesce(h.last_used, h.first_reported)
              FROM accepted_entry a
              JOIN host_allow_counter h ON h.host = a.host AND h.instance = a.instance AND h.cidr = a.cidr
             WHERE (?::text IS NULL OR a.host = ?) AND (?::text IS NULL OR a.instance = ?)
               AND coalesce(h.last_used, h.first_reported) <= now() - ? * interval '1 second'
             ORDER BY a.host, a.instance, a.cidr
            """;

    /** Open removals (pending, snoozed, or accepted and still in the file) with what the host says now. */
    private static final String OPEN = """
            SELECT r.id, r.host, r.instance, r.cidr::text, r.unused_since, h.last_used, h.packets, t.state
              FROM suggestion r
              LEFT JOIN host_allow_counter h ON h.host = r.host AND h.instance = r.instance AND h.cidr = r.cidr
              LEFT JOIN suggestion t ON t.id = r.removes
             WHERE r.kind = 'remove' AND r.state IN ('pending', 'snoozed', 'accepted')
               AND (?::text IS NULL OR r.host = ?) AND (?::text IS NULL OR r.instance = ?)
             ORDER BY r.host, r.instance
            """;

    private static final String INSERT = """
            INSERT INTO suggestion (id, host, instance, cidr, kind, removes, state, stable, events, ports, protocols,
                                    services, evidence, packets, last_used, unused_since)
            VALUES (?, ?, ?, ?::cidr, 'remove', ?, 'pending', true, 0, '{}', '{}', '{}', '[]', ?, ?, ?)
            """;

    private static final String REFRESH = """
            UPDATE suggestion
               SET removes = ?, packets = ?, last_used = ?, unused_since = ?, updated_at = now(),
                   state = CASE WHEN ? THEN 'pending' ELSE state END,
                   pending_since = CASE WHEN ? THEN now() ELSE pending_since END,
                   reopened = CASE WHEN ? THEN state = 'rejected' ELSE reopened END,
                   approved_by = CASE WHEN ? THEN '{}' ELSE approved_by END,
                   approved_cidr = CASE WHEN ? THEN NULL ELSE approved_cidr END,
                   accepted_cidr = CASE WHEN ? THEN NULL ELSE accepted_cidr END,
                   accepted_decision = CASE WHEN ? THEN NULL ELSE accepted_decision END,
                   announced_at = CASE WHEN ? THEN NULL ELSE announced_at END,
                   remove_after = CASE WHEN ? THEN NULL ELSE remove_after END,
                   superseded_by = NULL, version = version + 1
             WHERE id = ?""";

    /** An accepted entry whose counter has not moved for unused-after. */
    public record Candidate(String host, String instance, String cidr, UUID addition, long packets, Instant lastUsed,
                            Instant unusedSince) {
    }

    /** The removal candidates of the selected host and instance (null selects all). */
    public List<Candidate> candidates(Connection c, String host, String instance, Duration unusedAfter)
            throws SQLException {
        List<Candidate> candidates = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(CANDIDATES)) {
            bind(s, host, instance);
            s.setLong(5, unusedAfter.toSeconds());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    candidates.add(new Candidate(r.getString(1), r.getString(2),
                            Cidrs.format(Cidrs.parse(r.getString(3))), r.getObject(4, UUID.class), r.getLong(5),
                            instant(r, 6), instant(r, 7)));
                }
            }
        }
        return candidates;
    }

    /** An open removal with what the host says now and the state of its addition (null when gone). */
    public record Open(UUID id, String host, String instance, Instant unusedSince, Instant lastUsed, long packets,
                       SuggestionState addition) {
    }

    /** The open removals of the selected host and instance (null selects all). */
    public List<Open> open(Connection c, String host, String instance) throws SQLException {
        List<Open> open = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(OPEN)) {
            bind(s, host, instance);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    String addition = r.getString(8);
                    open.add(new Open(r.getObject(1, UUID.class), r.getString(2), r.getString(3), instant(r, 5),
                            instant(r, 6), r.getLong(7), addition == null ? null : SuggestionState.of(addition)));
                }
            }
        }
        return open;
    }

    /** A withdrawn removal: superseded by nothing, its notice dropped. */
    public void withdraw(Connection c, UUID id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE suggestion SET state = 'superseded', superseded_by = NULL, approved_by = '{}',
                       approved_cidr = NULL, snoozed_until = NULL, announced_at = NULL, remove_after = NULL,
                       updated_at = now(), version = version + 1
                 WHERE id = ?""")) {
            s.setObject(1, id);
            s.executeUpdate();
        }
    }

    /** A stored removal's state and when it was rejected (if it was). */
    public record Existing(SuggestionState state, Instant rejectedAt) {
    }

    /** Takes the row lock of a removal suggestion; null when there is none yet. */
    public Existing lock(Connection c, UUID id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT s.state, d.decided_at FROM suggestion s LEFT JOIN decision d ON d.id = s.rejected_decision
                 WHERE s.id = ? FOR UPDATE OF s""")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? new Existing(SuggestionState.of(r.getString(1)), instant(r, 2)) : null;
            }
        }
    }

    /** A new pending removal of a candidate's entry. */
    public void insert(Connection c, UUID id, Candidate k) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(INSERT)) {
            s.setObject(1, id);
            s.setString(2, k.host());
            s.setString(3, k.instance());
            s.setString(4, k.cidr());
            s.setObject(5, k.addition());
            s.setLong(6, k.packets());
            s.setObject(7, timestamptz(k.lastUsed()));
            s.setObject(8, timestamptz(k.unusedSince()));
            s.executeUpdate();
        }
    }

    /** A removal's evidence refreshed from its candidate; {@code reopen}: pending again, its decision undone. */
    public void refresh(Connection c, UUID id, Candidate k, boolean reopen) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(REFRESH)) {
            int i = 1;
            s.setObject(i++, k.addition());
            s.setLong(i++, k.packets());
            s.setObject(i++, timestamptz(k.lastUsed()));
            s.setObject(i++, timestamptz(k.unusedSince()));
            for (int j = 0; j < 9; j++) {
                s.setBoolean(i++, reopen);
            }
            s.setObject(i, id);
            s.executeUpdate();
        }
    }

    /** The entries in force of the selected host and instance (null: all) whose counter has not moved. */
    public List<Removals.UnusedEntry> unused(Connection c, String host, String instance, Duration unusedAfter)
            throws SQLException {
        List<Removals.UnusedEntry> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT h.host, h.instance, h.cidr::text, a.suggestion_id IS NOT NULL, h.packets, h.first_reported,
                       h.last_used, coalesce(h.last_used, h.first_reported), r.id, r.state
                  FROM host_allow_counter h
                  LEFT JOIN accepted_entry a ON a.host = h.host AND a.instance = h.instance AND a.cidr = h.cidr
                  LEFT JOIN suggestion r ON r.kind = 'remove' AND r.host = h.host AND r.instance = h.instance
                                        AND r.cidr = h.cidr
                 WHERE (?::text IS NULL OR h.host = ?) AND (?::text IS NULL OR h.instance = ?)
                   AND coalesce(h.last_used, h.first_reported) <= now() - ? * interval '1 second'
                 ORDER BY h.host, h.instance, family(h.cidr), h.cidr""")) {
            bind(s, host, instance);
            s.setLong(5, unusedAfter.toSeconds());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    boolean generated = r.getBoolean(4);
                    out.add(new Removals.UnusedEntry(r.getString(1), r.getString(2),
                            Cidrs.format(Cidrs.parse(r.getString(3))), generated ? "generated" : "hand-written",
                            r.getLong(5), instant(r, 6), instant(r, 7), instant(r, 8),
                            generated ? r.getObject(9, UUID.class) : null, generated ? r.getString(10) : null));
                }
            }
        }
        return out;
    }

    /** The accepted removals of a host whose entry is still in the generated file. */
    public List<Removals.Notice> notices(Connection c, String host) throws SQLException {
        List<Removals.Notice> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT r.id, r.instance, r.cidr::text, r.removes, d.actor, d.decided_at, d.comment, r.unused_since,
                       r.announced_at, r.remove_after,
                       coalesce(h.last_used > r.unused_since, false)
                  FROM suggestion r
                  JOIN decision d ON d.id = r.accepted_decision
                  JOIN suggestion t ON t.id = r.removes AND t.state IN (%s)
                  LEFT JOIN host_allow_counter h ON h.host = r.host AND h.instance = r.instance AND h.cidr = r.cidr
                 WHERE r.host = ? AND r.kind = 'remove' AND r.state = 'accepted'
                 ORDER BY r.instance, family(r.cidr), r.cidr""".formatted(SuggestionState.inForceSql()))) {
            s.setString(1, host);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new Removals.Notice(r.getObject(1, UUID.class), r.getString(2),
                            Cidrs.format(Cidrs.parse(r.getString(3))), r.getObject(4, UUID.class), r.getString(5),
                            instant(r, 6), r.getString(7), instant(r, 8), instant(r, 9), instant(r, 10),
                            r.getBoolean(11)));
                }
            }
        }
        return out;
    }

    /** Marks accepted, unannounced removals announced with {@code removeAfter}; answers how many. */
    public int markAnnounced(Connection c, List<UUID> ids, Instant removeAfter) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE suggestion SET announced_at = now(), remove_after = ?, updated_at = now(),
                       version = version + 1
                 WHERE id = ANY (?) AND kind = 'remove' AND state = 'accepted' AND announced_at IS NULL""")) {
            s.setObject(1, timestamptz(removeAfter));
            s.setArray(2, c.createArrayOf("uuid", ids.toArray()));
            return s.executeUpdate();
        }
    }

    /**
     * Each accepted removal becomes {@code exported} and its addition (still in force) {@code removed}; answers
     * the instances whose removals changed, one per removal.
     */
    public List<SuggestionStore.Owner> markRemoved(Connection c, List<UUID> ids) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE suggestion t SET state = 'removed', updated_at = now(), version = t.version + 1
                  FROM suggestion r
                 WHERE r.id = ANY (?) AND r.kind = 'remove' AND r.state = 'accepted' AND t.id = r.removes
                   AND t.state IN (%s)""".formatted(SuggestionState.inForceSql()))) {
            s.setArray(1, c.createArrayOf("uuid", ids.toArray()));
            s.executeUpdate();
        }
        List<SuggestionStore.Owner> touched = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE suggestion SET state = 'exported', updated_at = now(), version = version + 1
                 WHERE id = ANY (?) AND kind = 'remove' AND state = 'accepted'
                RETURNING host, instance""")) {
            s.setArray(1, c.createArrayOf("uuid", ids.toArray()));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    touched.add(new SuggestionStore.Owner(r.getString(1), r.getString(2)));
                }
            }
        }
        return touched;
    }

    private static void bind(PreparedStatement s, String host, String instance) throws SQLException {
        s.setString(1, host);
        s.setString(2, host);
        s.setString(3, instance);
        s.setString(4, instance);
    }
}
