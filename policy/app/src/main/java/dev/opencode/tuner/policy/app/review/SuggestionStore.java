package dev.opencode.tuner.policy.app.review;

import static dev.opencode.tuner.policy.app.JdbcValues.instant;
import static dev.opencode.tuner.policy.app.JdbcValues.timestamptz;
import static dev.opencode.tuner.policy.app.review.DecisionStore.text;

import dev.opencode.tuner.review.DecisionRules;
import dev.opencode.tuner.review.ImpactPreview;
import dev.opencode.tuner.review.SuggestionKind;
import dev.opencode.tuner.review.SuggestionState;
import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The {@code suggestion} table as the review reads and decides it: suggestions as the API shows them (with the
 * earlier rejection they carry), the row lock a decision takes, and the state changes of decisions. The rows
 * themselves are written by recomputation ({@link SuggestionRunStore}) and removals ({@link RemovalStore}). Every
 * method runs in the caller's connection and transaction.
 */
@ApplicationScoped
public class SuggestionStore {
    /** The state as a reader sees it: a snooze that ended reads as pending. */
    static final String EFFECTIVE_STATE =
            "CASE WHEN s.state = 'snoozed' AND s.snoozed_until <= now() THEN 'pending' ELSE s.state END";

    private static final String COLUMNS = """
            s.id, s.host, s.instance, s.cidr::text, s.evidence::text, s.ports, s.protocols, s.services, s.events,
            s.first_seen, s.last_seen, %s, s.stable, s.accepted_cidr::text, s.snoozed_until, s.superseded_by,
            s.approved_by, s.approved_cidr::text, s.reopened,
            d.id, d.suggestion_id, d.host, d.instance, d.cidr::text, d.decided_cidr::text, d.outcome, d.actor,
            d.decided_at, d.comment, d.snoozed_until, d.evidence::text,
            s.kind, s.packets, s.last_used, s.unused_since, s.announced_at, s.remove_after, s.removes
            """.formatted(EFFECTIVE_STATE);

    private static final String FROM = """
              FROM suggestion s LEFT JOIN decision d ON d.id = s.rejected_decision AND s.reopened
            """;

    /** Where the suggestion's columns start in a row of the list (after the run's six). */
    private static final int LIST_AT = 6;

