package dev.opencode.tuner.policy.app.review;

import static dev.opencode.tuner.policy.app.JdbcValues.instant;
import static dev.opencode.tuner.policy.app.JdbcValues.timestamptz;

import dev.opencode.tuner.review.Reconciliation;
import dev.opencode.tuner.review.SuggestionState;
import dev.opencode.tuner.suggest.Cidrs;
import dev.opencode.tuner.suggest.Suggestion;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * What recomputation reads and writes: {@code suggestion_run} (per instance, what its suggestions were last computed
 * from) and the instance's addition rows, and the per-instance advisory lock that recomputation, decisions and
 * removals all take. Every method but {@link #stale} runs in the caller's transaction.
 */
@ApplicationScoped
public class SuggestionRunStore {
    private static final String STALE = """
            SELECT i.host, i.instance
              FROM instance_aggregate i
              LEFT JOIN suggestion_run r ON r.host = i.host AND r.instance = i.instance
             WHERE %s
               AND (r.host IS NULL OR r.stale OR i.events <> r.events OR i.updated_at > r.aggregates_at)
             ORDER BY i.host, i.instance
            """;

    private static final String STATE_UNDER_LOCK = """
            SELECT i.events, i.updated_at, now(), r.events, r.aggregates_at, r.stale
              FROM instance_aggregate i
              LEFT JOIN suggestion_run r ON r.host = i.host AND r.instance = i.instance
             WHERE i.host = ? AND i.instance = ?
            """;

    private static final String ADDITIONS = """
            SELECT s.id, s.cidr::text, s.state, s.snoozed_until, s.decided_ports, s.rejected_decision, d.decided_at,
                   s.accepted_cidr::text, s.updated_at
              FROM suggestion s LEFT JOIN decision d ON d.id = s.rejected_decision
             WHERE s.host = ? AND s.instance = ? AND s.kind = 'add'
            """;

    private static final String INSERT = """
            INSERT INTO suggestion (id, host, instance, cidr, state, stable, events, ports, protocols, services,
                                    first_seen, last_seen, evidence, rejected_decision, reopened)
            VALUES (?, ?, ?, ?::cidr, 'pending', ?, ?, ?, ?, ?, ?, ?, ?::json, ?, ?)
            """;

    private static final String UPDATE = """
            UPDATE suggestion
               SET stable = ?, events = ?, ports = ?, protocols = ?, services = ?, first_seen = ?, last_seen = ?,
                   evidence = ?::json, updated_at = now(),
                   pending_since = CASE WHEN state <> 'pending' AND ? = 'pending' THEN now() ELSE pending_since END,
                   approved_by = CASE WHEN state = 'pending' AND ? = 'pending' THEN approved_by ELSE '{}' END,
                   approved_cidr = CASE WHEN state = 'pending' AND ? = 'pending' THEN approved_cidr END,
                   snoozed_until = CASE WHEN ? = 'snoozed' THEN snoozed_until END,
                   superseded_by = NULL,
                   reopened = ?,
                   state = ?, version = version + 1
             WHERE id = ?
            """;

    private static final String SUPERSEDE = """
            UPDATE suggestion
               SET state = 'superseded', superseded_by = ?, approved_by = '{}', approved_cidr = NULL,
                   snoozed_until = NULL, updated_at = now(), version = version + 1
             WHERE id = ?
            """;

    private static final String RUN = """
            INSERT INTO suggestion_run (host, instance, computed_at, aggregates_at, events, destinations, refused,
                                        already_allowed, stale)
            VALUES (?, ?, now(), ?, ?, ?, ?::json, ?::json, false)
            ON CONFLICT (host, instance) DO UPDATE
               SET computed_at = now(), aggregates_at = excluded.aggregates_at, events = excluded.events,
                   destinations = excluded.destinations, refused = excluded.refused,
                   already_allowed = excluded.already_allowed, stale = false
            """;

    /** The selected instances (null selects all) whose aggregates changed since their run, or marked stale. */
    public List<SuggestionStore.Owner> stale(Connection c, String host, String instance) throws SQLException {
        List<SuggestionStore.Owner> stale = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(STALE.formatted(InstanceFilter.where("i", host, instance)))) {
            InstanceFilter.bind(s, 1, host, instance);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    stale.add(new SuggestionStore.Owner(r.getString(1), r.getString(2)));
                }
            }
        }
        return stale;
    }

    /** Takes the advisory lock of one instance for the rest of the caller's transaction. */
    public void lock(Connection c, String host, String instance) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT pg_advisory_xact_lock(hashtextextended('tuner.review' || chr(1) || ? || chr(1) || ?, 0))")) {
            s.setString(1, host);
            s.setString(2, instance);
            s.execute();
        }
    }

    /** Marks an instance for recomputation (its effective allowlist changed). */
    public void markStale(Connection c, String host, String instance) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "UPDATE suggestion_run SET stale = true WHERE host = ? AND instance = ?")) {
            s.setString(1, host);
            s.setString(2, instance);
            s.executeUpdate();
        }
    }

    /**
     * An instance's counters as read under its lock, and whether its run is up to date with them.
     *
     * @param updatedAt when its aggregates last changed; recorded as what the run was computed from
     */
    public record Counters(long events, Timestamp updatedAt, Instant now, boolean upToDate) {
    }

    /** The instance's counters, or null when it has no aggregates. */
    public Counters counters(Connection c, String host, String instance) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(STATE_UNDER_LOCK)) {
            s.setString(1, host);
            s.setString(2, instance);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                long events = r.getLong(1);
                Timestamp updatedAt = r.getTimestamp(2);
                Instant now = r.getObject(3, OffsetDateTime.class).toInstant();
                boolean known = r.getObject(4) != null;
                boolean upToDate = known && r.getLong(4) == events && !r.getTimestamp(5).before(updatedAt)
                        && !r.getBoolean(6);
                return new Counters(events, updatedAt, now, upToDate);
            }
        }
    }

    /** The instance's stored additions by CIDR. */
    public Map<String, Reconciliation.Stored> additions(Connection c, String host, String instance)
            throws SQLException {
        Map<String, Reconciliation.Stored> rows = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement(ADDITIONS)) {
            s.setString(1, host);
            s.setString(2, instance);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    Reconciliation.Stored row = new Reconciliation.Stored(r.getObject(1, UUID.class),
                            Cidrs.format(Cidrs.parse(r.getString(2))), SuggestionState.of(r.getString(3)),
                            instant(r, 4), ints(r, 5), (Long) r.getObject(6), instant(r, 7), r.getString(8),
                            instant(r, 9));
                    rows.put(row.cidr(), row);
                }
            }
        }
        return rows;
    }

    /** A suggestion the engine made, with its stabilisation and evidence (JSON), as stored. */
    public record Computed(Suggestion suggestion, boolean stable, String evidence) {
    }

    /** A new addition, carrying the reopened rejection it overlaps ({@code rejectedDecision}), if any. */
    public record Insert(UUID id, Computed computed, Long rejectedDecision) {
    }

    /** A stored addition computed again. */
    public record Update(UUID id, Computed computed, Reconciliation.Next next) {
    }

    /** A stored addition the engine no longer makes, and the suggestion covering it now (or null). */
    public record Supersede(UUID id, UUID by) {
    }

    /** Writes the instance's additions computed again, in batches. */
    public void write(Connection c, String host, String instance, List<Insert> inserts, List<Update> updates,
                      List<Supersede> superseded) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(INSERT);
             PreparedStatement update = c.prepareStatement(UPDATE);
             PreparedStatement supersede = c.prepareStatement(SUPERSEDE)) {
            for (Insert n : inserts) {
                int i = 1;
                insert.setObject(i++, n.id());
                insert.setString(i++, host);
                insert.setString(i++, instance);
                insert.setString(i++, n.computed().suggestion().cidr());
                insert.setBoolean(i++, n.computed().stable());
                i = setEvidence(c, insert, i, n.computed().suggestion());
                insert.setString(i++, n.computed().evidence());
                insert.setObject(i++, n.rejectedDecision());
                insert.setBoolean(i, n.rejectedDecision() != null);
                insert.addBatch();
            }
            for (Update u : updates) {
                String state = u.next().state().text();
                int i = 1;
                update.setBoolean(i++, u.computed().stable());
                i = setEvidence(c, update, i, u.computed().suggestion());
                update.setString(i++, u.computed().evidence());
                update.setString(i++, state);
                update.setString(i++, state);
                update.setString(i++, state);
                update.setString(i++, state);
                update.setBoolean(i++, u.next().reopened());
                update.setString(i++, state);
                update.setObject(i, u.id());
                update.addBatch();
            }
            insert.executeBatch();
            update.executeBatch();
            for (Supersede s : superseded) {
                supersede.setObject(1, s.by());
                supersede.setObject(2, s.id());
                supersede.addBatch();
            }
            supersede.executeBatch();
        }
    }

    /** What the instance's suggestions were computed from (the run), and what it refused or already allowed. */
    public void saveRun(Connection c, String host, String instance, Counters counters, int destinations,
                        String refused, String alreadyAllowed) throws SQLException {
        try (PreparedStatement run = c.prepareStatement(RUN)) {
            run.setString(1, host);
            run.setString(2, instance);
            run.setTimestamp(3, counters.updatedAt());
            run.setLong(4, counters.events());
            run.setInt(5, destinations);
            run.setString(6, refused);
            run.setString(7, alreadyAllowed);
            run.executeUpdate();
        }
    }

    private static int setEvidence(Connection c, PreparedStatement s, int i, Suggestion g) throws SQLException {
        s.setLong(i++, g.events());
        s.setArray(i++, c.createArrayOf("integer", g.ports().toArray(new Integer[0])));
        s.setArray(i++, c.createArrayOf("text", g.protocols().toArray(new String[0])));
        s.setArray(i++, c.createArrayOf("text", g.services().toArray(new String[0])));
        s.setObject(i++, timestamptz(g.firstSeen()));
        s.setObject(i++, timestamptz(g.lastSeen()));
        return i;
    }

    private static Set<Integer> ints(ResultSet r, int column) throws SQLException {
        java.sql.Array array = r.getArray(column);
        Set<Integer> out = new HashSet<>();
        if (array != null) {
            for (Object v : (Object[]) array.getArray()) {
                out.add((Integer) v);
            }
            array.free();
        }
        return out;
    }
}
