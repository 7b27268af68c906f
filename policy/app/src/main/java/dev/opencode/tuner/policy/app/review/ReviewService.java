package dev.opencode.tuner.policy.app.review;

import static dev.opencode.tuner.policy.app.review.ReadRetry.reading;

import dev.opencode.tuner.policy.app.JdbcValues;
import dev.opencode.tuner.review.DecisionOutcome;
import dev.opencode.tuner.review.DecisionRules;
import dev.opencode.tuner.review.Refusal;
import dev.opencode.tuner.review.SuggestionKind;
import dev.opencode.tuner.review.SuggestionState;
import dev.opencode.tuner.suggest.Cidrs;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The review of suggestions: lists, details (by {@link SuggestionDetails}), decisions (accept, possibly edited and
 * under four-eyes; reject; snooze; in bulk per instance), the audit trail and the accepted allowlist. Its Java API is
 * what the REST resource, the web UI and the exporter call; {@code actor} is the account (or {@code forge:<forge>}).
 * It holds the transactions and the order of the steps; the rules are the review domain's ({@link DecisionRules}),
 * the SQL the stores'.
 *
 * <p>A decision is one transaction that takes the instance's advisory lock (as recomputation does) and then the
 * suggestion's row lock; it checks the state it finds there. Of two reviewers deciding at once, the second finds
 * the first's decision and gets a conflict with the current state.
 */
@ApplicationScoped
public class ReviewService {
    /** The states of the lifecycle, plus {@code held}: pending but held back by the stabilisation rule. */
    public static final List<String> STATES = SuggestionState.filters();

    private final DataSource dataSource;
    private final Recomputation recomputation;
    private final ReviewRules rules;
    private final ReviewMetrics metrics;
    private final SuggestionDetails details;
    private final SuggestionStore suggestions;
    private final DecisionStore decisions;
    private final AcceptedEntryStore entries;
    private final SuggestionRunStore runs;

    ReviewService(DataSource dataSource, Recomputation recomputation, ReviewRules rules, ReviewMetrics metrics,
                  SuggestionDetails details, SuggestionStore suggestions, DecisionStore decisions,
                  AcceptedEntryStore entries, SuggestionRunStore runs) {
        this.dataSource = dataSource;
        this.recomputation = recomputation;
        this.rules = rules;
        this.metrics = metrics;
        this.details = details;
        this.suggestions = suggestions;
        this.decisions = decisions;
        this.entries = entries;
        this.runs = runs;
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

    private ReviewViews.ReviewList listOnce(String host, String instance, Set<String> states, boolean evidence)
            throws SQLException {
        recomputation.recomputeStale(host, instance);
        try (Connection c = dataSource.getConnection()) {
            return suggestions.list(c, host, instance, states, evidence);
        }
    }

    /** The suggestions given with their evidence as it is now (a suggestion no longer stored keeps none). */
    public List<ReviewViews.ReviewSuggestion> withEvidence(List<ReviewViews.ReviewSuggestion> shown)
            throws SQLException {
        if (shown.isEmpty()) {
            return shown;
        }
        Map<String, String> evidence;
        try (Connection c = dataSource.getConnection()) {
            evidence = suggestions.evidence(c, shown.stream().map(g -> ReviewIds.parse(g.id())).toList());
        }
        List<ReviewViews.ReviewSuggestion> with = new ArrayList<>();
        for (ReviewViews.ReviewSuggestion g : shown) {
            with.add(new ReviewViews.ReviewSuggestion(g.id(), g.cidr(), evidence.getOrDefault(g.id(), "[]"),
                    g.opens(), g.ports(), g.protocols(), g.services(), g.events(), g.firstSeen(), g.lastSeen(),
                    g.state(), g.stable(), g.acceptedCidr(), g.snoozedUntil(), g.supersededBy(), g.approvedBy(),
                    g.earlierRejection(), g.kind(), g.removal()));
        }
        return with;
    }

    /** One suggestion, or null. */
    public ReviewViews.ReviewSuggestion suggestion(UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return suggestions.find(c, id);
        }
    }

    /** {@link SuggestionDetails#detail}. */
    public ReviewViews.SuggestionDetail detail(UUID id, String editedCidr, Integer days) throws SQLException {
        return details.detail(id, editedCidr, days);
    }

    /** {@link SuggestionDetails#details}. */
    public List<ReviewViews.SuggestionDetail> details(String host, String instance,
                                                      List<ReviewViews.ReviewSuggestion> shown) throws SQLException {
        return details.details(host, instance, shown);
    }

    /** {@link SuggestionDetails#lookUpReverseDns}. */
    public ReviewViews.ReviewSuggestion lookUpReverseDns(UUID id, List<String> addresses) throws SQLException {
        return details.lookUpReverseDns(id, addresses);
    }