    /** One suggestion, or null. */
    public ReviewViews.ReviewSuggestion find(Connection c, UUID id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + FROM + " WHERE s.id = ?")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? suggestion(r, 0) : null;
            }
        }
    }

    /**
     * The instances with events (null selects all) and their suggestions in the selected states ({@code held}:
     * pending but not stable), in one statement, hence one snapshot; without {@code evidence}, each suggestion's
     * {@code addresses} is null.
     */
    public ReviewViews.ReviewList list(Connection c, String host, String instance, Set<String> states,
                                       boolean evidence) throws SQLException {
        List<String> plain = states.stream().filter(s -> !s.equals(SuggestionState.PENDING.text())
                && !s.equals(SuggestionState.HELD)).toList();
        // One statement, hence one snapshot for the runs and their suggestions, without a transaction to begin, set
        // to repeatable read and end (three more round trips, each waiting for PostgreSQL's turn on a busy machine).
        // Each instance's run comes with its suggestions joined; the run's JSON only on its first row. Only the
        // filters given, so that PostgreSQL uses the (host, instance, state) index for one instance.
        String sql = """
                SELECT r.host, r.instance, r.events, r.destinations,
                       CASE WHEN row_number() OVER w = 1 THEN r.refused::text END,
                       CASE WHEN row_number() OVER w = 1 THEN r.already_allowed::text END,
                       %2$s
                  FROM suggestion_run r
                  LEFT JOIN (suggestion s LEFT JOIN decision d ON d.id = s.rejected_decision AND s.reopened)
                    ON s.host = r.host AND s.instance = r.instance
                   AND (%1$s = ANY (?) OR (%1$s = 'pending' AND s.stable AND ?)
                        OR (%1$s = 'pending' AND NOT s.stable AND ?))
                 WHERE %3$s
                WINDOW w AS (PARTITION BY r.host, r.instance ORDER BY family(s.cidr), s.cidr)
                 ORDER BY r.host, r.instance, family(s.cidr), s.cidr
                """.formatted(EFFECTIVE_STATE, evidence ? COLUMNS : COLUMNS.replace("s.evidence::text", "NULL::text"),
                InstanceFilter.where("r", host, instance));
        List<ReviewViews.ReviewInstance> instances = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setArray(1, c.createArrayOf("text", plain.toArray()));
            s.setBoolean(2, states.contains(SuggestionState.PENDING.text()));
            s.setBoolean(3, states.contains(SuggestionState.HELD));
            InstanceFilter.bind(s, 4, host, instance);
            try (ResultSet r = s.executeQuery()) {
                String h = null;
                String i = null;
                long events = 0;
                int destinations = 0;
                String refused = null;
                String alreadyAllowed = null;
                List<ReviewViews.ReviewSuggestion> suggestions = new ArrayList<>();
                while (r.next()) {
                    if (!r.getString(1).equals(h) || !r.getString(2).equals(i)) {
                        if (h != null) {
                            instances.add(new ReviewViews.ReviewInstance(h, i, events, destinations, suggestions,
                                    refused, alreadyAllowed));
                        }
                        h = r.getString(1);
                        i = r.getString(2);
                        events = r.getLong(3);
                        destinations = r.getInt(4);
                        refused = r.getString(5);
                        alreadyAllowed = r.getString(6);
                        suggestions = new ArrayList<>();
                    }
                    if (r.getObject(LIST_AT + 1) != null) {
                        suggestions.add(suggestion(r, LIST_AT));
                    }
                }
                if (h != null) {
                    instances.add(new ReviewViews.ReviewInstance(h, i, events, destinations, suggestions, refused,
                            alreadyAllowed));
                }
            }
        }
        return new ReviewViews.ReviewList(instances);
    }

    /** The stored evidence (JSON) of the suggestions with these ids, by id in hex. */
    public Map<String, String> evidence(Connection c, List<UUID> ids) throws SQLException {
        Map<String, String> evidence = new HashMap<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT id, evidence::text FROM suggestion WHERE id = ANY (?::uuid[])")) {
            s.setArray(1, c.createArrayOf("text", ids.stream().map(UUID::toString).toArray()));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    evidence.put(ReviewIds.hex(r.getObject(1, UUID.class)), r.getString(2));
                }
            }
        }
        return evidence;
    }

    /** The host and instance of a suggestion. */
    public record Owner(String host, String instance) {
    }

    /** The host and instance of a suggestion, or null when there is none. */
    public Owner owner(Connection c, UUID id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT host, instance FROM suggestion WHERE id = ?")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? new Owner(r.getString(1), r.getString(2)) : null;
            }
        }
    }

    /** A suggestion under its row lock: whose it is, since when it was seen, and what a decision finds. */
    public record Locked(Owner owner, Instant firstSeen, DecisionRules.Found found) {
    }

    /** Takes a suggestion's row lock for the rest of the transaction; null when there is none. */
    public Locked lock(Connection c, UUID id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT s.host, s.instance, s.cidr::text, " + EFFECTIVE_STATE
                + ", s.first_seen, s.approved_by, s.approved_cidr::text, s.kind FROM suggestion s WHERE s.id = ?"
                + " FOR UPDATE")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                List<String> approvedBy = List.of((String[]) r.getArray(6).getArray());
                String approvedCidr = r.getString(7);
                return new Locked(new Owner(r.getString(1), r.getString(2)), instant(r, 5), new DecisionRules.Found(
                        SuggestionKind.of(r.getString(8)), SuggestionState.of(r.getString(4)),
                        Cidrs.format(Cidrs.parse(r.getString(3))), approvedBy,
                        approvedCidr == null ? null : Cidrs.format(Cidrs.parse(approvedCidr))));
            }
        }
    }

    /** The pending, stable additions of an instance by address: what a bulk decision without ids decides. */
    public List<UUID> pendingStable(Connection c, String host, String instance) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        for (ImpactPreview.PatchSuggestion p : patch(c, host, instance, " ORDER BY family(s.cidr), s.cidr")) {
            ids.add(p.id());
        }
        return ids;
    }

    /** The pending, stable additions of an instance: the patch its impact preview counts. */
    public List<ImpactPreview.PatchSuggestion> patch(Connection c, String host, String instance)
            throws SQLException {
        return patch(c, host, instance, "");
    }

    private static List<ImpactPreview.PatchSuggestion> patch(Connection c, String host, String instance,
                                                             String order) throws SQLException {
        List<ImpactPreview.PatchSuggestion> patch = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT s.id, s.cidr::text FROM suggestion s WHERE s.host = ?"
                + " AND s.instance = ? AND s.stable AND s.kind = 'add' AND " + EFFECTIVE_STATE + " = 'pending'"
                + order)) {
            s.setString(1, host);
            s.setString(2, instance);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    patch.add(new ImpactPreview.PatchSuggestion(r.getObject(1, UUID.class), r.getString(2)));
                }
            }
        }
        return patch;
    }

    // ------------------------------------------------------------------------------------- decisions' changes

    /** Snoozed until {@code until}; a four-eyes approval so far is dropped. */
    public void snooze(Connection c, UUID id, Instant until) throws SQLException {
        update(c, """
                UPDATE suggestion SET state = 'snoozed', snoozed_until = ?, approved_by = '{}',
                       approved_cidr = NULL, updated_at = now(), version = version + 1
                 WHERE id = ?""", timestamptz(until), id);
    }

    /** Four-eyes: approved by {@code actor} for {@code cidr}, still pending. */
    public void approve(Connection c, UUID id, String actor, String cidr) throws SQLException {
        update(c, """
                UPDATE suggestion SET approved_by = array_append(approved_by, ?), approved_cidr = ?::cidr,
                       state = 'pending', snoozed_until = NULL, updated_at = now(), version = version + 1
                 WHERE id = ?""", actor, cidr, id);
    }

    /** Accepted with {@code cidr}; the decision that did it is recorded next ({@link #acceptedBy}). */
    public void accept(Connection c, UUID id, String cidr) throws SQLException {
        update(c, """
                UPDATE suggestion SET state = 'accepted', accepted_cidr = ?::cidr, snoozed_until = NULL,
                       updated_at = now(), version = version + 1
                 WHERE id = ?""", cidr, id);
    }

    /** The decision that accepted the suggestion (recorded after the state changed, so its evidence says so). */
    public void acceptedBy(Connection c, UUID id, long decision) throws SQLException {
        update(c, "UPDATE suggestion SET accepted_decision = ? WHERE id = ?", decision, id);
    }

    /** Rejected by {@code decision}: remembered with the ports seen so far. */
    public void reject(Connection c, UUID id, long decision) throws SQLException {
        update(c, """
                UPDATE suggestion SET state = 'rejected', decided_ports = ports, rejected_decision = ?,
                       reopened = false, approved_by = '{}', approved_cidr = NULL, snoozed_until = NULL,
                       updated_at = now(), version = version + 1
                 WHERE id = ?""", decision, id);
    }

    /** Rejected by {@code decision} while in force (the forge closed its pull request): no longer accepted. */
    public void rejectInForce(Connection c, UUID id, long decision) throws SQLException {
        update(c, """
                UPDATE suggestion SET state = 'rejected', decided_ports = ports, rejected_decision = ?,
                       accepted_decision = NULL, accepted_cidr = NULL, reopened = false, approved_by = '{}',
                       approved_cidr = NULL, snoozed_until = NULL, updated_at = now(), version = version + 1
                 WHERE id = ?""", decision, id);
    }

    /** The addition a rejected removal would have taken out is in force again (accepted), if it was removed. */
    public void restoreRemoved(Connection c, UUID removal) throws SQLException {
        update(c, """
                UPDATE suggestion t SET state = 'accepted', updated_at = now(), version = t.version + 1
                  FROM suggestion r WHERE r.id = ? AND t.id = r.removes AND t.state = 'removed'""", removal);
    }

    private static void update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            s.executeUpdate();
        }
    }

    // ------------------------------------------------------------------------------------------------- rows

    /** The suggestion of {@link #COLUMNS} in the row, after {@code at} other columns. */
    private static ReviewViews.ReviewSuggestion suggestion(ResultSet r, int at) throws SQLException {
        IPAddress block = Cidrs.parse(r.getString(at + 4));
        ReviewViews.DecisionView rejection = r.getObject(at + 20) == null ? null
                : DecisionStore.decision(r, at + 20);
        UUID supersededBy = r.getObject(at + 16, UUID.class);
        String accepted = r.getString(at + 14);
        String state = r.getString(at + 12);
        return new ReviewViews.ReviewSuggestion(ReviewIds.hex(r.getObject(at + 1, UUID.class)), Cidrs.format(block),
                r.getString(at + 5), block.getCount(), Arrays.asList((Integer[]) r.getArray(at + 6).getArray()),
                Arrays.asList((String[]) r.getArray(at + 7).getArray()),
                Arrays.asList((String[]) r.getArray(at + 8).getArray()), r.getLong(at + 9), text(instant(r, at + 10)),
                text(instant(r, at + 11)), state, r.getBoolean(at + 13),
                accepted == null ? null : Cidrs.format(Cidrs.parse(accepted)),
                SuggestionState.SNOOZED.text().equals(state) ? text(instant(r, at + 15)) : null,
                supersededBy == null ? null : ReviewIds.hex(supersededBy),
                List.of((String[]) r.getArray(at + 17).getArray()), rejection, r.getString(at + 32),
                removal(r, at));
    }

    /** The removal facts of a {@code remove} suggestion (columns 32..38 of COLUMNS), else null. */
    private static ReviewViews.Removal removal(ResultSet r, int at) throws SQLException {
        if (!SuggestionKind.REMOVE.text().equals(r.getString(at + 32))) {
            return null;
        }
        UUID removes = r.getObject(at + 38, UUID.class);
        return new ReviewViews.Removal(r.getLong(at + 33), text(instant(r, at + 34)), text(instant(r, at + 35)),
                removes == null ? null : ReviewIds.hex(removes), text(instant(r, at + 36)), text(instant(r, at + 37)));
    }
}
