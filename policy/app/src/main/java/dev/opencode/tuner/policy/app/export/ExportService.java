package dev.opencode.tuner.policy.app.export;

import dev.opencode.tuner.export.AcceptedEntry;
import dev.opencode.tuner.export.ExportException;
import dev.opencode.tuner.export.ExportPlan;
import dev.opencode.tuner.export.GitExporter;
import dev.opencode.tuner.export.HostExport;
import dev.opencode.tuner.export.HostNames;
import dev.opencode.tuner.export.forge.PullRequest;
import dev.opencode.tuner.export.forge.PullRequestBody;
import dev.opencode.tuner.export.forge.PullRequestSync;
import dev.opencode.tuner.policy.app.PolicyConfig;
import dev.opencode.tuner.policy.app.export.ExportStore.HostStatusRow;
import dev.opencode.tuner.policy.app.export.ExportViews.HostRun;
import dev.opencode.tuner.policy.app.export.ExportViews.PullRequestView;
import dev.opencode.tuner.export.RemovalNotice;
import dev.opencode.tuner.export.UnusedHandWrittenEntry;
import dev.opencode.tuner.policy.app.review.Removals;
import dev.opencode.tuner.policy.app.review.ReviewIds;
import dev.opencode.tuner.policy.app.review.ReviewService;
import dev.opencode.tuner.review.SuggestionState;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.Set;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Runs exports: for each host, first what the forge says about its pull request (closed without merge: the entries
 * it proposed are rejected by {@code forge:<kind>} through the review service; merged: they become {@code merged}),
 * then the entries in force by decision ({@code accepted_entry}) go onto the host's branch and into its pull request,
 * and the entries that made it are marked {@code exported}. One run at a time (synchronized): the git cache and the
 * forge see one writer.
 */
@ApplicationScoped
@Startup // a bad tuner.policy.export.* value stops the service at start, naming the key
public class ExportService {
    private static final Logger LOG = Logger.getLogger(ExportService.class);

    private final ExportConfig config;
    private final PolicyConfig policy;
    private final ExportStore store;
    private final ReviewService review;
    private final ExportMetrics metrics;
    private final Removals removals;

    @Inject
    public ExportService(ExportConfig config, PolicyConfig policy, ExportStore store, ReviewService review,
            ExportMetrics metrics, Removals removals) {
        this.config = config;
        this.policy = policy;
        this.store = store;
        this.review = review;
        this.metrics = metrics;
        this.removals = removals;
        settings(); // validate now
    }

    /** Whether {@code tuner.policy.export.repository} is set. */
    public boolean enabled() {
        return config.repository().filter(r -> !r.isBlank()).isPresent();
    }

    boolean autoEnabled() {
        return config.auto();
    }

    Optional<String> forge() {
        return config.forge().kind().map(k -> k.toLowerCase(Locale.ROOT));
    }

    private Optional<ExportSettings> settings() {
        return ExportSettings.from(config, policy);
    }