    /** The audit trail of the selected instances (null selects all), newest first. */
    public ReviewViews.DecisionList decisions(String host, String instance, int limit) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return new ReviewViews.DecisionList(decisions.list(c, host, instance, limit));
        }
    }

    /** The host's allowlist: entries in force by decision, and what the host already allows. */
    public ReviewViews.HostAllowlist allowlist(String host) throws SQLException {
        Map<String, List<ReviewViews.AllowlistEntry>> byInstance = new TreeMap<>();
        try (Connection c = dataSource.getConnection()) {
            for (AcceptedEntryStore.Accepted a : entries.accepted(c, host)) {
                byInstance.computeIfAbsent(a.instance(), k -> new ArrayList<>()).add(new ReviewViews.AllowlistEntry(
                        a.cidr(), "accepted", ReviewIds.hex(a.suggestionId()), a.acceptedBy(),
                        DecisionStore.text(a.acceptedAt()), a.comment()));
            }
            for (AcceptedEntryStore.HostEntry e : entries.hostEntries(c, host)) {
                byInstance.computeIfAbsent(e.instance(), k -> new ArrayList<>()).add(
                        new ReviewViews.AllowlistEntry(e.cidr(), "host", null, null, null, null));
            }
        }
        List<ReviewViews.InstanceAllowlist> instances = new ArrayList<>();
        byInstance.forEach((i, list) -> instances.add(new ReviewViews.InstanceAllowlist(i, list)));
        return new ReviewViews.HostAllowlist(host, instances);
    }

    /** The host's generated Nix module: the CIDRs in force by decision. */
    public String allowlistNix(String host) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return AllowlistFiles.render(host, AllowlistFiles.lines(entries.accepted(c, host), null));
        }
    }

    // ------------------------------------------------------------------------------------------------ decisions

    /** The host and instance of a suggestion, or null when there is none. */
    public SuggestionStore.Owner owner(UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return suggestions.owner(c, id);
        }
    }

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
            SuggestionStore.Locked locked = lock(c, id);
            Instant now = JdbcValues.now(c);
            refuse(c, id, DecisionRules.requireFuture(until, now));
            refuse(c, id, DecisionRules.requireOpen(locked.found().state(), "snooze"));
            suggestions.snooze(c, id, until);
            long decision = decisions.record(c, id, null, DecisionOutcome.SNOOZED, actor, comment, until);
            metrics.decided(DecisionOutcome.SNOOZED, since(locked.firstSeen(), now));
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
                runs.lock(c, host, instance);
                List<UUID> targets = new ArrayList<>();
                if (ids == null || ids.isEmpty()) {
                    targets.addAll(suggestions.pendingStable(c, host, instance));
                } else {
                    for (UUID id : ids) {
                        SuggestionStore.Owner owner = suggestions.owner(c, id);
                        if (owner == null || !owner.host().equals(host) || !owner.instance().equals(instance)) {
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
        SuggestionStore.Locked locked = lock(c, id);
        DecisionRules.Verdict verdict = rules.decisions().accept(locked.found(), actor, edited);
        Instant now = JdbcValues.now(c);
        return switch (verdict) {
            case DecisionRules.Refuse r -> throw failure(c, id, r.refusal());
            case DecisionRules.Approve a -> {
                suggestions.approve(c, id, actor, a.cidr());
                long decision = decisions.record(c, id, a.cidr(), DecisionOutcome.APPROVED, actor, comment, null,
                        editedSnapshot(c, id, locked, a.cidr()));
                metrics.decided(DecisionOutcome.APPROVED, null);
                yield result(c, id, decision, a.approvalsNeeded());
            }
            case DecisionRules.Accept a -> {
                String snapshot = editedSnapshot(c, id, locked, a.cidr());
                suggestions.accept(c, id, a.cidr());
                long decision = decisions.record(c, id, a.cidr(), DecisionOutcome.ACCEPTED, actor, comment, null,
                        snapshot);
                suggestions.acceptedBy(c, id, decision);
                runs.markStale(c, locked.owner().host(), locked.owner().instance());
                metrics.decided(DecisionOutcome.ACCEPTED, since(locked.firstSeen(), now));
                yield result(c, id, decision, 0);
            }
        };
    }

    /** The evidence of an edited CIDR for the decision's record, or null when the CIDR is the suggested one. */
    private String editedSnapshot(Connection c, UUID id, SuggestionStore.Locked locked, String decidedCidr)
            throws SQLException {
        if (decidedCidr == null || Cidrs.parse(decidedCidr).equals(Cidrs.parse(locked.found().cidr()))) {
            return null;
        }
        return DecisionEvidence.editedSnapshot(suggestions.find(c, id), decidedCidr);
    }

    private ReviewViews.DecisionResult reject(Connection c, UUID id, String actor, String comment)
            throws SQLException {
        SuggestionStore.Locked locked = lock(c, id);
        refuse(c, id, DecisionRules.requireOpen(locked.found().state(), "reject"));
        long decision = decisions.record(c, id, null, DecisionOutcome.REJECTED, actor, comment, null);
        suggestions.reject(c, id, decision);
        runs.markStale(c, locked.owner().host(), locked.owner().instance());
        metrics.decided(DecisionOutcome.REJECTED, since(locked.firstSeen(), JdbcValues.now(c)));
        return result(c, id, decision, 0);
    }

    /**
     * Records the forge's rejection of an exported suggestion (a closed pull request): the exporter's entry point.
     * Unlike a reviewer's reject, it applies to a suggestion in force (accepted, exported or merged).
     */
    public ReviewViews.DecisionResult rejectInForce(UUID id, String actor, String comment) throws SQLException {
        requireComment(comment);
        return inTransaction(id, c -> {
            SuggestionStore.Locked locked = lock(c, id);
            refuse(c, id, DecisionRules.forgeMayReject(locked.found().state(), ReviewIds.hex(id)));
            long decision = decisions.record(c, id, null, DecisionOutcome.REJECTED, actor, comment, null);
            suggestions.rejectInForce(c, id, decision);
            if (locked.found().kind() == SuggestionKind.REMOVE) {
                // The removal's entry goes back into the generated file: its addition is in force again.
                suggestions.restoreRemoved(c, id);
            }
            runs.markStale(c, locked.owner().host(), locked.owner().instance());
            metrics.decided(DecisionOutcome.REJECTED, since(locked.firstSeen(), JdbcValues.now(c)));
            return result(c, id, decision, 0);
        });
    }

    // ---------------------------------------------------------------------------------------------- internals

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T inTransaction(UUID id, Work<T> work) throws SQLException {
        SuggestionStore.Owner owner;
        try (Connection c = dataSource.getConnection()) {
            owner = suggestions.owner(c, id);
        }
        if (owner == null) {
            throw ReviewErrors.notFound("no suggestion " + ReviewIds.hex(id));
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                runs.lock(c, owner.host(), owner.instance());
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

    private SuggestionStore.Locked lock(Connection c, UUID id) throws SQLException {
        SuggestionStore.Locked locked = suggestions.lock(c, id);
        if (locked == null) {
            throw ReviewErrors.notFound("no suggestion " + ReviewIds.hex(id));
        }
        return locked;
    }

    /** Throws the refusal, if any, as the API's failure (a conflict with the suggestion's current state). */
    private void refuse(Connection c, UUID id, Optional<Refusal> refusal) throws SQLException {
        if (refusal.isPresent()) {
            throw failure(c, id, refusal.get());
        }
    }

    /**
     * The API's failure for a refusal. A conflict says who decided what and when (the suggestion's latest
     * decision: "accepted suggested 192.0.2.0/24 -> decided 192.0.2.10/32 by bob at ...") and carries the
     * suggestion's current state, so a reviewer whose second tab was late knows what happened.
     */
    private ReviewErrors.Failure failure(Connection c, UUID id, Refusal refusal) throws SQLException {
        if (refusal.kind() != Refusal.Kind.CONFLICT) {
            return ReviewErrors.of(refusal, null);
        }
        List<ReviewViews.DecisionView> history = decisions.histories(c, List.of(id)).getOrDefault(id, List.of());
        Refusal told = history.isEmpty() ? refusal : new Refusal(refusal.kind(), refusal.field(),
                refusal.message() + "; last decision: " + describe(history.get(0)));
        return ReviewErrors.of(told, suggestions.find(c, id));
    }

    /** {@code accepted 192.0.2.10/32 by bob at 2026-12-07T10:00:00Z}, with "suggested X -> decided Y" for an edit. */
    static String describe(ReviewViews.DecisionView d) {
        String what = d.decidedCidr() == null || d.decidedCidr().equals(d.cidr()) ? d.cidr()
                : "suggested " + d.cidr() + " -> decided " + d.decidedCidr();
        return d.outcome() + " " + what + " by " + d.actor() + " at " + d.decidedAt();
    }

    private static void requireComment(String comment) {
        Optional<Refusal> missing = DecisionRules.requireComment(comment);
        if (missing.isPresent()) {
            throw ReviewErrors.of(missing.get(), null);
        }
    }

    private ReviewViews.DecisionResult result(Connection c, UUID id, long decision, int approvalsNeeded)
            throws SQLException {
        return new ReviewViews.DecisionResult(decisions.find(c, decision), suggestions.find(c, id), approvalsNeeded);
    }

    private static Duration since(Instant firstSeen, Instant now) {
        return firstSeen == null ? null : Duration.between(firstSeen, now);
    }
}
