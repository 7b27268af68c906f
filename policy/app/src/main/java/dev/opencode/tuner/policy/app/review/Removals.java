package dev.opencode.tuner.policy.app.review;

import dev.opencode.tuner.policy.app.JdbcValues;
import dev.opencode.tuner.policy.app.PolicyConfig;
import dev.opencode.tuner.review.DecisionOutcome;
import dev.opencode.tuner.review.RejectionMemory;
import dev.opencode.tuner.review.RemovalRules;
import dev.opencode.tuner.suggest.Cidrs;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Removal suggestions (kind {@code remove}): an entry of the generated file (an accepted addition, {@code
 * accepted_entry}) whose counter on the host has not moved for {@code tuner.policy.removal.unused-after} is suggested
 * for removal, and reviewed like an addition. Entries in force that the exporter did not write (hand-written) are
 * only listed ({@link #unused}), never suggested.
 *
 * <p>The lifecycle after the review, after Netflix Repokid (announce, then remove only what was announced): the
 * exporter announces an accepted removal in the host's pull request ({@link #markAnnounced}), and drops the entry
 * from the file only once {@code notice-period} has passed since that announcement ({@link #markRemoved}). A counter
 * that moves before the entry left the file withdraws the removal: the suggestion becomes {@code superseded}, with a
 * {@code withdrawn} decision by {@value #ACTOR} in the audit trail, and the entry stays. The rules are the review
 * domain's {@link RemovalRules}; the SQL is {@link RemovalStore}'s.
 *
 * <p>Each instance is brought up to date in its own transaction under the instance's advisory lock, which
 * recomputation and decisions take too.
 */
@ApplicationScoped
@Startup // a bad tuner.policy.removal.* value stops the service at start, naming the key
public class Removals {
    private static final Logger LOG = Logger.getLogger(Removals.class);
    /** The actor of the service's own withdrawals in the audit trail. */
    public static final String ACTOR = "tuner";

    private final DataSource dataSource;
    private final ReviewRules rules;
    private final RemovalRules removal;
    private final RemovalStore store;
    private final SuggestionRunStore runs;
    private final DecisionStore decisions;
    /** {@code tuner_policy_removals_total{step}}: what this service instance did to removal suggestions. */
    private final Counter suggestedCount;
    private final Counter withdrawnCount;
    private final Counter announcedCount;
    private final Counter removedCount;

    @Inject
    Removals(DataSource dataSource, ReviewRules rules, PolicyConfig config, MeterRegistry registry,
             RemovalStore store, SuggestionRunStore runs, DecisionStore decisions) {
        this(dataSource, rules, config.removal().unusedAfter(), config.removal().noticePeriod(), registry, store,
                runs, decisions);
    }

    /** Without the stores of the application's wiring: for checks of the configuration. */
    Removals(DataSource dataSource, ReviewRules rules, Duration unusedAfter, Duration noticePeriod,
             MeterRegistry registry) {
        this(dataSource, rules, unusedAfter, noticePeriod, registry, new RemovalStore(), new SuggestionRunStore(),
                new DecisionStore());
    }

    private Removals(DataSource dataSource, ReviewRules rules, Duration unusedAfter, Duration noticePeriod,
                     MeterRegistry registry, RemovalStore store, SuggestionRunStore runs, DecisionStore decisions) {
        this.dataSource = dataSource;
        this.rules = rules;
        this.removal = new RemovalRules(unusedAfter, noticePeriod);
        this.store = store;
        this.runs = runs;
        this.decisions = decisions;
        MeterRegistry meters = registry == null ? new SimpleMeterRegistry() : registry;
        this.suggestedCount = step(meters, "suggested", "unused generated entries suggested for removal");
        this.withdrawnCount = step(meters, "withdrawn", "removals withdrawn because the entry was used again or left"
                + " the generated file");
        this.announcedCount = step(meters, "announced", "accepted removals announced in a pull request");
        this.removedCount = step(meters, "removed", "removals whose entry the generated file dropped");
    }

    private static Counter step(MeterRegistry registry, String step, String what) {
        return Counter.builder("tuner.policy.removals").tag("step", step)
                .description("Removal suggestions by step (" + step + ": " + what + ")").register(registry);
    }

    public Duration unusedAfter() {
        return removal.unusedAfter();
    }

    public Duration noticePeriod() {
        return removal.noticePeriod();
    }

    /** The id of the removal suggestion of one entry: like an addition's, over a CIDR text no addition can have. */
    public static UUID id(String host, String instance, String cidr) {
        return ReviewIds.of(host, instance, "remove " + Cidrs.format(Cidrs.parse(cidr)));
    }

    @Scheduled(every = "${tuner.policy.removal.check-interval}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            refresh(null);
        } catch (SQLException e) {
            LOG.warnf("updating the removal suggestions failed (tried again in tuner.policy.removal.check-interval):"
                    + " SQLState %s: %s", e.getSQLState(), e.getMessage());
        }
    }

    /** What one refresh did. */
    public record Refresh(int suggested, int withdrawn) {
    }

    /**
     * Brings the removal suggestions of {@code host} (null: every host) up to date: unused generated entries become
     * (or become again) pending removal suggestions, and open removals whose entry was used again, or left the
     * generated file by another way, are withdrawn.
     */
    public Refresh refresh(String host) throws SQLException {
        TreeSet<String> instances = new TreeSet<>();
        try (Connection c = dataSource.getConnection()) {
            for (RemovalStore.Candidate k : store.candidates(c, host, null, removal.unusedAfter())) {
                instances.add(k.host() + '\0' + k.instance());
            }
            for (RemovalStore.Open o : store.open(c, host, null)) {
                instances.add(o.host() + '\0' + o.instance());
            }
        }
        int suggested = 0;
        int withdrawn = 0;
        for (String key : instances) {
            String[] hi = key.split("\0", 2);
            Refresh one = refresh(hi[0], hi[1]);
            suggested += one.suggested();
            withdrawn += one.withdrawn();
        }
        suggestedCount.increment(suggested);
        withdrawnCount.increment(withdrawn);
        return new Refresh(suggested, withdrawn);
    }

    private Refresh refresh(String host, String instance) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                runs.lock(c, host, instance);
                int withdrawn = withdraw(c, host, instance);
                int suggested = suggest(c, host, instance);
                c.commit();
                return new Refresh(suggested, withdrawn);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /** Withdraws the open removals of an instance whose entry was used again or is no longer generated. */
    private int withdraw(Connection c, String host, String instance) throws SQLException {
        int withdrawn = 0;
        for (RemovalStore.Open o : store.open(c, host, instance)) {
            Optional<String> why = removal.withdrawal(o.unusedSince(), o.lastUsed(), o.packets(), o.addition());
            if (why.isEmpty()) {
                continue;
            }
            decisions.record(c, o.id(), null, DecisionOutcome.WITHDRAWN, ACTOR, why.get(), null);
            store.withdraw(c, o.id());
            LOG.infof("removal suggestion %s of %s/%s withdrawn: %s", ReviewIds.hex(o.id()), host, instance,
                    why.get());
            withdrawn++;
        }
        return withdrawn;
    }

    /** Suggests removing the unused generated entries of an instance; answers how many became pending. */
    private int suggest(Connection c, String host, String instance) throws SQLException {
        List<RemovalStore.Candidate> candidates = store.candidates(c, host, instance, removal.unusedAfter());
        Instant now = JdbcValues.now(c);
        RejectionMemory memory = rules.rejections();
        int suggested = 0;
        for (RemovalStore.Candidate k : candidates) {
            UUID id = id(host, instance, k.cidr());
            RemovalStore.Existing existing = store.lock(c, id);
            if (existing == null) {
                store.insert(c, id, k);
                suggested++;
                continue;
            }
            boolean reopen = RemovalRules.reopens(existing.state(), existing.rejectedAt(), now, memory);
            if (!RemovalRules.refreshed(existing.state(), reopen)) {
                continue;
            }
            store.refresh(c, id, k, reopen);
            if (reopen) {
                suggested++;
            }
        }
        return suggested;
    }

    // ------------------------------------------------------------------------------------------- the listing

    /** An entry in force on a host whose counter has not moved for unused-after. */
    public record UnusedEntry(String host, String instance, String cidr, String source, long packets,
                              Instant firstReported, Instant lastUsed, Instant unusedSince, UUID removal,
                              String removalState) {
    }

    /**
     * The entries in force on the selected hosts and instances (null: all) whose counter has not moved for
     * unused-after: {@code generated} ones (in the generated file; their removal suggestion, if any, is named) and
     * {@code hand-written} ones (the host allows them, the exporter did not write them: for manual removal only).
     */
    public List<UnusedEntry> unused(String host, String instance) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return store.unused(c, host, instance, removal.unusedAfter());
        }
    }

    // ---------------------------------------------------------------------------------------- the exporter's

    /** An accepted removal of a host, as the exporter announces it and later carries it out. */
    public record Notice(UUID id, String instance, String cidr, UUID addition, String acceptedBy, Instant acceptedAt,
                         String comment, Instant unusedSince, Instant announcedAt, Instant removeAfter,
                         boolean usedSince) {
        /** Announced, and the notice period is over: the file may drop the entry now. */
        public boolean due(Instant now) {
            return RemovalRules.due(announcedAt, removeAfter, usedSince, now);
        }
    }

    /** The accepted removals of a host whose entry is still in the generated file. */
    public List<Notice> notices(String host) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return store.notices(c, host);
        }
    }

    /** Records that the announcement of these removals reached the host's branch: the notice period runs. */
    public int markAnnounced(List<UUID> ids, Instant removeAfter) throws SQLException {
        if (ids.isEmpty()) {
            return 0;
        }
        try (Connection c = dataSource.getConnection()) {
            int n = store.markAnnounced(c, ids, removeAfter);
            announcedCount.increment(n);
            return n;
        }
    }

    /**
     * Records that the generated file on the host's branch no longer holds these removals' entries: each removal
     * becomes {@code exported} and its addition {@code removed} (out of {@code accepted_entry}), in one transaction.
     */
    public int markRemoved(List<UUID> ids) throws SQLException {
        if (ids.isEmpty()) {
            return 0;
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                List<SuggestionStore.Owner> touched = store.markRemoved(c, ids);
                for (SuggestionStore.Owner t : touched) {
                    runs.markStale(c, t.host(), t.instance());
                }
                c.commit();
                removedCount.increment(touched.size());
                return touched.size();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }
}
