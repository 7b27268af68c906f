package dev.opencode.tuner.policy.app.web;

import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.policy.app.auth.Roles;
import dev.opencode.tuner.policy.app.evidence.ReverseName;
import dev.opencode.tuner.policy.app.export.ExportService;
import dev.opencode.tuner.policy.app.export.ExportViews;
import dev.opencode.tuner.policy.app.suggest.SuggestionViews;
import dev.opencode.tuner.review.DecisionOutcome;
import dev.opencode.tuner.review.SuggestionKind;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.RawString;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The review UI's pages: the Qute templates (src/main/resources/templates/WebPages/, bound to this class's name), the
 * records they render and what every page resource shares. The routes are in {@link SessionResource},
 * {@link OverviewResource}, {@link InstancePageResource} (the page and its htmx fragments) and
 * {@link DecisionFormResource} (the forms); the instance page is read by {@link InstancePageReader}. Server-rendered
 * over the review service, with the same rules as the API; forms carry CSRF tokens (quarkus-rest-csrf) and the
 * session is Quarkus' form login cookie, checked against the same accounts.
 */
public final class WebPages {
    /** How often a page with pending reverse DNS reloads its evidence (htmx), at most. */
    static final int LABEL_REFRESHES = 5;
    /**
     * Pending suggestions per page of an instance, each with its evidence, impact, diff and form. An instance of
     * the review benchmark has 50 suggestions of 20 addresses; on one page that is 1,000 table rows.
     */
    static final int SUGGESTIONS_PER_PAGE = 10;
    /** Observed addresses shown per suggestion; the rest are counted, and the API and CLI list them all. */
    static final int ADDRESSES_SHOWN = 50;
    private static final MediaType HTML_UTF8 = MediaType.TEXT_HTML_TYPE.withCharset("UTF-8");
    /**
     * The outcomes a redirect of {@link DecisionFormResource} may announce on the instance page; anything else shows
     * nothing (no reflected text). The decisions' keys are their outcomes' wire values.
     */
    static final Map<String, String> DONE = Map.of(
            DecisionOutcome.ACCEPTED.text(), "Accepted: the CIDR is in the generated allowlist.",
            "approval", "Accept recorded: it takes effect when another reviewer approves it.",
            DecisionOutcome.REJECTED.text(), "Rejected: it is not suggested again without new evidence.",
            DecisionOutcome.SNOOZED.text(), "Snoozed: it is pending again after the time given.",
            "lookup", "Reverse DNS lookups started: the names appear as they are answered. An address beyond the"
                    + " minute's limit stays not looked up; ask again later.",
            "removal", "Removal accepted: the next export announces it in the host's pull request; the generated"
                    + " file drops the entry after the notice period, unless the entry is used again.");

    private WebPages() {
    }

    /** The type-safe templates of templates/WebPages/; Qute checks every expression against these parameters. */
    @CheckedTemplate
    static class Templates {
        static native TemplateInstance login(boolean failed);

        static native TemplateInstance overview(String user, List<OverviewRow> instances, long pending,
                                                String chartDays, String chartEvents, ExportPanel export,
                                                String sort, boolean canDecide, List<BulkRow> results,
                                                String message, String error);

        static native TemplateInstance instance(String user, InstancePage page);

        static native TemplateInstance instance$suggestions(InstancePage page);

        static native TemplateInstance instance$card(InstancePage page, Card card);

        /** A card once decided, or one that could not be (decided meanwhile): what htmx swaps in. */
        static native TemplateInstance decided(String id, String message, boolean failed);

        static native TemplateInstance notFound(String user, String what);
    }

    /** One row of the overview. */
    public record OverviewRow(String host, String instance, long events, long destinations, int pending,
                              String lastSeen, int held, int snoozed, String oldest, java.time.Instant oldestAt,
                              List<TopRow> top, long deniedEvents, String denied) {
    }

    /** One of an instance's top pending suggestions on the overview, which a reviewer may tick for a bulk decision. */
    public record TopRow(String id, String cidr, String services, long events) {
    }

    /** Whether export is on, and each host's last export run (all hosts, or the page's host). */
    public record ExportPanel(boolean enabled, List<ExportRow> hosts) {
    }

    /**
     * A host's last export: when, what it did, the commit, the pull request and the last error. {@code
     * pullRequestUrl} is only set when it is an http(s) URL (it comes from the forge).
     */
    public record ExportRow(String host, String lastRun, String lastSuccess, String result, String commit,
                            String pullRequest, String pullRequestUrl, String lastError) {
    }

