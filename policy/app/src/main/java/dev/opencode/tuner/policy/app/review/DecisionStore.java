package dev.opencode.tuner.policy.app.review;

import static dev.opencode.tuner.policy.app.JdbcValues.instant;
import static dev.opencode.tuner.policy.app.JdbcValues.timestamptz;

import dev.opencode.tuner.review.DecisionOutcome;
import dev.opencode.tuner.suggest.Cidrs;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The {@code decision} table: the append-only audit trail (the database refuses updates and deletes even to the
 * application's own account). Every method runs in the caller's connection and transaction.
 */
@ApplicationScoped
public class DecisionStore {
    /** The columns a {@link ReviewViews.DecisionView} is read from, table alias {@code d}. */
    static final String COLUMNS = """
            d.id, d.suggestion_id, d.host, d.instance, d.cidr::text, d.decided_cidr::text, d.outcome, d.actor,
            d.decided_at, d.comment, d.snoozed_until, d.evidence::text
            """;

    private static final String INSERT = """
            INSERT INTO decision (suggestion_id, host, instance, cidr, decided_cidr, outcome, actor, comment,
                                  snoozed_until, evidence)
            SELECT s.id, s.host, s.instance, s.cidr, ?::cidr, ?, ?, ?, ?,
                   jsonb_build_object('events', s.events, 'ports', s.ports, 'protocols', s.protocols,
                                      'services', s.services, 'firstSeen', s.first_seen, 'lastSeen', s.last_seen,
                                      'stable', s.stable, 'state', s.state, 'addresses', s.evidence)
                   || COALESCE(?::jsonb, '{}'::jsonb)
              FROM suggestion s WHERE s.id = ?
            RETURNING id
            """;

    /**
     * Records a decision on a suggestion with the suggestion's evidence as it is now; answers the decision's id.
     * A blank comment is recorded as none.
     */
    public long record(Connection c, UUID id, String decidedCidr, DecisionOutcome outcome, String actor,
                       String comment, Instant snoozedUntil) throws SQLException {
        return record(c, id, decidedCidr, outcome, actor, comment, snoozedUntil, null);
    }

    /**
     * Records a decision whose evidence is the suggestion's with the fields of {@code editedSnapshot} (a JSON object,
     * or null) in their place: the evidence of an edited CIDR ({@link DecisionEvidence#editedSnapshot}).
     */
    public long record(Connection c, UUID id, String decidedCidr, DecisionOutcome outcome, String actor,
                       String comment, Instant snoozedUntil, String editedSnapshot) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(INSERT)) {
            s.setString(1, decidedCidr);
            s.setString(2, outcome.text());
            s.setString(3, actor);
            s.setString(4, comment == null || comment.isBlank() ? null : comment.strip());
            s.setObject(5, timestamptz(snoozedUntil));
            s.setString(6, editedSnapshot);
            s.setObject(7, id);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    /** One decision. */
    public ReviewViews.DecisionView find(Connection c, long id) throws SQLException {
        return list(c, "d.id = ?", List.of(id), 1).get(0);
    }

    /** The decisions of the selected instances (null selects all), newest first. */
    public List<ReviewViews.DecisionView> list(Connection c, String host, String instance, int limit)
            throws SQLException {
        List<Object> args = new ArrayList<>();
        args.add(host);
        args.add(host);
        args.add(instance);
        args.add(instance);
        return list(c, "(?::text IS NULL OR d.host = ?) AND (?::text IS NULL OR d.instance = ?)", args, limit);
    }

    private static List<ReviewViews.DecisionView> list(Connection c, String where, List<?> args, int limit)
            throws SQLException {
        List<ReviewViews.DecisionView> list = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM decision d WHERE "
                + where + " ORDER BY d.id DESC LIMIT " + limit)) {
            for (int i = 0; i < args.size(); i++) {
                s.setObject(i + 1, args.get(i));
            }
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    list.add(decision(r, 1));
                }
            }
        }
        return list;
    }

    /** Each suggestion's decisions, newest first, at most 200 each. */
    public Map<UUID, List<ReviewViews.DecisionView>> histories(Connection c, List<UUID> ids) throws SQLException {
        Map<UUID, List<ReviewViews.DecisionView>> history = new HashMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS
                + " FROM decision d WHERE d.suggestion_id = ANY (?::uuid[]) ORDER BY d.id DESC")) {
            s.setArray(1, c.createArrayOf("text", ids.stream().map(UUID::toString).toArray()));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    ReviewViews.DecisionView d = decision(r, 1);
                    List<ReviewViews.DecisionView> list = history.computeIfAbsent(ReviewIds.parse(d.suggestionId()),
                            k -> new ArrayList<>());
                    if (list.size() < 200) {
                        list.add(d);
                    }
                }
            }
        }
        return history;
    }

    /** A suggestion of an instance, the CIDR shown for it, and the CIDR suggested. */
    public record Overlap(UUID id, String cidr, String suggested) {
    }

    /**
     * Per suggestion, the decisions on the instance's other suggestions whose CIDR overlaps the CIDR shown (or whose
     * decided CIDR overlaps the suggested one), newest first, at most 50 each.
     */
    public List<List<ReviewViews.DecisionView>> overlapping(Connection c, String host, String instance,
                                                            List<Overlap> targets) throws SQLException {
        List<List<ReviewViews.DecisionView>> earlier = new ArrayList<>();
        for (int k = 0; k < targets.size(); k++) {
            earlier.add(new ArrayList<>());
        }
        try (PreparedStatement s = c.prepareStatement("SELECT x.n, " + COLUMNS + """
                  FROM unnest(?::uuid[], ?::cidr[], ?::cidr[]) WITH ORDINALITY AS x (id, cidr, suggested, n)
                 CROSS JOIN LATERAL (
                       SELECT * FROM decision d
                        WHERE d.host = ? AND d.instance = ? AND d.suggestion_id <> x.id
                          AND (d.cidr && x.cidr OR d.decided_cidr && x.suggested)
                        ORDER BY d.id DESC LIMIT 50) d
                 ORDER BY x.n, d.id DESC""")) {
            s.setArray(1, c.createArrayOf("text", targets.stream().map(t -> t.id().toString()).toArray()));
            s.setArray(2, c.createArrayOf("text", targets.stream().map(Overlap::cidr).toArray()));
            s.setArray(3, c.createArrayOf("text", targets.stream().map(Overlap::suggested).toArray()));
            s.setString(4, host);
            s.setString(5, instance);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    earlier.get(r.getInt(1) - 1).add(decision(r, 2));
                }
            }
        }
        return earlier;
    }

    /** The decision of {@link #COLUMNS} in the row, from column {@code at} on. */
    static ReviewViews.DecisionView decision(ResultSet r, int at) throws SQLException {
        String decided = r.getString(at + 5);
        return new ReviewViews.DecisionView(r.getLong(at), ReviewIds.hex(r.getObject(at + 1, UUID.class)),
                r.getString(at + 2), r.getString(at + 3), Cidrs.format(Cidrs.parse(r.getString(at + 4))),
                decided == null ? null : Cidrs.format(Cidrs.parse(decided)), r.getString(at + 6),
                r.getString(at + 7), text(instant(r, at + 8)), r.getString(at + 9), text(instant(r, at + 10)),
                r.getString(at + 11));
    }

    static String text(Instant t) {
        return t == null ? null : t.toString();
    }
}
