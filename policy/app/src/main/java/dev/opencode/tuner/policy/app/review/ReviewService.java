package dev.opencode.tuner.policy.app.review;

import dev.opencode.tuner.policy.app.evidence.AddressLabels;
import dev.opencode.tuner.policy.app.evidence.ProviderRange;
import dev.opencode.tuner.suggest.Allowlist;
import dev.opencode.tuner.suggest.CidrEdit;
import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The review of suggestions: lists, details with evidence and impact, decisions (accept, possibly edited and under
 * four-eyes; reject; snooze; in bulk per instance), the audit trail and the accepted allowlist. Its Java API is what
 * the REST resource, the web UI and the exporter call; {@code actor} is the account (or {@code forge:<forge>}).
 *
 * <p>A decision is one transaction that takes the instance's advisory lock (as recomputation does) and then the
 * suggestion's row lock; it checks the state it finds there. Of two reviewers deciding at once, the second finds
 * the first's decision and gets a conflict with the current state.
 */
@ApplicationScoped
public class ReviewService {
    /** The states of the lifecycle, plus {@code held}: pending but held back by the stabilisation rule. */
    public static final List<String> STATES = List.of("pending", "held", "accepted", "rejected", "snoozed",
            "superseded", "exported", "merged", "deployed", "removed");

    private static final String EFFECTIVE_STATE =
            "CASE WHEN s.state = 'snoozed' AND s.snoozed_until <= now() THEN 'pending' ELSE s.state END";

    private static final String SUGGESTION_COLUMNS = """
            s.id, s.host, s.instance, s.cidr::text, s.evidence::text, s.ports, s.protocols, s.services, s.events,
            s.first_seen, s.last_seen, %s, s.stable, s.accepted_cidr::text, s.snoozed_until, s.superseded_by,
            s.approved_by, s.approved_cidr::text, s.reopened,
            d.id, d.suggestion_id, d.host, d.instance, d.cidr::text, d.decided_cidr::text, d.outcome, d.actor,
            d.decided_at, d.comment, d.snoozed_until, d.evidence::text,
            s.kind, s.packets, s.last_used, s.unused_since, s.announced_at, s.remove_after, s.removes
            """.formatted(EFFECTIVE_STATE);

    private static final String SUGGESTION_FROM = """
              FROM suggestion s LEFT JOIN decision d ON d.id = s.rejected_decision AND s.reopened
            """;

    private static final String DECISION_COLUMNS = """
            d.id, d.suggestion_id, d.host, d.instance, d.cidr::text, d.decided_cidr::text, d.outcome, d.actor,
            d.decided_at, d.comment, d.snoozed_until, d.evidence::text
            """;

    private static final String INSERT_DECISION = """
            INSERT INTO decision (suggestion_id, host, instance, cidr, decided_cidr, outcome, actor, comment,
                                  snoozed_until, evidence)
            SELECT s.id, s.host, s.instance, s.cidr, ?::cidr, ?, ?, ?, ?,
                   jsonb_build_object('events', s.events, 'ports', s.ports, 'protocols', s.protocols,
                                      'services', s.services, 'firstSeen', s.first_seen, 'lastSeen', s.last_seen,
                                      'stable', s.stable, 'state', s.state, 'addresses', s.evidence)
              FROM suggestion s WHERE s.id = ?
            RETURNING id
            """;

    private final DataSource dataSource;
    private final Recomputation recomputation;
    private final ReviewRules rules;
    private final ReviewMetrics metrics;
    private final AddressLabels labels;

    ReviewService(DataSource dataSource, Recomputation recomputation, ReviewRules rules, ReviewMetrics metrics,
                  AddressLabels labels) {
        this.dataSource = dataSource;
        this.recomputation = recomputation;
        this.rules = rules;
        this.metrics = metrics;
        this.labels = labels;
    }

    /**
     * The suggestion with each address labelled: {@code reverseDns} (the cached name, or null while a background
     * lookup runs or when there is none) and {@code providers} (the published ranges it falls in). Never blocks.
     */
    private ReviewViews.ReviewSuggestion labelled(ReviewViews.ReviewSuggestion s) {
        try {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            com.fasterxml.jackson.databind.JsonNode addresses = json.readTree(s.addresses());
            for (com.fasterxml.jackson.databind.JsonNode a : addresses) {
                AddressLabels.Labels l = labels.labels(a.path("address").asText());
                var node = (com.fasterxml.jackson.databind.node.ObjectNode) a;
                node.put("reverseDns", l.reverseDns());
                var providers = node.putArray("providers");
                for (ProviderRange p : l.providers()) {
                    providers.addObject().put("provider", p.provider()).put("service", p.service())
                            .put("region", p.region());
                }
            }
            return new ReviewViews.ReviewSuggestion(s.id(), s.cidr(), json.writeValueAsString(addresses), s.opens(),
                    s.ports(), s.protocols(), s.services(), s.events(), s.firstSeen(), s.lastSeen(), s.state(),
                    s.stable(), s.acceptedCidr(), s.snoozedUntil(), s.supersededBy(), s.approvedBy(),
                    s.earlierRejection(), s.kind(), s.removal());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the stored evidence of " + s.id() + " is not JSON", e);
        }
    }