    /** An entry in force that the host reports unused and that the exporter did not write: for manual removal. */
    public record UnusedRow(String cidr, String unusedSince, long packets) {
    }

    /**
     * Everything the instance page shows: {@code suggestions} are those of page {@code pageNumber} (of
     * {@code pages}), {@code pending} counts them all.
     */
    public record InstancePage(String host, String instance, long events, long destinations,
                               List<AllowedRow> allowlist, List<Card> suggestions, int pending, int pageNumber,
                               int pages, List<HeldRow> held, List<SuggestionViews.RefusalView> refused,
                               List<DecisionRow> history, boolean canDecide, String message, String error,
                               boolean labelsPending, int refresh, ExportPanel export,
                               List<UnusedRow> unusedHandWritten, String noticePeriod, List<BulkRow> results) {
        /** The page's own path, for links and the evidence refresh. */
        public String path() {
            return "/ui/instances/" + WebText.path(host) + "/" + WebText.path(instance);
        }

        /** The first suggestion of this page, counted from 1. */
        public int firstShown() {
            return (pageNumber - 1) * SUGGESTIONS_PER_PAGE + 1;
        }

        public int lastShown() {
            return firstShown() + suggestions.size() - 1;
        }

        public int previousPage() {
            return pageNumber - 1;
        }

        public int nextPage() {
            return pageNumber + 1;
        }

        public int nextRefresh() {
            return refresh + 1;
        }

        public boolean refreshAgain() {
            return labelsPending && refresh < LABEL_REFRESHES;
        }
    }

    /** One CIDR in force: accepted by a decision, or allowed by the host. */
    public record AllowedRow(String cidr, String source, String acceptedBy, String acceptedAt, String comment) {
    }

    /**
     * A suggestion with its evidence (the first {@link #ADDRESSES_SHOWN} addresses, and how many more there are),
     * impact, diff and history.
     */
    public record Card(String id, String cidr, String opens, int observed, long events, String services,
                       String firstSeen, String lastSeen, List<AddressRow> addresses, int moreAddresses,
                       String impact, String staysBlocked, List<DiffLine> diff, List<DecisionRow> history,
                       List<DecisionRow> earlier, DecisionRow earlierRejection, String approvedBy,
                       String kind, String removal, Draft draft, boolean providersLoaded) {
        /** The CIDR field's value: what the reviewer typed when a decision was refused, else the suggested one. */
        public String cidrValue() {
            return draft != null && draft.cidr() != null ? draft.cidr() : cidr;
        }

        /** The comment the reviewer typed when a decision was refused, else empty. */
        public String commentValue() {
            return draft != null && draft.comment() != null ? draft.comment() : "";
        }

        /** The snooze time the reviewer typed when a decision was refused, else empty. */
        public String untilValue() {
            return draft != null && draft.until() != null ? draft.until() : "";
        }

        /** Whether the refusal shown on this card concerns {@code field} (marked invalid and focused). */
        public boolean invalid(String field) {
            return draft != null && field.equals(draft.field());
        }

        /** A removal suggestion (of an unused generated entry), shown apart from the additions. */
        public boolean isRemoval() {
            return SuggestionKind.REMOVE.text().equals(kind);
        }

        /** The evidence table's rows, escaped and written in Java ({@link WebRows}). */
        public RawString addressRows() {
            return WebRows.addressRows(addresses, providersLoaded);
        }

        /** The unified diff, a {@code <span>} per line with its kind as the class. */
        public RawString diffLines() {
            return WebRows.diff(diff);
        }

        /** The observed addresses offered to narrow the suggestion to. */
        public RawString observedOptions() {
            return WebRows.observedOptions(addresses);
        }

        /** Whether some shown address was not looked up (out of scope, or beyond the rate limit). */
        public boolean offersLookup() {
            return addresses.stream().anyMatch(WebRows::notLookedUp);
        }

        /** The hidden {@code address} fields of the look-up form: the shown addresses not looked up. */
        public RawString lookupFields() {
            return WebRows.lookupFields(addresses);
        }
    }

    /**
     * What a reviewer typed into a card whose decision was refused, and why: the card is shown again with it, the
     * message inside the card and the field it concerns ({@code cidr}, {@code comment}, {@code until}, or null)
     * marked invalid.
     */
    public record Draft(String id, String cidr, String comment, String until, String field, String message) {
    }