    /**
     * Exports {@code host} (or every host with entries or an earlier export), or with {@code dryRun} only says what
     * would change: the diff and the pull request text, with nothing pushed, written or moved.
     */
    public synchronized List<HostRun> run(Optional<String> host, boolean dryRun) throws SQLException {
        ExportSettings settings = settings().orElseThrow(() -> new IllegalStateException(
                "export is off: set tuner.policy.export.repository"));
        long decision = store.newestDecision().map(d -> d[0]).orElse(0L);
        List<String> hosts = host.map(List::of).orElseGet(() -> {
            try {
                return store.hosts();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        List<HostRun> runs = new ArrayList<>();
        for (String h : hosts) {
            runs.add(dryRun ? dryRun(settings, h) : export(settings, h, decision));
        }
        return runs;
    }

    /**
     * What the host's export holds now: the entries in force by decision, minus those whose announced removal is due;
     * the accepted removals (announced with their date, or carried out now); the unused hand-written entries.
     */
    private Content content(String host) throws SQLException {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        List<Removals.Notice> notices = removals.notices(host);
        Set<String> dropped = new HashSet<>();
        List<RemovalNotice> shown = new ArrayList<>();
        List<UUID> announce = new ArrayList<>();
        List<UUID> due = new ArrayList<>();
        Instant proposed = now.plus(removals.noticePeriod());
        for (Removals.Notice n : notices) {
            if (n.usedSince()) {
                continue; // withdrawn at the next refresh; never removed on a stale decision
            }
            boolean removeNow = n.due(now);
            if (removeNow) {
                dropped.add(ReviewIds.hex(n.addition()));
                due.add(n.id());
            } else if (n.announcedAt() == null) {
                announce.add(n.id());
            }
            shown.add(new RemovalNotice(n.instance(), n.cidr(), ReviewIds.hex(n.id()), n.acceptedBy(), n.comment(),
                    n.unusedSince(), n.removeAfter() != null ? n.removeAfter() : proposed, removeNow));
        }
        List<AcceptedEntry> entries = new ArrayList<>();
        for (AcceptedEntry e : store.accepted(host)) {
            if (!dropped.contains(e.suggestionId())) {
                entries.add(e);
            }
        }
        List<UnusedHandWrittenEntry> handWritten = new ArrayList<>();
        for (Removals.UnusedEntry u : removals.unused(host, null)) {
            if (u.source().equals("hand-written")) {
                handWritten.add(new UnusedHandWrittenEntry(u.instance(), u.cidr(), u.packets(), u.unusedSince()));
            }
        }
        return new Content(new HostExport(host, entries, shown, handWritten), announce, proposed, due);
    }

    /** One host's export input, and the removals it announces for the first time or carries out. */
    private record Content(HostExport export, List<UUID> announce, Instant removeAfter, List<UUID> due) {
    }

    private HostRun dryRun(ExportSettings settings, String host) throws SQLException {
        Content content = content(host);
        List<AcceptedEntry> entries = content.export().entries();
        try {
            ExportPlan plan = settings.git().plan(content.export());
            return new HostRun(host, "dry-run", change(plan), plan.branch(), null, entries.size(), null, null,
                    plan.diff(), PullRequestBody.title(plan), settings.forge().map(k -> PullRequestBody.body(plan, k,
                            config.reviewUrlTemplate().orElse(null))).orElse(null));
        } catch (ExportException | IllegalArgumentException e) {
            return new HostRun(host, "failed", null, null, null, entries.size(), null, e.getMessage(), null, null,
                    null);
        }
    }

    private HostRun export(ExportSettings settings, String host, long decision) throws SQLException {
        String branch = GitExporter.branch(host);
        String forgeLabel = settings.forge().map(k -> k.label()).orElse(null);
        PullRequestView prView = null;
        try {
            // 1. The forge's verdict on the pull request we opened last.
            if (settings.pullRequests().isPresent()) {
                settle(settings.pullRequests().get(), host, branch, forgeLabel);
            }
            // 2. The entries in force now, onto the branch, with the removals: withdrawn ones first (a counter that
            // moved), then announced (the entry stays, with its date) or, once announced and due, left out.
            removals.refresh(host);
            Content content = content(host);
            List<AcceptedEntry> entries = content.export().entries();
            ExportPlan plan = settings.git().plan(content.export());
            settings.git().push(plan);
            String result = plan.change() == ExportPlan.Change.COMMIT ? "committed" : "unchanged";
            String prState = null;
            Long prNumber = null;
            String prUrl = null;
            // 3. The pull request.
            if (settings.pullRequests().isPresent()) {
                PullRequestSync.Outcome outcome;
                try {
                    outcome = settings.pullRequests().get().sync(plan);
                } catch (ExportException e) {
                    metrics.pullRequest(forgeLabel, "failed");
                    throw e;
                }
                String prResult = switch (outcome.result()) {
                    case OPENED -> "opened";
                    case UPDATED -> "updated";
                    case UNCHANGED, NONE -> "unchanged";
                };
                metrics.pullRequest(forgeLabel, prResult);
                if (outcome.pullRequest().isPresent()) {
                    PullRequest pr = outcome.pullRequest().get();
                    prNumber = pr.number();
                    prUrl = pr.url();
                    prState = pr.state().name().toLowerCase(Locale.ROOT);
                    prView = new PullRequestView(pr.number(), pr.url(), prState,
                            outcome.result().name().toLowerCase(Locale.ROOT));
                }
            }
            // 4. States: what the branch carries is exported; what the default branch holds already is merged.
            List<UUID> ids = entries.stream().map(e -> uuid(e.suggestionId())).toList();
            if (plan.change() == ExportPlan.Change.ON_DEFAULT_BRANCH) {
                store.move(ids, List.of(SuggestionState.ACCEPTED, SuggestionState.EXPORTED), SuggestionState.MERGED);
            } else if (plan.change() == ExportPlan.Change.COMMIT || plan.change() == ExportPlan.Change.BRANCH_CURRENT) {
                store.move(ids, List.of(SuggestionState.ACCEPTED), SuggestionState.EXPORTED);
            }
            // Removals: announced once the branch carries the announcement; carried out once it lacks the entry.
            if (plan.change() == ExportPlan.Change.COMMIT || plan.change() == ExportPlan.Change.BRANCH_CURRENT) {
                removals.markAnnounced(content.announce(), content.removeAfter());
            }
            if (plan.change() != ExportPlan.Change.BRANCH_EDITED_BY_OTHERS) {
                removals.markRemoved(content.due());
            }
            String error = plan.change() == ExportPlan.Change.BRANCH_EDITED_BY_OTHERS
                    ? "the branch " + branch + " has commits by someone else: remove them (or the branch) to let the "
                            + "exporter update it"
                    : null;
            store.record(new HostStatusRow(host, result, change(plan), branch,
                    plan.commit() != null ? plan.commit().name()
                            : plan.branchTip() != null ? plan.branchTip().name() : null,
                    prNumber, prUrl, prState, error, decision));
            metrics.export(host, result);
            LOG.infof("export of %s: %s (%s)%s", host, result, change(plan), prUrl == null ? "" : ", " + prUrl);
            return new HostRun(host, result, change(plan), branch,
                    plan.commit() != null ? plan.commit().name() : null, entries.size(), prView, error, null, null,
                    null);
        } catch (ExportException | IllegalArgumentException e) {
            // Messages are redacted where they are built (ExportException); an IllegalArgumentException names a value.
            LOG.warnf("export of %s failed: %s", host, e.getMessage());
            store.record(new HostStatusRow(host, "failed", null, branch, null, null, null, null, e.getMessage(),
                    decision));
            metrics.export(host, "failed");
            return new HostRun(host, "failed", null, branch, null, null, prView, e.getMessage(), null, null, null);
        }
    }

    /** A closed pull request rejects what it proposed; a merged one marks it merged. Each handled once. */
    private void settle(PullRequestSync sync, String host, String branch, String forgeLabel) throws SQLException {
        Optional<Long> tracked = store.trackedPullRequest(host);
        if (tracked.isEmpty()) {
            return;
        }
        Optional<PullRequest> current = sync.current(branch);
        if (current.isEmpty() || current.get().number() != tracked.get()
                || current.get().state() == PullRequest.State.OPEN) {
            return;
        }
        PullRequest pr = current.get();
        List<UUID> proposed = store.inState(host, SuggestionState.EXPORTED);
        if (pr.state() == PullRequest.State.MERGED) {
            int n = store.move(proposed, List.of(SuggestionState.EXPORTED), SuggestionState.MERGED);
            LOG.infof("pull request %s of %s merged: %d entries merged", pr.url(), host, n);
        } else {
            String actor = "forge:" + forgeLabel;
            // What it proposed: the entries it adds or drops, and the removals it only announced so far.
            List<UUID> rejected = new ArrayList<>(proposed);
            rejected.addAll(store.announcedRemovals(host));
            for (UUID id : rejected) {
                review.rejectInForce(id, actor, "pull request #" + pr.number() + " closed without merging: "
                        + pr.url());
            }
            LOG.infof("pull request %s of %s closed without merging: %d entries rejected as %s", pr.url(), host,
                    rejected.size(), actor);
        }
        store.record(new HostStatusRow(host, "unchanged", null, branch, null, pr.number(), pr.url(),
                pr.state().name().toLowerCase(Locale.ROOT), null, 0));
    }

    /** Validates a host named in a request. */
    static String requireHost(String host) {
        return HostNames.require(host);
    }

    private static String change(ExportPlan plan) {
        return plan.change().name().toLowerCase(Locale.ROOT);
    }

    private static UUID uuid(String hex) {
        return UUID.fromString(hex.replaceFirst("(\\p{XDigit}{8})(\\p{XDigit}{4})(\\p{XDigit}{4})(\\p{XDigit}{4})"
                + "(\\p{XDigit}+)", "$1-$2-$3-$4-$5"));
    }

    List<AcceptedEntry> entries(String host) throws SQLException {
        return content(host).export().entries();
    }

    /** Each host's last export run (for the API and the web UI). */
    public List<ExportViews.HostStatus> status() throws SQLException {
        return store.status();
    }
}
