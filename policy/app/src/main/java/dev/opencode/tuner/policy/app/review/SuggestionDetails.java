package dev.opencode.tuner.policy.app.review;

import static dev.opencode.tuner.policy.app.review.ReadRetry.reading;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.policy.app.JdbcValues;
import dev.opencode.tuner.policy.app.evidence.AddressLabels;
import dev.opencode.tuner.policy.app.evidence.ProviderRange;
import dev.opencode.tuner.review.ImpactPreview;
import dev.opencode.tuner.review.Opening;
import dev.opencode.tuner.review.SuggestionState;
import dev.opencode.tuner.suggest.CidrEdit;
import dev.opencode.tuner.suggest.Cidrs;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * A suggestion as a reviewer examines it: its evidence with each address labelled (reverse DNS, provider ranges),
 * its history, the decisions on overlapping CIDRs, the impact preview and the diff of the host's generated file,
 * for one suggestion or for all those of an instance page at once.
 */
@ApplicationScoped
public class SuggestionDetails {
    /** Thread-safe once configured; one instance keeps Jackson's caches warm. */
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final ReviewRules rules;
    private final AddressLabels labels;
    private final SuggestionStore suggestions;
    private final DecisionStore decisions;
    private final AcceptedEntryStore entries;
    private final DestinationDayStore days;

    SuggestionDetails(DataSource dataSource, ReviewRules rules, AddressLabels labels, SuggestionStore suggestions,
                      DecisionStore decisions, AcceptedEntryStore entries, DestinationDayStore days) {
        this.dataSource = dataSource;
        this.rules = rules;
        this.labels = labels;
        this.suggestions = suggestions;
        this.decisions = decisions;
        this.entries = entries;
        this.days = days;
    }

