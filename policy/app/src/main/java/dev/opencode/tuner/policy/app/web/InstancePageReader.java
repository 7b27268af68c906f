package dev.opencode.tuner.policy.app.web;

import static dev.opencode.tuner.policy.app.web.WebPages.ADDRESSES_SHOWN;
import static dev.opencode.tuner.policy.app.web.WebPages.SUGGESTIONS_PER_PAGE;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.policy.app.evidence.AddressLabels;
import dev.opencode.tuner.policy.app.evidence.ProviderRange;
import dev.opencode.tuner.policy.app.evidence.ReverseName;
import dev.opencode.tuner.policy.app.export.ExportService;
import dev.opencode.tuner.policy.app.review.Removals;
import dev.opencode.tuner.policy.app.review.ReviewService;
import dev.opencode.tuner.policy.app.review.ReviewViews;
import dev.opencode.tuner.policy.app.suggest.SuggestionViews;
import dev.opencode.tuner.policy.app.web.WebPages.AddressRow;
import dev.opencode.tuner.policy.app.web.WebPages.AllowedRow;
import dev.opencode.tuner.policy.app.web.WebPages.BulkRow;
import dev.opencode.tuner.policy.app.web.WebPages.Card;
import dev.opencode.tuner.policy.app.web.WebPages.DecisionRow;
import dev.opencode.tuner.policy.app.web.WebPages.Draft;
import dev.opencode.tuner.policy.app.web.WebPages.HeldRow;
import dev.opencode.tuner.policy.app.web.WebPages.InstancePage;
import dev.opencode.tuner.policy.app.web.WebPages.UnusedRow;
import dev.opencode.tuner.review.SuggestionState;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import org.jboss.logging.Logger;

/**
 * Reads what an instance's page shows from the review, evidence, removal and export services: the allowlist, a page
 * of suggestion cards (only these with their evidence), the held and refused ones, the history. Shared by the page,
 * its htmx fragment and the forms, which show the page again with a refusal.
 */