    /** One suggestion of a bulk decision: what became of it ({@code failed} with the reason). */
    public record BulkRow(String id, String cidr, String result, boolean failed) {
    }

    /** A suggestion held back by the stabilisation rule: listed, folded, without its evidence. */
    public record HeldRow(String cidr, long events, String firstSeen, String lastSeen) {
    }

    /** One observed address of a suggestion, with its labels. */
    public record AddressRow(String address, long events, String ports, String protocols, String firstSeen,
                             String lastSeen, String sampleSources, ReverseName reverseName, List<String> providers) {
        /** The address as a CIDR of its own ({@code /32} or {@code /128}), offered to narrow a suggestion to. */
        public String hostCidr() {
            return address + (address.indexOf(':') >= 0 ? "/128" : "/32");
        }
    }

    /** One decision of the audit trail. */
    public record DecisionRow(String decidedAt, String actor, String outcome, String cidr, String decidedCidr,
                              String comment, String snoozedUntil) {
    }

    /** One line of the unified diff; {@code kind} is add, remove, hunk, file or context (a CSS class). */
    public record DiffLine(String text, String kind) {
    }

    /**
     * A page rendered here and sent as UTF-8 bytes. Left to the framework, the rendered text was encoded character
     * by character into the network buffer (Netty's {@code writeUtf8}: 7% of the service's CPU in a profile of the
     * review benchmark); {@code String.getBytes} encodes it in bulk.
     */
    static Response html(int status, TemplateInstance template) {
        return Response.status(status).type(HTML_UTF8).entity(template.render().getBytes(StandardCharsets.UTF_8))
                .build();
    }

    /** The 404 page of an instance without blocked events, allowlist or decisions (or with a name not valid). */
    static Response notFound(SecurityIdentity identity, String host, String instance) {
        return Response.status(404).entity(Templates.notFound(user(identity), "No blocked events or allowlist for "
                + host + " / " + instance + ".")).build();
    }

    /** A page number from the query: 1 when absent or not a positive number (a number past the end: the last). */
    static int pageNumber(String value) {
        if (value == null || value.isBlank() || value.length() > 6 || !value.chars().allMatch(Character::isDigit)) {
            return 1;
        }
        return Math.max(1, Integer.parseInt(value));
    }

    static boolean validName(String host, String instance) {
        return host.length() <= 255 && host.chars().noneMatch(Character::isISOControl)
                && InstanceName.isValid(instance);
    }

    /** The export panel: every host's last run, or only {@code host}'s. */
    static ExportPanel exportPanel(ExportService exports, String host) throws SQLException {
        List<ExportRow> rows = new ArrayList<>();
        for (ExportViews.HostStatus h : exports.status()) {
            if (host != null && !host.equals(h.host())) {
                continue;
            }
            ExportViews.PullRequestView pr = h.pullRequest();
            String url = pr == null || pr.url() == null ? null : pr.url();
            if (url != null && !url.startsWith("https://") && !url.startsWith("http://")) {
                url = null;
            }
            rows.add(new ExportRow(h.host(), WebText.time(h.lastRun()), WebText.time(h.lastSuccess()), h.result(),
                    h.commit() == null ? "" : h.commit().substring(0, Math.min(12, h.commit().length())),
                    pr == null ? "" : "#" + pr.number() + " (" + pr.state() + ")", url,
                    h.lastError() == null ? "" : h.lastError()));
        }
        return new ExportPanel(exports.enabled(), rows);
    }

    /**
     * The unified diff text of the review service, line by line with a CSS class per kind. The classes {@code add}
     * and {@code remove} are the diff's line kinds, not {@link SuggestionKind}s: they name the page's CSS.
     */
    static List<DiffLine> diff(String unified) {
        List<DiffLine> lines = new ArrayList<>();
        if (unified == null) {
            return lines;
        }
        for (String line : unified.lines().toList()) {
            String kind = line.startsWith("+++") || line.startsWith("---") ? "file"
                    : line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "remove"
                    : "context";
            lines.add(new DiffLine(line, kind));
        }
        return lines;
    }

    /** The signed-in account's name, or "" on a page anyone may see (the login page). */
    static String user(SecurityIdentity identity) {
        return identity.isAnonymous() ? "" : identity.getPrincipal().getName();
    }

    /** Whether the account may decide: the forms are shown only then (the resources check the role again). */
    static boolean canDecide(SecurityIdentity identity) {
        return identity.hasRole(Roles.REVIEWER) || identity.hasRole(Roles.ADMIN);
    }
}