    /** One suggestion, or null. */
    private ReviewViews.ReviewSuggestion find(UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return suggestions.find(c, id);
        }
    }

    /**
     * One suggestion with its evidence, history, the decisions on overlapping CIDRs, the impact preview over the
     * last {@code window} days (null: tuner.policy.review.impact-days) and the diff of the host's generated file;
     * {@code editedCidr} previews an edit.
     */
    public ReviewViews.SuggestionDetail detail(UUID id, String editedCidr, Integer window) throws SQLException {
        return reading(() -> detailOnce(id, editedCidr, window));
    }

    private ReviewViews.SuggestionDetail detailOnce(UUID id, String editedCidr, Integer window) throws SQLException {
        ReviewViews.ReviewSuggestion s;
        SuggestionStore.Owner owner;
        try (Connection c = dataSource.getConnection()) {
            s = suggestions.find(c, id);
            owner = s == null ? null : suggestions.owner(c, id);
        }
        if (s == null || owner == null) {
            throw ReviewErrors.notFound("no suggestion " + ReviewIds.hex(id));
        }
        String cidr = s.acceptedCidr() != null ? s.acceptedCidr() : s.cidr();
        if (editedCidr != null) {
            CidrEdit.Outcome outcome = rules.edit().check(s.cidr(), editedCidr);
            if (outcome.refused()) {
                throw ReviewErrors.unprocessable("cidr", outcome.refusal());
            }
            cidr = outcome.cidr();
        }
        int w = window == null ? rules.config().impactDays() : window;
        ReviewViews.SuggestionDetail detail = details(owner.host(), owner.instance(), List.of(new Target(s, cidr)),
                w).get(0);
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
                                                      List<ReviewViews.ReviewSuggestion> shown) throws SQLException {
        List<Target> targets = new ArrayList<>();
        for (ReviewViews.ReviewSuggestion s : shown) {
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
                Map<UUID, List<ReviewViews.DecisionView>> history = decisions.histories(c,
                        targets.stream().map(Target::id).toList());
                List<List<ReviewViews.DecisionView>> earlier = decisions.overlapping(c, host, instance,
                        targets.stream().map(t -> new DecisionStore.Overlap(t.id(), t.cidr(), t.suggestion().cidr()))
                                .toList());
                ImpactPreview impact = new ImpactPreview(window, days.firstDay(c, window),
                        days.blocked(c, host, instance, window), entries.effective(c, host, instance),
                        suggestions.patch(c, host, instance));
                Instant now = JdbcValues.now(c);
                List<AcceptedEntryStore.Accepted> accepted = entries.accepted(c, host);
                String beforeAll = AllowlistFiles.render(host, AllowlistFiles.lines(accepted, null));
                List<ReviewViews.SuggestionDetail> details = new ArrayList<>();
                for (int k = 0; k < targets.size(); k++) {
                    Target t = targets.get(k);
                    Opening opening = Opening.of(t.cidr(), addresses(t.suggestion()));
                    String diff = AllowlistFiles.preview(host, instance, t.cidr(), t.suggestion(), now, accepted,
                            beforeAll);
                    details.add(new ReviewViews.SuggestionDetail(host, instance, t.suggestion(), opening.opens(),
                            opening.observed(), history.getOrDefault(t.id(), List.of()), earlier.get(k),
                            view(impact.of(t.id(), t.cidr())), diff));
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

    private static ReviewViews.Impact view(ImpactPreview.Impact i) {
        return new ReviewViews.Impact(i.days(), i.since().toString(), i.cidr(), i.blockedEvents(),
                i.allowedBySuggestion(), i.allowedByPatch(), i.patchSuggestions(), i.allowedNow(),
                i.staysBlockedEvents(), i.staysBlockedDestinations(), i.staysBlocked().stream()
                        .map(b -> new ReviewViews.BlockedDestination(b.destination(), b.events())).toList());
    }

    /** The suggestion's observed addresses, read from its stored evidence. */
    private static List<String> addresses(ReviewViews.ReviewSuggestion s) {
        List<String> addresses = new ArrayList<>();
        // The stored evidence is an array of objects whose "address" is the first field; only those are read.
        try (JsonParser p = JSON.getFactory().createParser(s.addresses())) {
            int depth = 0;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                switch (t) {
                    case START_OBJECT, START_ARRAY -> depth++;
                    case END_OBJECT, END_ARRAY -> depth--;
                    case FIELD_NAME -> {
                        if (depth == 2 && p.currentName().equals("address")) {
                            p.nextToken();
                            addresses.add(p.getText());
                        }
                    }
                    default -> {
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("the stored evidence of " + s.id() + " is not JSON", e);
        }
        return addresses;
    }

    // ---------------------------------------------------------------------------------------- address labels

    /**
     * The suggestion with each address labelled by {@code how}: {@code reverseDns} (the forward-confirmed name, or
     * null), {@code reverseDnsUnverified} (a PTR name whose own A/AAAA records do not hold the address, or null),
     * {@code reverseDnsStatus} (found, unverified, pending, nxdomain, not-looked-up, rate-limited, ...) and
     * {@code providers} (the published ranges it falls in). Never blocks.
     */
    private ReviewViews.ReviewSuggestion labelled(ReviewViews.ReviewSuggestion s,
                                                  Function<String, AddressLabels.Labels> how) {
        try {
            JsonNode addresses = JSON.readTree(s.addresses());
            for (JsonNode a : addresses) {
                AddressLabels.Labels l = how.apply(a.path("address").asText());
                var node = (ObjectNode) a;
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
        } catch (IOException e) {
            throw new IllegalStateException("the stored evidence of " + s.id() + " is not JSON", e);
        }
    }

    /**
     * How the addresses of a suggestion shown to a reviewer are labelled: those of a pending, stable suggestion (the
     * instance page's cards) may start reverse DNS lookups, as tuner.policy.evidence.dns.scope allows; those of a
     * decided or held-back one show what is known.
     */
    private Function<String, AddressLabels.Labels> shown(ReviewViews.ReviewSuggestion s) {
        return SuggestionState.PENDING.text().equals(s.state()) && s.stable() ? labels::ofPendingSuggestion
                : labels::cached;
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
        ReviewViews.ReviewSuggestion s = reading(() -> find(id));
        if (s == null) {
            throw ReviewErrors.notFound("no suggestion " + ReviewIds.hex(id));
        }
        Set<String> observed = new HashSet<>();
        try {
            for (JsonNode a : JSON.readTree(s.addresses())) {
                observed.add(canonical(a.path("address").asText()));
            }
        } catch (IOException e) {
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
}
