package dev.opencode.tuner.policy.app.review;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.policy.app.suggest.AggregateReader;
import dev.opencode.tuner.policy.app.suggest.SuggestionViews;
import dev.opencode.tuner.review.Reconciliation;
import dev.opencode.tuner.suggest.Allowlist;
import dev.opencode.tuner.suggest.DestinationAggregate;
import dev.opencode.tuner.suggest.InstanceAggregate;
import dev.opencode.tuner.suggest.InstanceSuggestions;
import dev.opencode.tuner.suggest.Suggestion;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Keeps the {@code suggestion} rows of each instance up to date with its aggregates, incrementally: only instances
 * whose aggregates changed since their last computation (their event count or {@code updated_at} moved), or whose
 * allowlist a decision changed, are computed again. Runs on a schedule and on request (before a list is served).
 * The rules of how stored suggestions meet computed ones are the review domain's {@link Reconciliation}; the SQL is
 * {@link SuggestionRunStore}'s.
 *
 * <p>Several policy instances may run it at once: each instance's computation holds a transaction-scoped advisory
 * lock on (host, instance), which decisions take too, and checks again under the lock that it is still needed.
 */
@ApplicationScoped
public class Recomputation {
    private static final Logger LOG = Logger.getLogger(Recomputation.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final ReviewRules rules;
    private final ReviewMetrics metrics;
    private final SuggestionRunStore runs;
    private final AcceptedEntryStore entries;

    Recomputation(DataSource dataSource, ReviewRules rules, ReviewMetrics metrics, SuggestionRunStore runs,
                  AcceptedEntryStore entries) {
        this.dataSource = dataSource;
        this.rules = rules;
        this.metrics = metrics;
        this.runs = runs;
        this.entries = entries;
    }

    @Scheduled(every = "${tuner.policy.review.recompute-interval}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            recomputeStale(null, null);
        } catch (SQLException e) {
            // The next run tries again; lists recompute on request meanwhile.
            LOG.warnf("recomputing suggestions failed: SQLState %s: %s", e.getSQLState(), e.getMessage());
        }
    }

    /** Computes again the selected instances (null selects all) whose aggregates or allowlist changed. */
    public int recomputeStale(String host, String instance) throws SQLException {
        List<SuggestionStore.Owner> stale;
        try (Connection c = dataSource.getConnection()) {
            stale = runs.stale(c, host, instance);
        }
        int computed = 0;
        for (SuggestionStore.Owner key : stale) {
            if (recompute(key.host(), key.instance())) {
                computed++;
            }
        }
        return computed;
    }

    /** Computes one instance's suggestions again if still needed; true when it did. */
    public boolean recompute(String host, String instance) throws SQLException {
        long started = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                boolean done = recompute(c, host, instance);
                c.commit();
                if (done) {
                    metrics.recomputed(System.nanoTime() - started);
                }
                return done;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private boolean recompute(Connection c, String host, String instance) throws SQLException {
        runs.lock(c, host, instance);
        // Read committed: the instance's counters are read before its destinations, so what is recorded is never
        // newer than what was computed from (a batch committed in between is computed again next time).
        SuggestionRunStore.Counters counters = runs.counters(c, host, instance);
        if (counters == null || counters.upToDate()) {
            return false; // no aggregates, or another policy instance did it while this one waited for the lock
        }
        List<InstanceAggregate> aggregates = AggregateReader.destinations(c, host, instance);
        InstanceAggregate aggregate = aggregates.isEmpty() ? InstanceAggregate.restore(host, instance, List.of())
                : aggregates.get(0);
        List<String> effective = entries.effective(c, host, instance);
        Map<String, Reconciliation.Stored> rows = runs.additions(c, host, instance);

        Reconciliation.HeldBack heldBack = Reconciliation.holdBack(rows.values(), aggregate, effective,
                counters.now(), rules.rejections());
        InstanceSuggestions result = rules.suggester().suggest(aggregate, Allowlist.of(heldBack.subtracted()));

        Map<String, Suggestion> computed = new LinkedHashMap<>();
        for (Suggestion s : result.suggestions()) {
            computed.put(s.cidr(), s);
        }
        List<SuggestionRunStore.Insert> inserts = new ArrayList<>();
        List<SuggestionRunStore.Update> updates = new ArrayList<>();
        for (Suggestion s : computed.values()) {
            Reconciliation.Stored row = rows.get(s.cidr());
            SuggestionRunStore.Computed stored = new SuggestionRunStore.Computed(s, rules.stable(s), evidence(s));
            if (row == null) {
                Reconciliation.Stored rejection = Reconciliation.overlappingRejection(heldBack.reopening(), s.cidr());
                inserts.add(new SuggestionRunStore.Insert(ReviewIds.of(host, instance, s.cidr()), stored,
                        rejection == null ? null : rejection.rejectedDecision()));
            } else {
                updates.add(new SuggestionRunStore.Update(row.id(), stored, Reconciliation.next(row,
                        counters.now())));
            }
        }
        // Open suggestions that the engine no longer makes were folded into a broader one, or are now covered by
        // the allowlist; a reopened rejection that folded into a broader suggestion goes the same way.
        List<SuggestionRunStore.Supersede> superseded = new ArrayList<>();
        for (Reconciliation.Stored row : rows.values()) {
            if (Reconciliation.supersededUnlessComputed(row, heldBack) && !computed.containsKey(row.cidr())) {
                superseded.add(new SuggestionRunStore.Supersede(row.id(), Reconciliation.covering(row.cidr(),
                        computed.keySet(), rows.values(), cidr -> ReviewIds.of(host, instance, cidr))));
            }
        }
        runs.write(c, host, instance, inserts, updates, superseded);

        Allowlist effectiveAllowlist = Allowlist.of(effective);
        List<DestinationAggregate> alreadyAllowed = new ArrayList<>();
        for (DestinationAggregate d : result.alreadyAllowed()) {
            if (effectiveAllowlist.covers(d.ip())) {
                alreadyAllowed.add(d); // not those held back by a rejection
            }
        }
        SuggestionViews.InstanceView view = SuggestionViews.of(new InstanceSuggestions(host, instance,
                result.events(), result.destinations(), List.of(), result.refused(), alreadyAllowed));
        runs.saveRun(c, host, instance, counters, result.destinations(), json(view.refused()),
                json(view.alreadyAllowed()));
        return true;
    }

    /** The covered destinations, as the API shows them. */
    private static String evidence(Suggestion s) {
        SuggestionViews.InstanceView view = SuggestionViews.of(new InstanceSuggestions("", "", s.events(), 0,
                List.of(s), List.of(), List.of()));
        return json(view.suggestions().get(0).addresses());
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write evidence as JSON", e);
        }
    }
}