    // ---------------------------------------------------------------------------------------------------- reads

    /**
     * The suggestions of the selected instances (null selects all) in the selected states, after recomputing the
     * instances that got new events. Every instance with events is listed, with or without suggestions.
     */
    public ReviewViews.ReviewList list(String host, String instance, Set<String> states) throws SQLException {
        return reading(() -> listOnce(host, instance, states));
    }

    /**
     * A read (and the recomputation before it, which commits or rolls back as a whole) tried again when the pool
     * handed out a connection that died with its server (SQLState class 08, e.g. after a PostgreSQL restart): the
     * pool drops that connection, and the next one is fresh.
     */
    private static <T> T reading(Read<T> read) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                return read.run();
            } catch (SQLException e) {
                if (e.getSQLState() == null || !e.getSQLState().startsWith("08") || attempt >= 5) {
                    throw e;
                }
            }
        }
    }

    private ReviewViews.ReviewList listOnce(String host, String instance, Set<String> states) throws SQLException {
        recomputation.recomputeStale(host, instance);
        List<String> plain = states.stream().filter(s -> !s.equals("pending") && !s.equals("held")).toList();
        // Only the filters given, so that PostgreSQL uses the (host, instance, state) index for one instance.
        String sql = "SELECT " + SUGGESTION_COLUMNS + SUGGESTION_FROM + " WHERE " + filters("s", host, instance)
                + """
                   AND (%1$s = ANY (?) OR (%1$s = 'pending' AND s.stable AND ?)
                        OR (%1$s = 'pending' AND NOT s.stable AND ?))
                 ORDER BY s.host, s.instance, family(s.cidr), s.cidr
                """.formatted(EFFECTIVE_STATE);
        Map<String, List<ReviewViews.ReviewSuggestion>> byInstance = new LinkedHashMap<>();
        List<ReviewViews.ReviewInstance> instances = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false); // one snapshot for the runs and the suggestions
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                try (PreparedStatement s = c.prepareStatement(sql)) {
                    int i = bind(s, host, instance);
                    s.setArray(i++, c.createArrayOf("text", plain.toArray()));
                    s.setBoolean(i++, states.contains("pending"));
                    s.setBoolean(i, states.contains("held"));
                    try (ResultSet r = s.executeQuery()) {
                        while (r.next()) {
                            byInstance.computeIfAbsent(key(r.getString(2), r.getString(3)), k -> new ArrayList<>())
                                    .add(suggestion(r));
                        }
                    }
                }
                try (PreparedStatement s = c.prepareStatement("SELECT host, instance, events, destinations,"
                        + " refused::text, already_allowed::text FROM suggestion_run r WHERE "
                        + filters("r", host, instance) + " ORDER BY host, instance")) {
                    bind(s, host, instance);
                    try (ResultSet r = s.executeQuery()) {
                        while (r.next()) {
                            String h = r.getString(1);
                            String i = r.getString(2);
                            instances.add(new ReviewViews.ReviewInstance(h, i, r.getLong(3), r.getInt(4),
                                    byInstance.getOrDefault(key(h, i), List.of()), r.getString(5), r.getString(6)));
                        }
                    }
                }
            } finally {
                c.rollback();
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                c.setAutoCommit(true);
            }
        }
        return new ReviewViews.ReviewList(instances);
    }

    /** One suggestion, or null. */
    public ReviewViews.ReviewSuggestion suggestion(UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return suggestion(c, id, false);
        }
    }

    /**
     * One suggestion with its evidence, history, the decisions on overlapping CIDRs, the impact preview over the
     * last {@code days} days and the diff of the host's generated file; {@code editedCidr} previews an edit.
     */
    public ReviewViews.SuggestionDetail detail(UUID id, String editedCidr, Integer days) throws SQLException {
        return reading(() -> detailOnce(id, editedCidr, days));
    }

    private ReviewViews.SuggestionDetail detailOnce(UUID id, String editedCidr, Integer days) throws SQLException {
        ReviewViews.ReviewSuggestion s;
        try (Connection c = dataSource.getConnection()) {
            s = suggestion(c, id, false);
        }
        if (s == null) {
            throw ReviewErrors.notFound("no suggestion " + ReviewIds.hex(id));
        }
        String[] hostInstance = hostInstance(id);
        String host = hostInstance[0];
        String instance = hostInstance[1];
        String cidr = s.acceptedCidr() != null ? s.acceptedCidr() : s.cidr();
        if (editedCidr != null) {
            cidr = checkEdit(s.cidr(), editedCidr);
        }
        IPAddress block = Cidrs.parse(cidr);
        int window = days == null ? rules.config().impactDays() : days;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                int observed = observed(s, block);
                List<ReviewViews.DecisionView> history = decisions(c, "d.suggestion_id = ?", List.of(id), 200);
                List<ReviewViews.DecisionView> earlier = decisions(c, """
                        d.host = ? AND d.instance = ? AND d.suggestion_id <> ?
                        AND (d.cidr && ?::cidr OR d.decided_cidr && ?::cidr)""",
                        List.of(host, instance, id, cidr, s.cidr()), 50);
                ReviewViews.Impact impact = impact(c, host, instance, id, cidr, window);
                String diff = diff(c, host, instance, id, cidr, s, now(c));
                return new ReviewViews.SuggestionDetail(host, instance, labelled(s), block.getCount(), observed, history,
                        earlier, impact, diff);
            } finally {
                c.rollback();
                c.setReadOnly(false);
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                c.setAutoCommit(true);
            }
        }
    }

    /** The audit trail of the selected instances (null selects all), newest first. */
    public ReviewViews.DecisionList decisions(String host, String instance, int limit) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            List<Object> args = new ArrayList<>();
            args.add(host);
            args.add(host);
            args.add(instance);
            args.add(instance);
            return new ReviewViews.DecisionList(decisions(c,
                    "(?::text IS NULL OR d.host = ?) AND (?::text IS NULL OR d.instance = ?)", args, limit));
        }
    }

    /** The host's allowlist: entries in force by decision, and what the host already allows. */
    public ReviewViews.HostAllowlist allowlist(String host) throws SQLException {
        Map<String, List<ReviewViews.AllowlistEntry>> byInstance = new java.util.TreeMap<>();
        try (Connection c = dataSource.getConnection()) {
            for (AcceptedLine a : accepted(c, host)) {
                byInstance.computeIfAbsent(a.instance, k -> new ArrayList<>()).add(new ReviewViews.AllowlistEntry(
                        a.cidr, "accepted", ReviewIds.hex(a.suggestionId), a.acceptedBy, text(a.acceptedAt),
                        a.comment));
            }
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT instance, cidr::text FROM allowlist_entry WHERE host = ? ORDER BY instance, cidr")) {
                s.setString(1, host);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        byInstance.computeIfAbsent(r.getString(1), k -> new ArrayList<>()).add(
                                new ReviewViews.AllowlistEntry(Cidrs.format(Cidrs.parse(r.getString(2))), "host",
                                        null, null, null, null));
                    }
                }
            }
        }
        List<ReviewViews.InstanceAllowlist> instances = new ArrayList<>();
        byInstance.forEach((i, entries) -> instances.add(new ReviewViews.InstanceAllowlist(i, entries)));
        return new ReviewViews.HostAllowlist(host, instances);
    }

    /** The host's generated Nix module: the CIDRs in force by decision. */
    public String allowlistNix(String host) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return AllowlistFiles.render(host, lines(accepted(c, host), null));
        }
    }

    // ------------------------------------------------------------------------------------------------ decisions

    /** Accepts a suggestion, optionally with an edited CIDR; under four-eyes the first accept is an approval. */
    public ReviewViews.DecisionResult accept(UUID id, String actor, String comment, String editedCidr)
            throws SQLException {
        return inTransaction(id, c -> accept(c, id, actor, comment, editedCidr));
    }

    /** Rejects a suggestion; the comment is required. */
    public ReviewViews.DecisionResult reject(UUID id, String actor, String comment) throws SQLException {
        requireComment(comment);
        return inTransaction(id, c -> reject(c, id, actor, comment));
    }

    /** Snoozes a suggestion until a time in the future; it is pending again from then on. */
    public ReviewViews.DecisionResult snooze(UUID id, String actor, Instant until, String comment)
            throws SQLException {
        return inTransaction(id, c -> {
            Current current = lockCurrent(c, id);
            Instant now = now(c);
            if (!until.isAfter(now)) {
                throw ReviewErrors.unprocessable("until", until + " is not in the future (now " + now + ")");
            }
            requireOpen(c, id, current, "snooze");
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE suggestion SET state = 'snoozed', snoozed_until = ?, approved_by = '{}',
                           approved_cidr = NULL, updated_at = now(), version = version + 1
                     WHERE id = ?""")) {
                s.setObject(1, OffsetDateTime.ofInstant(until, ZoneOffset.UTC));
                s.setObject(2, id);
                s.executeUpdate();
            }
            long decision = record(c, id, null, "snoozed", actor, comment, until);
            metrics.decided("snoozed", since(current.firstSeen, now));
            return result(c, id, decision, 0);
        });
    }

    /**
     * Accepts or rejects, in one transaction, every pending and stable suggestion of an instance, or the listed
     * ones (which must belong to it). All or nothing: one that cannot be decided fails the whole request.
     */
    public ReviewViews.BulkResult bulk(String host, String instance, String action, String actor, String comment,
                                       List<UUID> ids) throws SQLException {
        if (action.equals("reject")) {
            requireComment(comment);
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Recomputation.lockInstance(c, host, instance);
                List<UUID> targets = new ArrayList<>();
                if (ids == null || ids.isEmpty()) {
                    try (PreparedStatement s = c.prepareStatement("SELECT s.id FROM suggestion s"
                            + " WHERE s.host = ? AND s.instance = ? AND s.stable AND s.kind = 'add' AND "
                            + EFFECTIVE_STATE + " = 'pending' ORDER BY family(s.cidr), s.cidr")) {
                        s.setString(1, host);
                        s.setString(2, instance);
                        try (ResultSet r = s.executeQuery()) {
                            while (r.next()) {
                                targets.add(r.getObject(1, UUID.class));
                            }
                        }
                    }
                } else {
                    for (UUID id : ids) {
                        String[] owner = hostInstance(c, id);
                        if (owner == null || !owner[0].equals(host) || !owner[1].equals(instance)) {
                            throw ReviewErrors.unprocessable("ids", ReviewIds.hex(id) + " is not a suggestion of "
                                    + host + "/" + instance);
                        }
                        targets.add(id);
                    }
                }
                List<ReviewViews.DecisionResult> results = new ArrayList<>();
                for (UUID id : targets) {
                    results.add(action.equals("accept") ? accept(c, id, actor, comment, null)
                            : reject(c, id, actor, comment));
                }
                c.commit();
                return new ReviewViews.BulkResult(results);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private ReviewViews.DecisionResult accept(Connection c, UUID id, String actor, String comment, String edited)
            throws SQLException {
        Current current = lockCurrent(c, id);
        requireOpen(c, id, current, "accept");
        if (edited != null && current.kind.equals("remove") && !edited.strip().equals(current.cidr)) {
            throw ReviewErrors.unprocessable("cidr", "a removal takes the entry " + current.cidr
                    + " out as it is: it cannot be edited (reject it, and narrow the entry by another suggestion)");
        }
        String cidr = edited == null || current.kind.equals("remove") ? current.cidr : checkEdit(current.cidr, edited);
        Instant now = now(c);
        int required = rules.config().approvalsRequired();
        List<String> approvals = current.approvedBy;
        if (required > 1 && approvals.size() + 1 < required) {
            if (approvals.contains(actor)) {
                throw ReviewErrors.conflict(actor + " already approved this suggestion: a second, different"
                        + " reviewer must approve it", suggestion(c, id, false));
            }
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE suggestion SET approved_by = array_append(approved_by, ?), approved_cidr = ?::cidr,
                           state = 'pending', snoozed_until = NULL, updated_at = now(), version = version + 1
                     WHERE id = ?""")) {
                s.setString(1, actor);
                s.setString(2, cidr);
                s.setObject(3, id);
                s.executeUpdate();
            }
            long decision = record(c, id, cidr, "approved", actor, comment, null);
            metrics.decided("approved", null);
            return result(c, id, decision, required - approvals.size() - 1);
        }
        if (approvals.contains(actor)) {
            throw ReviewErrors.conflict(actor + " already approved this suggestion: a second, different reviewer"
                    + " must approve it (tuner.policy.review.approvals-required = " + required + ")",
                    suggestion(c, id, false));
        }
        if (!approvals.isEmpty() && current.approvedCidr != null) {
            if (edited != null && !cidr.equals(current.approvedCidr)) {
                throw ReviewErrors.unprocessable("cidr", "the first approval was for " + current.approvedCidr
                        + ": approve that CIDR, or reject the suggestion");
            }
            cidr = current.approvedCidr;
        }
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE suggestion SET state = 'accepted', accepted_cidr = ?::cidr, snoozed_until = NULL,
                       updated_at = now(), version = version + 1
                 WHERE id = ?""")) {
            s.setString(1, cidr);
            s.setObject(2, id);
            s.executeUpdate();
        }
        long decision = record(c, id, cidr, "accepted", actor, comment, null);
        try (PreparedStatement s = c.prepareStatement("UPDATE suggestion SET accepted_decision = ? WHERE id = ?")) {
            s.setLong(1, decision);
            s.setObject(2, id);
            s.executeUpdate();
        }
        Recomputation.markStale(c, current.host, current.instance);
        metrics.decided("accepted", since(current.firstSeen, now));
        return result(c, id, decision, 0);
    }

    private ReviewViews.DecisionResult reject(Connection c, UUID id, String actor, String comment)
            throws SQLException {
        Current current = lockCurrent(c, id);
        requireOpen(c, id, current, "reject");
        long decision = record(c, id, null, "rejected", actor, comment, null);
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE suggestion SET state = 'rejected', decided_ports = ports, rejected_decision = ?,
                       reopened = false, approved_by = '{}', approved_cidr = NULL, snoozed_until = NULL,
                       updated_at = now(), version = version + 1
                 WHERE id = ?""")) {
            s.setLong(1, decision);
            s.setObject(2, id);
            s.executeUpdate();
        }
        Recomputation.markStale(c, current.host, current.instance);
        metrics.decided("rejected", since(current.firstSeen, now(c)));
        return result(c, id, decision, 0);
    }

    /**
     * Records the forge's rejection of an exported suggestion (a closed pull request): the exporter's entry point.
     * Unlike a reviewer's reject, it applies to a suggestion in force (accepted, exported or merged).
     */
    public ReviewViews.DecisionResult rejectInForce(UUID id, String actor, String comment) throws SQLException {
        requireComment(comment);
        return inTransaction(id, c -> {
            Current current = lockCurrent(c, id);
            if (!List.of("accepted", "exported", "merged", "pending", "snoozed").contains(current.state)) {
                throw ReviewErrors.conflict("suggestion " + ReviewIds.hex(id) + " is " + current.state
                        + ": only one in force or still open can be rejected", suggestion(c, id, false));
            }
            long decision = record(c, id, null, "rejected", actor, comment, null);
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE suggestion SET state = 'rejected', decided_ports = ports, rejected_decision = ?,
                           accepted_decision = NULL, accepted_cidr = NULL, reopened = false, approved_by = '{}',
                           approved_cidr = NULL, snoozed_until = NULL, updated_at = now(), version = version + 1
                     WHERE id = ?""")) {
                s.setLong(1, decision);
                s.setObject(2, id);
                s.executeUpdate();
            }
            if (current.kind.equals("remove")) {
                // The removal's entry goes back into the generated file: its addition is in force again.
                try (PreparedStatement s = c.prepareStatement("""
                        UPDATE suggestion t SET state = 'accepted', updated_at = now(), version = t.version + 1
                          FROM suggestion r WHERE r.id = ? AND t.id = r.removes AND t.state = 'removed'""")) {
                    s.setObject(1, id);
                    s.executeUpdate();
                }
            }
            Recomputation.markStale(c, current.host, current.instance);
            metrics.decided("rejected", since(current.firstSeen, now(c)));
            return result(c, id, decision, 0);
        });
    }

    // ---------------------------------------------------------------------------------------------- internals

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private interface Read<T> {
        T run() throws SQLException;
    }

    private <T> T inTransaction(UUID id, Work<T> work) throws SQLException {
        String[] owner = hostInstance(id);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Recomputation.lockInstance(c, owner[0], owner[1]);
                T result = work.run(c);
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

    private String[] hostInstance(UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            String[] owner = hostInstance(c, id);
            if (owner == null) {
                throw ReviewErrors.notFound("no suggestion " + ReviewIds.hex(id));
            }
            return owner;
        }
    }

    private static String[] hostInstance(Connection c, UUID id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT host, instance FROM suggestion WHERE id = ?")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? new String[] {r.getString(1), r.getString(2)} : null;
            }
        }
    }

    private record Current(String host, String instance, String cidr, String state, Instant firstSeen,
                           List<String> approvedBy, String approvedCidr, String kind) {
    }

    private static Current lockCurrent(Connection c, UUID id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT s.host, s.instance, s.cidr::text, " + EFFECTIVE_STATE
                + ", s.first_seen, s.approved_by, s.approved_cidr::text, s.kind FROM suggestion s WHERE s.id = ? FOR UPDATE")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw ReviewErrors.notFound("no suggestion " + ReviewIds.hex(id));
                }
                java.sql.Array approved = r.getArray(6);
                List<String> approvedBy = List.of((String[]) approved.getArray());
                return new Current(r.getString(1), r.getString(2), Cidrs.format(Cidrs.parse(r.getString(3))),
                        r.getString(4), instant(r, 5), approvedBy,
                        r.getString(7) == null ? null : Cidrs.format(Cidrs.parse(r.getString(7))), r.getString(8));
            }
        }
    }

    private void requireOpen(Connection c, UUID id, Current current, String what) throws SQLException {
        if (!current.state.equals("pending") && !current.state.equals("snoozed")) {
            throw ReviewErrors.conflict("cannot " + what + ": the suggestion is " + current.state
                    + " already (only a pending or snoozed suggestion can be decided)", suggestion(c, id, false));
        }
    }

    private String checkEdit(String suggested, String edited) {
        CidrEdit.Outcome outcome = rules.edit().check(suggested, edited);
        if (outcome.refused()) {
            throw ReviewErrors.unprocessable("cidr", outcome.refusal());
        }
        return outcome.cidr();
    }

    private static void requireComment(String comment) {
        if (comment == null || comment.isBlank()) {
            throw ReviewErrors.badRequest("comment", "required for a rejection: say why, for the audit trail and"
                    + " for whoever sees this destination again");
        }
    }

    static long record(Connection c, UUID id, String decidedCidr, String outcome, String actor,
                               String comment, Instant snoozedUntil) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(INSERT_DECISION)) {
            s.setString(1, decidedCidr);
            s.setString(2, outcome);
            s.setString(3, actor);
            s.setString(4, comment == null || comment.isBlank() ? null : comment.strip());
            s.setObject(5, snoozedUntil == null ? null : OffsetDateTime.ofInstant(snoozedUntil, ZoneOffset.UTC));
            s.setObject(6, id);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private ReviewViews.DecisionResult result(Connection c, UUID id, long decision, int approvalsNeeded)
            throws SQLException {
        ReviewViews.DecisionView view = decisions(c, "d.id = ?", List.of(decision), 1).get(0);
        return new ReviewViews.DecisionResult(view, suggestion(c, id, false), approvalsNeeded);
    }

    private static Instant now(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT now()"); ResultSet r = s.executeQuery()) {
            r.next();
            return r.getObject(1, OffsetDateTime.class).toInstant();
        }
    }

    private static Duration since(Instant firstSeen, Instant now) {
        return firstSeen == null ? null : Duration.between(firstSeen, now);
    }

    private ReviewViews.ReviewSuggestion suggestion(Connection c, UUID id, boolean lock) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + SUGGESTION_COLUMNS + SUGGESTION_FROM
                + " WHERE s.id = ?")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? suggestion(r) : null;
            }
        }
    }

    private static ReviewViews.ReviewSuggestion suggestion(ResultSet r) throws SQLException {
        String cidr = Cidrs.format(Cidrs.parse(r.getString(4)));
        ReviewViews.DecisionView rejection = r.getObject(20) == null ? null : decision(r, 20);
        UUID supersededBy = r.getObject(16, UUID.class);
        String accepted = r.getString(14);
        String state = r.getString(12);
        return new ReviewViews.ReviewSuggestion(ReviewIds.hex(r.getObject(1, UUID.class)), cidr, r.getString(5),
                Cidrs.parse(cidr).getCount(), Arrays.asList((Integer[]) r.getArray(6).getArray()),
                Arrays.asList((String[]) r.getArray(7).getArray()), Arrays.asList((String[]) r.getArray(8).getArray()),
                r.getLong(9), text(instant(r, 10)), text(instant(r, 11)), state, r.getBoolean(13),
                accepted == null ? null : Cidrs.format(Cidrs.parse(accepted)),
                state.equals("snoozed") ? text(instant(r, 15)) : null,
                supersededBy == null ? null : ReviewIds.hex(supersededBy),
                List.of((String[]) r.getArray(17).getArray()), rejection, r.getString(32), removal(r));
    }

    /** The removal facts of a {@code remove} suggestion (columns 32..38 of SUGGESTION_COLUMNS), else null. */
    private static ReviewViews.Removal removal(ResultSet r) throws SQLException {
        if (!"remove".equals(r.getString(32))) {
            return null;
        }
        UUID removes = r.getObject(38, UUID.class);
        return new ReviewViews.Removal(r.getLong(33), text(instant(r, 34)), text(instant(r, 35)),
                removes == null ? null : ReviewIds.hex(removes), text(instant(r, 36)), text(instant(r, 37)));
    }

    private static List<ReviewViews.DecisionView> decisions(Connection c, String where, List<?> args, int limit)
            throws SQLException {
        List<ReviewViews.DecisionView> list = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT " + DECISION_COLUMNS + " FROM decision d WHERE "
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

    private static ReviewViews.DecisionView decision(ResultSet r, int at) throws SQLException {
        String decided = r.getString(at + 5);
        return new ReviewViews.DecisionView(r.getLong(at), ReviewIds.hex(r.getObject(at + 1, UUID.class)),
                r.getString(at + 2), r.getString(at + 3), Cidrs.format(Cidrs.parse(r.getString(at + 4))),
                decided == null ? null : Cidrs.format(Cidrs.parse(decided)), r.getString(at + 6),
                r.getString(at + 7), text(instant(r, at + 8)), r.getString(at + 9), text(instant(r, at + 10)),
                r.getString(at + 11));
    }

    private static int observed(ReviewViews.ReviewSuggestion s, IPAddress block) {
        int observed = 0;
        try {
            for (var address : new com.fasterxml.jackson.databind.ObjectMapper().readTree(s.addresses())) {
                if (block.contains(Cidrs.address(address.get("address").asText()))) {
                    observed++;
                }
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the stored evidence of " + s.id() + " is not JSON", e);
        }
        return observed;
    }

    private ReviewViews.Impact impact(Connection c, String host, String instance, UUID id, String cidr, int days)
            throws SQLException {
        LocalDate since;
        Map<String, Long> blocked = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT destination, sum(events)::bigint, (now() AT TIME ZONE 'UTC')::date - ? + 1
                  FROM destination_day
                 WHERE host = ? AND instance = ? AND day >= (now() AT TIME ZONE 'UTC')::date - ? + 1
                 GROUP BY destination""")) {
            s.setInt(1, days);
            s.setString(2, host);
            s.setString(3, instance);
            s.setInt(4, days);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    blocked.put(r.getString(1), r.getLong(2));
                }
            }
        }
        try (PreparedStatement s = c.prepareStatement("SELECT (now() AT TIME ZONE 'UTC')::date - ? + 1")) {
            s.setInt(1, days);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                since = r.getObject(1, LocalDate.class);
            }
        }
        List<String> effective = new ArrayList<>();
        List<String> patch = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT cidr::text FROM allowlist_entry WHERE host = ? AND instance = ?
                UNION SELECT cidr::text FROM accepted_entry WHERE host = ? AND instance = ?""")) {
            s.setString(1, host);
            s.setString(2, instance);
            s.setString(3, host);
            s.setString(4, instance);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    effective.add(r.getString(1));
                }
            }
        }
        try (PreparedStatement s = c.prepareStatement("SELECT s.cidr::text FROM suggestion s WHERE s.host = ?"
                + " AND s.instance = ? AND s.id <> ? AND s.stable AND s.kind = 'add' AND " + EFFECTIVE_STATE
                + " = 'pending'")) {
            s.setString(1, host);
            s.setString(2, instance);
            s.setObject(3, id);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    patch.add(r.getString(1));
                }
            }
        }
        patch.add(cidr);
        Allowlist now = Allowlist.of(effective);
        Allowlist withPatch = Allowlist.of(patch);
        IPAddress block = Cidrs.parse(cidr);
        long total = 0;
        long bySuggestion = 0;
        long byPatch = 0;
        long allowedNow = 0;
        List<ReviewViews.BlockedDestination> stays = new ArrayList<>();
        for (var e : blocked.entrySet()) {
            IPAddress address = Cidrs.address(e.getKey());
            long events = e.getValue();
            total += events;
            if (block.contains(address)) {
                bySuggestion += events;
            }
            if (withPatch.covers(address)) {
                byPatch += events;
            } else if (now.covers(address)) {
                allowedNow += events;
            } else {
                stays.add(new ReviewViews.BlockedDestination(e.getKey(), events));
            }
        }
        stays.sort(Comparator.comparingLong(ReviewViews.BlockedDestination::events).reversed()
                .thenComparing(ReviewViews.BlockedDestination::destination));
        long staysEvents = stays.stream().mapToLong(ReviewViews.BlockedDestination::events).sum();
        return new ReviewViews.Impact(days, since.toString(), cidr, total, bySuggestion, byPatch, patch.size(),
                allowedNow, staysEvents, stays.size(), List.copyOf(stays.subList(0, Math.min(20, stays.size()))));
    }

    private record AcceptedLine(String instance, String cidr, UUID suggestionId, String acceptedBy,
                                Instant acceptedAt, String comment, String evidence) {
        AllowlistFiles.Line line() {
            return new AllowlistFiles.Line(instance, cidr, ReviewIds.hex(suggestionId), acceptedBy, acceptedAt,
                    comment, evidence);
        }
    }

    private static List<AcceptedLine> accepted(Connection c, String host) throws SQLException {
        List<AcceptedLine> lines = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT a.instance, a.cidr::text, a.suggestion_id, a.accepted_by, a.accepted_at, a.comment,
                       s.events, s.services, json_array_length(s.evidence), s.first_seen, s.last_seen
                  FROM accepted_entry a JOIN suggestion s ON s.id = a.suggestion_id
                 WHERE a.host = ? ORDER BY a.instance, family(a.cidr), a.cidr""")) {
            s.setString(1, host);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    String cidr = Cidrs.format(Cidrs.parse(r.getString(2)));
                    lines.add(new AcceptedLine(r.getString(1), cidr, r.getObject(3, UUID.class), r.getString(4),
                            instant(r, 5), r.getString(6), AllowlistFiles.evidence(r.getLong(7),
                                    Arrays.asList((String[]) r.getArray(8).getArray()), r.getInt(9),
                                    Cidrs.parse(cidr).getCount(), instant(r, 10), instant(r, 11))));
                }
            }
        }
        return lines;
    }

    private static List<AllowlistFiles.Line> lines(List<AcceptedLine> accepted, UUID without) {
        List<AllowlistFiles.Line> lines = new ArrayList<>();
        for (AcceptedLine a : accepted) {
            if (!a.suggestionId.equals(without)) {
                lines.add(a.line());
            }
        }
        return lines;
    }

    /** The host's file without this suggestion, and with it (as previewed, or as accepted). */
    private static String diff(Connection c, String host, String instance, UUID id, String cidr,
                               ReviewViews.ReviewSuggestion s, Instant now) throws SQLException {
        List<AcceptedLine> accepted = accepted(c, host);
        if (s.removal() != null) {
            // A removal: the file as it is, and without the entry (the addition it removes).
            List<AllowlistFiles.Line> all = lines(accepted, null);
            UUID addition = s.removal().removes() == null ? null : ReviewIds.parse(s.removal().removes());
            return AllowlistFiles.diff(host, AllowlistFiles.render(host, all),
                    AllowlistFiles.render(host, lines(accepted, addition)));
        }
        List<AllowlistFiles.Line> before = lines(accepted, id);
        List<AllowlistFiles.Line> after = new ArrayList<>(before);
        AllowlistFiles.Line self = null;
        for (AcceptedLine a : accepted) {
            if (a.suggestionId.equals(id)) {
                self = a.line();
            }
        }
        if (self == null || !self.cidr().equals(cidr)) {
            IPAddressCount count = new IPAddressCount(cidr);
            self = new AllowlistFiles.Line(instance, cidr, s.id(), "(pending review)", now, null,
                    AllowlistFiles.evidence(s.events(), s.services(), count.observed(s), count.opens(),
                            s.firstSeen() == null ? null : Instant.parse(s.firstSeen()),
                            s.lastSeen() == null ? null : Instant.parse(s.lastSeen())));
        }
        after.add(self);
        return AllowlistFiles.diff(host, AllowlistFiles.render(host, before), AllowlistFiles.render(host, after));
    }

    /** What a CIDR opens, and how many of a suggestion's observed addresses it covers. */
    private record IPAddressCount(String cidr) {
        java.math.BigInteger opens() {
            return Cidrs.parse(cidr).getCount();
        }

        int observed(ReviewViews.ReviewSuggestion s) {
            return ReviewService.observed(s, Cidrs.parse(cidr));
        }
    }

    /** {@code alias.host = ? AND alias.instance = ?} for the filters given (true when none). */
    static String filters(String alias, String host, String instance) {
        String where = "true";
        if (host != null) {
            where += " AND " + alias + ".host = ?";
        }
        if (instance != null) {
            where += " AND " + alias + ".instance = ?";
        }
        return where;
    }

    /** Binds the filters given; answers the next parameter index. */
    static int bind(PreparedStatement s, String host, String instance) throws SQLException {
        int i = 1;
        if (host != null) {
            s.setString(i++, host);
        }
        if (instance != null) {
            s.setString(i++, instance);
        }
        return i;
    }

    private static void filter(PreparedStatement s, String host, String instance) throws SQLException {
        s.setString(1, host);
        s.setString(2, host);
        s.setString(3, instance);
        s.setString(4, instance);
    }

    private static String key(String host, String instance) {
        return host + '\0' + instance;
    }

    private static Instant instant(ResultSet r, int column) throws SQLException {
        OffsetDateTime t = r.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static String text(Instant t) {
        return t == null ? null : t.toString();
    }
}
