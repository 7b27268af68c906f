package dev.opencode.tuner.policy.app.review;

import dev.opencode.tuner.blocked.Untrusted;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
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

    /** Thread-safe once configured; one instance keeps Jackson's caches warm. */
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

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
     * The suggestion with each address labelled by {@code how}: {@code reverseDns} (the forward-confirmed name, or
     * null), {@code reverseDnsUnverified} (a PTR name whose own A/AAAA records do not hold the address, or null),
     * {@code reverseDnsStatus} (found, unverified, pending, nxdomain, not-looked-up, rate-limited, ...) and
     * {@code providers} (the published ranges it falls in). Never blocks.
     */
    private ReviewViews.ReviewSuggestion labelled(ReviewViews.ReviewSuggestion s,
                                                  Function<String, AddressLabels.Labels> how) {
        try {
            com.fasterxml.jackson.databind.JsonNode addresses = JSON.readTree(s.addresses());
            for (com.fasterxml.jackson.databind.JsonNode a : addresses) {
                AddressLabels.Labels l = how.apply(a.path("address").asText());
                var node = (com.fasterxml.jackson.databind.node.ObjectNode) a;
                node.put("reverseDns", l.reverseDns());
                node.put("reverseDnsUnverified", l.unverifiedReverseDns());
                node.put("reverseDnsStatus", l.reverseName().status().text());
                var providers = node.putArray("providers");
                for (ProviderRange p : l.providers()) {
                    providers.addObject().put("provider", p.provider()).put("service", p.service())
                            .put("region", p.region());
                }
            }
            return new ReviewViews.ReviewSuggestion(s.id(), s.cidr(), JSON.writeValueAsString(addresses), s.opens(),
                    s.ports(), s.protocols(), s.services(), s.events(), s.firstSeen(), s.lastSeen(), s.state(),
                    s.stable(), s.acceptedCidr(), s.snoozedUntil(), s.supersededBy(), s.approvedBy(),
                    s.earlierRejection(), s.kind(), s.removal());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the stored evidence of " + s.id() + " is not JSON", e);
        }
    }

    /**
     * How the addresses of a suggestion shown to a reviewer are labelled: those of a pending, stable suggestion (the
     * instance page's cards) may start reverse DNS lookups, as tuner.policy.evidence.dns.scope allows; those of a
     * decided or held-back one show what is known.
     */
    private Function<String, AddressLabels.Labels> shown(ReviewViews.ReviewSuggestion s) {
        return "pending".equals(s.state()) && s.stable() ? labels::ofPendingSuggestion : labels::cached;
    }

    /**
     * A reviewer's request for the reverse DNS names of observed addresses of a suggestion (in any state): the given
     * ones, or all of them when {@code addresses} is empty. The lookups start within the rate limit, in every scope
     * but off; the answer is the suggestion labelled as it is at once (pending while a lookup runs, "rate-limited"
     * beyond the limit), and the detail shows the names once they are answered. An address that is not one of the
     * suggestion's observed addresses is refused (400 when it is not an address, 422 otherwise): the request is no
     * resolver for any address.
     */
    public ReviewViews.ReviewSuggestion lookUpReverseDns(UUID id, List<String> addresses) throws SQLException {
        ReviewViews.ReviewSuggestion s = reading(() -> suggestion(id));
        if (s == null) {
            throw ReviewErrors.notFound("no suggestion " + ReviewIds.hex(id));
        }
        Set<String> observed = new HashSet<>();
        try {
            for (com.fasterxml.jackson.databind.JsonNode a : JSON.readTree(s.addresses())) {
                observed.add(canonical(a.path("address").asText()));
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the stored evidence of " + s.id() + " is not JSON", e);
        }
        Set<String> wanted = new HashSet<>();
        for (String text : addresses) {
            String canonical;
            try {
                canonical = Cidrs.address(text == null ? "" : text.strip()).withoutPrefixLength()
                        .toCanonicalString();
            } catch (IllegalArgumentException e) {
                throw ReviewErrors.badRequest("addresses", Untrusted.quote(String.valueOf(text), 60)
                        + " is not an IP address");
            }
            if (!observed.contains(canonical)) {
                throw ReviewErrors.unprocessable("addresses", Untrusted.quote(text, 60) + " is not an observed"
                        + " address of suggestion " + s.id());
            }
            wanted.add(canonical);
        }
        return labelled(s, a -> addresses.isEmpty() || wanted.contains(canonical(a)) ? labels.requested(a)
                : labels.cached(a));
    }

    /** An address in canonical text, or the text itself when it is none (never one asked for, then). */
    private static String canonical(String address) {
        try {
            return Cidrs.address(address).withoutPrefixLength().toCanonicalString();
        } catch (IllegalArgumentException e) {
            return address;
        }
    }

    // ---------------------------------------------------------------------------------------------------- reads

    /**
     * The suggestions of the selected instances (null selects all) in the selected states, after recomputing the
     * instances that got new events. Every instance with events is listed, with or without suggestions.
     */
    public ReviewViews.ReviewList list(String host, String instance, Set<String> states) throws SQLException {
        return reading(() -> listOnce(host, instance, states, true));
    }

    /**
     * {@link #list} without the evidence: each suggestion's {@code addresses} is null. For pages that show the
     * evidence of some of the suggestions only ({@link #withEvidence}).
     */
    public ReviewViews.ReviewList summaries(String host, String instance, Set<String> states) throws SQLException {
        return reading(() -> listOnce(host, instance, states, false));
    }

    /** The suggestions given with their evidence as it is now (a suggestion no longer stored keeps none). */
    public List<ReviewViews.ReviewSuggestion> withEvidence(List<ReviewViews.ReviewSuggestion> suggestions)
            throws SQLException {
        if (suggestions.isEmpty()) {
            return suggestions;
        }
        Map<String, String> evidence = new java.util.HashMap<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT id, evidence::text FROM suggestion WHERE id = ANY (?::uuid[])")) {
            s.setArray(1, c.createArrayOf("text", suggestions.stream()
                    .map(g -> ReviewIds.parse(g.id()).toString()).toArray()));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    evidence.put(ReviewIds.hex(r.getObject(1, UUID.class)), r.getString(2));
                }
            }
        }
        List<ReviewViews.ReviewSuggestion> with = new ArrayList<>();
        for (ReviewViews.ReviewSuggestion g : suggestions) {
            with.add(new ReviewViews.ReviewSuggestion(g.id(), g.cidr(), evidence.getOrDefault(g.id(), "[]"),
                    g.opens(), g.ports(), g.protocols(), g.services(), g.events(), g.firstSeen(), g.lastSeen(),
                    g.state(), g.stable(), g.acceptedCidr(), g.snoozedUntil(), g.supersededBy(), g.approvedBy(),
                    g.earlierRejection(), g.kind(), g.removal()));
        }
        return with;
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

    private ReviewViews.ReviewList listOnce(String host, String instance, Set<String> states, boolean evidence)
            throws SQLException {
        recomputation.recomputeStale(host, instance);
        List<String> plain = states.stream().filter(s -> !s.equals("pending") && !s.equals("held")).toList();
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
                """.formatted(EFFECTIVE_STATE, evidence ? SUGGESTION_COLUMNS
                        : SUGGESTION_COLUMNS.replace("s.evidence::text", "NULL::text"), filters("r", host, instance));
        List<ReviewViews.ReviewInstance> instances = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setArray(1, c.createArrayOf("text", plain.toArray()));
            s.setBoolean(2, states.contains("pending"));
            s.setBoolean(3, states.contains("held"));
            bindFrom(s, 4, host, instance);
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

    /** Where the suggestion's columns start in a row of the list (after the run's six). */
    private static final int LIST_AT = 6;

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
        String cidr = s.acceptedCidr() != null ? s.acceptedCidr() : s.cidr();
        if (editedCidr != null) {
            cidr = checkEdit(s.cidr(), editedCidr);
        }
        int window = days == null ? rules.config().impactDays() : days;
        ReviewViews.SuggestionDetail detail = details(hostInstance[0], hostInstance[1], List.of(new Target(s, cidr)),
                window).get(0);
        return new ReviewViews.SuggestionDetail(detail.host(), detail.instance(), labelled(s, shown(s)),
                detail.opens(), detail.observed(), detail.history(), detail.earlierDecisions(), detail.impact(),
                detail.diff());
    }

    /**
     * {@link #detail} of several suggestions of one instance at once, as the instance page shows them, in one
     * transaction that reads each table once for all of them (one detail per suggestion read all the instance's
     * blocked destinations and its host's accepted entries again each time). Each answer is what
     * {@code detail(id, null, null)} answers, except that its {@code suggestion} is the one given, without the
     * address labels.
     */
    public List<ReviewViews.SuggestionDetail> details(String host, String instance,
                                                      List<ReviewViews.ReviewSuggestion> suggestions)
            throws SQLException {
        List<Target> targets = new ArrayList<>();
        for (ReviewViews.ReviewSuggestion s : suggestions) {
            targets.add(new Target(s, s.acceptedCidr() != null ? s.acceptedCidr() : s.cidr()));
        }
        return reading(() -> details(host, instance, targets, rules.config().impactDays()));
    }

    /** A suggestion and the CIDR whose impact and diff are shown (the suggested, accepted or previewed one). */
    private record Target(ReviewViews.ReviewSuggestion suggestion, String cidr) {
        UUID id() {
            return ReviewIds.parse(suggestion.id());
        }
    }

    private List<ReviewViews.SuggestionDetail> details(String host, String instance, List<Target> targets,
                                                       int window) throws SQLException {
        if (targets.isEmpty()) {
            return List.of();
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                Map<UUID, List<ReviewViews.DecisionView>> history = histories(c, targets);
                List<List<ReviewViews.DecisionView>> earlier = earlierDecisions(c, host, instance, targets);
                ImpactBase impact = impactBase(c, host, instance, window);
                Instant now = now(c);
                List<AcceptedLine> accepted = accepted(c, host);
                String beforeAll = AllowlistFiles.render(host, lines(accepted, null));
                List<ReviewViews.SuggestionDetail> details = new ArrayList<>();
                for (int k = 0; k < targets.size(); k++) {
                    Target t = targets.get(k);
                    IPAddress block = Cidrs.parse(t.cidr());
                    int observed = observed(t.suggestion(), Range.of(block));
                    String diff = diff(host, instance, t.id(), t.cidr(), t.suggestion(), observed, now, accepted,
                            beforeAll);
                    details.add(new ReviewViews.SuggestionDetail(host, instance, t.suggestion(), block.getCount(),
                            observed, history.getOrDefault(t.id(), List.of()), earlier.get(k),
                            impact.of(t.id(), t.cidr()), diff));
                }
                return details;
            } finally {
                c.rollback();
                c.setReadOnly(false);
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                c.setAutoCommit(true);
            }
        }
    }

    /** Each target's decisions, newest first, at most 200 each. */
    private static Map<UUID, List<ReviewViews.DecisionView>> histories(Connection c, List<Target> targets)
            throws SQLException {
        Map<UUID, List<ReviewViews.DecisionView>> history = new java.util.HashMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT " + DECISION_COLUMNS
                + " FROM decision d WHERE d.suggestion_id = ANY (?::uuid[]) ORDER BY d.id DESC")) {
            s.setArray(1, c.createArrayOf("text", targets.stream().map(t -> t.id().toString()).toArray()));
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

    /**
     * Per target, the decisions on the instance's other suggestions whose CIDR overlaps the target's CIDR (or whose
     * decided CIDR overlaps the suggested one), newest first, at most 50 each.
     */
    private static List<List<ReviewViews.DecisionView>> earlierDecisions(Connection c, String host, String instance,
                                                                         List<Target> targets) throws SQLException {
        List<List<ReviewViews.DecisionView>> earlier = new ArrayList<>();
        for (int k = 0; k < targets.size(); k++) {
            earlier.add(new ArrayList<>());
        }
        try (PreparedStatement s = c.prepareStatement("SELECT x.n, " + DECISION_COLUMNS + """
                  FROM unnest(?::uuid[], ?::cidr[], ?::cidr[]) WITH ORDINALITY AS x (id, cidr, suggested, n)
                 CROSS JOIN LATERAL (
                       SELECT * FROM decision d
                        WHERE d.host = ? AND d.instance = ? AND d.suggestion_id <> x.id
                          AND (d.cidr && x.cidr OR d.decided_cidr && x.suggested)
                        ORDER BY d.id DESC LIMIT 50) d
                 ORDER BY x.n, d.id DESC""")) {
            s.setArray(1, c.createArrayOf("text", targets.stream().map(t -> t.id().toString()).toArray()));
            s.setArray(2, c.createArrayOf("text", targets.stream().map(Target::cidr).toArray()));
            s.setArray(3, c.createArrayOf("text", targets.stream().map(t -> t.suggestion().cidr()).toArray()));
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
        return suggestion(r, 0);
    }

    /** The suggestion of {@link #SUGGESTION_COLUMNS} in the row, after {@code at} other columns. */
    private static ReviewViews.ReviewSuggestion suggestion(ResultSet r, int at) throws SQLException {
        IPAddress block = Cidrs.parse(r.getString(at + 4));
        ReviewViews.DecisionView rejection = r.getObject(at + 20) == null ? null : decision(r, at + 20);
        UUID supersededBy = r.getObject(at + 16, UUID.class);
        String accepted = r.getString(at + 14);
        String state = r.getString(at + 12);
        return new ReviewViews.ReviewSuggestion(ReviewIds.hex(r.getObject(at + 1, UUID.class)), Cidrs.format(block),
                r.getString(at + 5), block.getCount(), Arrays.asList((Integer[]) r.getArray(at + 6).getArray()),
                Arrays.asList((String[]) r.getArray(at + 7).getArray()),
                Arrays.asList((String[]) r.getArray(at + 8).getArray()), r.getLong(at + 9), text(instant(r, at + 10)),
                text(instant(r, at + 11)), state, r.getBoolean(at + 13),
                accepted == null ? null : Cidrs.format(Cidrs.parse(accepted)),
                state.equals("snoozed") ? text(instant(r, at + 15)) : null,
                supersededBy == null ? null : ReviewIds.hex(supersededBy),
                List.of((String[]) r.getArray(at + 17).getArray()), rejection, r.getString(at + 32),
                removal(r, at));
    }

    /** The removal facts of a {@code remove} suggestion (columns 32..38 of SUGGESTION_COLUMNS), else null. */
    private static ReviewViews.Removal removal(ResultSet r, int at) throws SQLException {
        if (!"remove".equals(r.getString(at + 32))) {
            return null;
        }
        UUID removes = r.getObject(at + 38, UUID.class);
        return new ReviewViews.Removal(r.getLong(at + 33), text(instant(r, at + 34)), text(instant(r, at + 35)),
                removes == null ? null : ReviewIds.hex(removes), text(instant(r, at + 36)), text(instant(r, at + 37)));
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

    /** How many of the suggestion's observed addresses the block holds. */
    private static int observed(ReviewViews.ReviewSuggestion s, Range block) {
        int observed = 0;
        // The stored evidence is an array of objects whose "address" is the first field; only those are read.
        try (com.fasterxml.jackson.core.JsonParser p = JSON.getFactory().createParser(s.addresses())) {
            int depth = 0;
            for (com.fasterxml.jackson.core.JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                switch (t) {
                    case START_OBJECT, START_ARRAY -> depth++;
                    case END_OBJECT, END_ARRAY -> depth--;
                    case FIELD_NAME -> {
                        if (depth == 2 && p.currentName().equals("address")) {
                            p.nextToken();
                            if (block.contains(Key.of(p.getText()))) {
                                observed++;
                            }
                        }
                    }
                    default -> {
                    }
                }
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the stored evidence of " + s.id() + " is not JSON", e);
        }
        return observed;
    }

    /**
     * What the impact of any suggestion of one instance is computed from, read once: the blocked events per
     * destination of the window, the effective allowlist, and the instance's pending, stable suggestions (the patch).
     */
    private ImpactBase impactBase(Connection c, String host, String instance, int days) throws SQLException {
        List<BlockedCount> blocked = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT destination, sum(events)::bigint
                  FROM destination_day
                 WHERE host = ? AND instance = ? AND day >= (now() AT TIME ZONE 'UTC')::date - ? + 1
                 GROUP BY destination""")) {
            s.setString(1, host);
            s.setString(2, instance);
            s.setInt(3, days);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    String destination = r.getString(1);
                    blocked.add(new BlockedCount(destination, r.getLong(2), Key.of(destination)));
                }
            }
        }
        LocalDate since;
        try (PreparedStatement s = c.prepareStatement("SELECT (now() AT TIME ZONE 'UTC')::date - ? + 1")) {
            s.setInt(1, days);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                since = r.getObject(1, LocalDate.class);
            }
        }
        List<String> effective = new ArrayList<>();
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
        List<UUID> patchIds = new ArrayList<>();
        List<Range> patch = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT s.id, s.cidr::text FROM suggestion s WHERE s.host = ?"
                + " AND s.instance = ? AND s.stable AND s.kind = 'add' AND " + EFFECTIVE_STATE + " = 'pending'")) {
            s.setString(1, host);
            s.setString(2, instance);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    patchIds.add(r.getObject(1, UUID.class));
                    patch.add(Range.of(Cidrs.parse(r.getString(2))));
                }
            }
        }
        // Most events first, then by destination: the order of the destinations that stay blocked.
        blocked.sort((x, y) -> x.events() != y.events() ? Long.compare(y.events(), x.events())
                : x.destination().compareTo(y.destination()));
        Allowlist now = Allowlist.of(effective);
        int[][] coveredBy = new int[blocked.size()][];
        boolean[] allowedNow = new boolean[blocked.size()];
        for (int d = 0; d < blocked.size(); d++) {
            BlockedCount b = blocked.get(d);
            allowedNow[d] = b.address().family() == 4 ? now.coversIpv4(b.address().low())
                    : now.covers(Cidrs.address(b.destination()));
            coveredBy[d] = new int[] {-1, -1};
        }
        // Each suggestion of the patch finds the destinations it covers by binary search in address order.
        Integer[] byAddress = new Integer[blocked.size()];
        for (int d = 0; d < byAddress.length; d++) {
            byAddress[d] = d;
        }
        Arrays.sort(byAddress, (x, y) -> blocked.get(x).address().compareTo(blocked.get(y).address()));
        for (int p = 0; p < patch.size(); p++) {
            Range range = patch.get(p);
            int lo = 0;
            int hi = byAddress.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (blocked.get(byAddress[mid]).address().compareTo(range.lower()) < 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            for (int i = lo; i < byAddress.length && range.contains(blocked.get(byAddress[i]).address()); i++) {
                int[] covers = coveredBy[byAddress[i]];
                if (covers[0] < 0) {
                    covers[0] = p;
                } else if (covers[1] < 0) {
                    covers[1] = p;
                }
            }
        }
        return new ImpactBase(days, since, blocked, allowedNow, coveredBy, patchIds);
    }

    /** The blocked events of one destination over the window. */
    private record BlockedCount(String destination, long events, Key address) {
    }

    /**
     * The impact inputs of one instance. {@code coveredBy[d]} holds the first two suggestions of the patch that
     * cover destination {@code d} (-1 for none), so whether the patch without one suggestion still covers it is
     * known without asking every suggestion again.
     */
    private record ImpactBase(int days, LocalDate since, List<BlockedCount> blocked, boolean[] allowedNow,
                              int[][] coveredBy, List<UUID> patchIds) {
        /** The impact of a suggestion of the instance (of the patch or not) with this CIDR. */
        ReviewViews.Impact of(UUID id, String cidr) {
            Range block = Range.of(Cidrs.parse(cidr));
            int self = patchIds.indexOf(id);
            int patchSize = patchIds.size() - (self < 0 ? 0 : 1) + 1;
            long total = 0;
            long bySuggestion = 0;
            long byPatch = 0;
            long allowed = 0;
            long staysEvents = 0;
            int staysCount = 0;
            List<ReviewViews.BlockedDestination> stays = new ArrayList<>();
            for (int d = 0; d < blocked.size(); d++) {
                BlockedCount b = blocked.get(d);
                total += b.events();
                boolean inBlock = block.contains(b.address());
                if (inBlock) {
                    bySuggestion += b.events();
                }
                int[] covers = coveredBy[d];
                boolean byOthers = covers[0] >= 0 && (covers[0] != self || covers[1] >= 0);
                if (inBlock || byOthers) {
                    byPatch += b.events();
                } else if (allowedNow[d]) {
                    allowed += b.events();
                } else {
                    staysEvents += b.events();
                    staysCount++;
                    if (stays.size() < 20) {
                        stays.add(new ReviewViews.BlockedDestination(b.destination(), b.events()));
                    }
                }
            }
            return new ReviewViews.Impact(days, since.toString(), cidr, total, bySuggestion, byPatch,
                    patchSize, allowed, staysEvents, staysCount, List.copyOf(stays));
        }
    }

    /**
     * An address as a 128-bit number and its family (4 or 6), for containment tests by comparison: the impact of
     * every suggestion of an instance tests each of its destinations against each suggestion.
     */
    record Key(int family, long high, long low) {
        /** A canonical address ({@code 192.0.2.1}, {@code 2001:db8::1}), as the aggregates hold them. */
        static Key of(String address) {
            long v = 0;
            int part = -1;
            int dots = 0;
            for (int i = 0; i < address.length(); i++) {
                char ch = address.charAt(i);
                if (ch >= '0' && ch <= '9') {
                    part = (part < 0 ? 0 : part * 10) + (ch - '0');
                    if (part > 255) {
                        return parsed(address);
                    }
                } else if (ch == '.' && part >= 0 && dots < 3) {
                    v = v << 8 | part;
                    part = -1;
                    dots++;
                } else {
                    return parsed(address);
                }
            }
            return dots == 3 && part >= 0 ? new Key(4, 0, v << 8 | part) : parsed(address);
        }

        private static Key parsed(String address) {
            return of(Cidrs.address(address).getBytes());
        }

        static Key of(byte[] bytes) {
            long high = 0;
            long low = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes.length == 16 && i < 8) {
                    high = high << 8 | (bytes[i] & 0xff);
                } else {
                    low = low << 8 | (bytes[i] & 0xff);
                }
            }
            return new Key(bytes.length == 4 ? 4 : 6, high, low);
        }

        /** Address order: IPv4 before IPv6, then by value. */
        int compareTo(Key other) {
            int c = Integer.compare(family, other.family);
            if (c == 0) {
                c = Long.compareUnsigned(high, other.high);
            }
            return c != 0 ? c : Long.compareUnsigned(low, other.low);
        }
    }

    /** A prefix block as its first and last address. */
    record Range(Key lower, Key upper) {
        static Range of(IPAddress block) {
            return new Range(Key.of(block.getLower().getBytes()), Key.of(block.getUpper().getBytes()));
        }

        /** Whether the address is in the block: of the same family, and between the bounds. */
        boolean contains(Key address) {
            return lower.compareTo(address) <= 0 && address.compareTo(upper) <= 0;
        }
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

    /**
     * The host's file without this suggestion, and with it (as previewed, or as accepted); for a removal, the file
     * as it is and without the entry. {@code beforeAll} is the file of every accepted line, which is the file
     * without this suggestion when it is not accepted.
     */
    private static String diff(String host, String instance, UUID id, String cidr, ReviewViews.ReviewSuggestion s,
                               int observed, Instant now, List<AcceptedLine> accepted, String beforeAll) {
        if (s.removal() != null) {
            // A removal: the file as it is, and without the entry (the addition it removes).
            UUID addition = s.removal().removes() == null ? null : ReviewIds.parse(s.removal().removes());
            return AllowlistFiles.diff(host, beforeAll, AllowlistFiles.render(host, lines(accepted, addition)));
        }
        List<AllowlistFiles.Line> before = lines(accepted, id);
        List<AllowlistFiles.Line> after = new ArrayList<>(before);
        AllowlistFiles.Line self = null;
        for (AcceptedLine a : accepted) {
            if (a.suggestionId.equals(id)) {
                self = a.line();
            }
        }
        String beforeText = self == null ? beforeAll : AllowlistFiles.render(host, before);
        if (self == null || !self.cidr().equals(cidr)) {
            self = new AllowlistFiles.Line(instance, cidr, s.id(), "(pending review)", now, null,
                    AllowlistFiles.evidence(s.events(), s.services(), observed, Cidrs.parse(cidr).getCount(),
                            s.firstSeen() == null ? null : Instant.parse(s.firstSeen()),
                            s.lastSeen() == null ? null : Instant.parse(s.lastSeen())));
        }
        after.add(self);
        return AllowlistFiles.diff(host, beforeText, AllowlistFiles.render(host, after));
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
        return bindFrom(s, 1, host, instance);
    }

    /** Binds the filters given from parameter {@code i} on; answers the next parameter index. */
    private static int bindFrom(PreparedStatement s, int i, String host, String instance) throws SQLException {
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