@ApplicationScoped
public class InstancePageReader {
    private static final Logger LOG = Logger.getLogger(InstancePageReader.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<SuggestionViews.DestinationView>> DESTINATIONS = new TypeReference<>() {
    };
    private static final TypeReference<List<SuggestionViews.RefusalView>> REFUSALS = new TypeReference<>() {
    };
    /** Decisions shown in an instance's history. */
    static final int HISTORY = 50;

    private final ReviewService review;
    private final AddressLabels labels;
    private final ExportService exports;
    private final Removals removals;

    InstancePageReader(ReviewService review, AddressLabels labels, ExportService exports, Removals removals) {
        this.review = review;
        this.labels = labels;
        this.exports = exports;
        this.removals = removals;
    }

    /**
     * The page of {@code host}/{@code instance} showing suggestion page {@code pageNumber} (past the end: the last);
     * null when the names are not valid or the instance has no events, allowlist or decisions.
     */
    InstancePage read(String host, String instance, int pageNumber, int refresh, String message, String error,
                      boolean canDecide) throws SQLException {
        return read(host, instance, pageNumber, refresh, message, error, canDecide, null, List.of());
    }

    /**
     * The page with a refused decision's {@code draft} on its card (null: none) and the {@code results} of a bulk
     * decision listed.
     */
    InstancePage read(String host, String instance, int pageNumber, int refresh, String message, String error,
                      boolean canDecide, Draft draft, List<BulkRow> results) throws SQLException {
        if (!WebPages.validName(host, instance)) {
            return null;
        }
        // Only the suggestions on this page get their evidence: an instance may have hundreds of them.
        List<ReviewViews.ReviewInstance> views = review.summaries(host, instance,
                Set.of(SuggestionState.PENDING.text(), SuggestionState.HELD)).instances();
        List<AllowedRow> allowed = new ArrayList<>();
        for (ReviewViews.InstanceAllowlist list : review.allowlist(host).instances()) {
            if (list.instance().equals(instance)) {
                for (ReviewViews.AllowlistEntry e : list.entries()) {
                    allowed.add(new AllowedRow(e.cidr(), e.source(), e.acceptedBy(), WebText.time(e.acceptedAt()),
                            e.comment()));
                }
            }
        }
        List<DecisionRow> history = rows(review.decisions(host, instance, HISTORY).decisions());
        if (views.isEmpty() && allowed.isEmpty() && history.isEmpty()) {
            return null;
        }
        ReviewViews.ReviewInstance view = views.isEmpty() ? null : views.get(0);
        List<ReviewViews.ReviewSuggestion> stable = new ArrayList<>();
        List<HeldRow> held = new ArrayList<>();
        if (view != null) {
            for (ReviewViews.ReviewSuggestion s : view.suggestions()) {
                if (s.stable()) {
                    stable.add(s);
                } else {
                    held.add(new HeldRow(s.cidr(), s.events(), WebText.time(s.firstSeen()),
                            WebText.time(s.lastSeen())));
                }
            }
        }
        int pages = Math.max(1, (stable.size() + SUGGESTIONS_PER_PAGE - 1) / SUGGESTIONS_PER_PAGE);
        int shown = Math.min(pageNumber, pages);
        List<ReviewViews.ReviewSuggestion> onPage = review.withEvidence(stable.subList(
                (shown - 1) * SUGGESTIONS_PER_PAGE, Math.min(stable.size(), shown * SUGGESTIONS_PER_PAGE)));
        // Impact, diff and decisions of the page's suggestions in one go: one read of each table for all of them.
        List<ReviewViews.SuggestionDetail> details = review.details(host, instance, onPage);
        List<Card> cards = new ArrayList<>();
        boolean pending = false;
        for (int k = 0; k < onPage.size(); k++) {
            ReviewViews.ReviewSuggestion s = onPage.get(k);
            List<SuggestionViews.DestinationView> addresses = read(s.addresses(), DESTINATIONS);
            List<AddressRow> rows = new ArrayList<>();
            int shownAddresses = Math.min(addresses.size(), ADDRESSES_SHOWN);
            for (SuggestionViews.DestinationView d : addresses.subList(0, shownAddresses)) {
                // The cards are the pending, stable suggestions: scope "suggestions" looks their addresses up.
                AddressLabels.Labels l = labels.ofPendingSuggestion(d.address());
                pending |= l.reverseName().status() == ReverseName.Status.PENDING;
                List<String> providers = new ArrayList<>();
                for (ProviderRange r : l.providers()) {
                    providers.add(r.provider() + " " + r.service() + (r.region() == null ? "" : " " + r.region())
                            + " (" + r.cidr() + ")");
                }
                rows.add(new AddressRow(d.address(), d.events(), WebText.join(d.ports()),
                        WebText.join(d.protocols()), WebText.time(d.firstSeen()), WebText.time(d.lastSeen()),
                        WebText.join(d.sampleSources()), l.reverseName(), providers));
            }
            ReviewViews.SuggestionDetail detail = details.get(k);
            ReviewViews.Impact impact = detail.impact();
            String impactText = "Of " + impact.blockedEvents() + " blocked events in the last " + impact.days()
                    + " days, this would have allowed " + impact.allowedBySuggestion()
                    + "; every pending suggestion of the instance together " + impact.allowedByPatch() + ".";
            StringJoiner stays = new StringJoiner(", ");
            impact.staysBlocked().forEach(b -> stays.add(b.destination() + " (" + b.events() + ")"));
            if (s.removal() != null) {
                ReviewViews.Removal r = s.removal();
                impactText = "Unused since " + WebText.time(r.unusedSince()) + " (counter " + r.packets()
                        + " packets" + (r.lastUsed() == null ? ", never used" : ", last used "
                        + WebText.time(r.lastUsed())) + ").";
            }
            cards.add(new Card(s.id(), s.cidr(), detail.opens().toString(), detail.observed(), s.events(),
                    WebText.join(s.services()), WebText.time(s.firstSeen()), WebText.time(s.lastSeen()), rows,
                    addresses.size() - rows.size(), impactText, impact.staysBlockedDestinations() == 0 ? ""
                            : impact.staysBlockedEvents() + " events to " + impact.staysBlockedDestinations()
                            + " destination" + (impact.staysBlockedDestinations() == 1 ? "" : "s")
                            + " stay blocked: " + stays, WebPages.diff(detail.diff()), rows(detail.history()),
                    rows(detail.earlierDecisions()),
                    s.earlierRejection() == null ? null : row(s.earlierRejection()),
                    s.approvedBy() == null || s.approvedBy().isEmpty() ? "" : String.join(", ", s.approvedBy()),
                    s.kind(), s.removal() == null ? null : impactText,
                    draft != null && draft.id().equals(s.id()) ? draft : null, labels.providersLoaded()));
        }
        List<SuggestionViews.RefusalView> refused = view == null ? List.of() : read(view.refused(), REFUSALS);
        List<UnusedRow> unused = new ArrayList<>();
        for (Removals.UnusedEntry u : removals.unused(host, instance)) {
            if (u.source().equals("hand-written")) {
                unused.add(new UnusedRow(u.cidr(), WebText.time(u.unusedSince() == null ? null
                        : u.unusedSince().toString()), u.packets()));
            }
        }
        return new InstancePage(host, instance, view == null ? 0 : view.events(),
                view == null ? 0 : view.destinations(), allowed, cards, stable.size(), shown, pages, held, refused,
                history, canDecide, message, error, pending, refresh, WebPages.exportPanel(exports, host), unused,
                WebText.duration(removals.noticePeriod()), results);
    }

    private static List<DecisionRow> rows(List<ReviewViews.DecisionView> decisions) {
        List<DecisionRow> rows = new ArrayList<>();
        for (ReviewViews.DecisionView d : decisions) {
            rows.add(row(d));
        }
        return rows;
    }

    private static DecisionRow row(ReviewViews.DecisionView d) {
        // A decision on an edited CIDR shows both: suggested X → decided Y.
        String decided = d.decidedCidr() == null || d.decidedCidr().equals(d.cidr()) ? null : d.decidedCidr();
        return new DecisionRow(WebText.time(d.decidedAt()), d.actor(), d.outcome(), d.cidr(), decided,
                d.comment() == null ? "" : d.comment(), d.snoozedUntil() == null ? "" : WebText.time(d.snoozedUntil()));
    }

    private static <T> List<T> read(String json, TypeReference<List<T>> type) {
        if (json == null || json.isBlank()) {
            return List.of();
        }
        try {
            return JSON.readValue(json, type);
        } catch (IOException e) {
            // The review service wrote this JSON itself; if it cannot be read back, show the page without it.
            LOG.errorf("evidence JSON of the review service not readable, shown empty: %s", e.getMessage());
            return List.of();
        }
    }
}
