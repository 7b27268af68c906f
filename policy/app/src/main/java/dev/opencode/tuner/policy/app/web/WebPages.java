package dev.opencode.tuner.policy.app.web;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.policy.app.auth.Roles;
import dev.opencode.tuner.policy.app.evidence.AddressLabels;
import dev.opencode.tuner.policy.app.evidence.ProviderRange;
import dev.opencode.tuner.policy.app.evidence.ReverseName;
import dev.opencode.tuner.policy.app.export.ExportService;
import dev.opencode.tuner.policy.app.export.ExportViews;
import dev.opencode.tuner.policy.app.review.Removals;
import dev.opencode.tuner.policy.app.review.ReviewErrors;
import dev.opencode.tuner.policy.app.review.ReviewIds;
import dev.opencode.tuner.policy.app.review.ReviewService;
import dev.opencode.tuner.policy.app.review.ReviewViews;
import dev.opencode.tuner.policy.app.suggest.InstanceViews;
import dev.opencode.tuner.policy.app.suggest.SuggestionService;
import dev.opencode.tuner.policy.app.suggest.SuggestionViews;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.RawString;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.FormAuthenticationMechanism;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;

/**
 * The review UI: server-rendered Qute pages over the review service, the same rules as the API. Forms carry CSRF
 * tokens (quarkus-rest-csrf); the session is Quarkus' form login cookie, checked against the same accounts.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class WebPages {
    private static final Logger LOG = Logger.getLogger(WebPages.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<SuggestionViews.DestinationView>> DESTINATIONS = new TypeReference<>() {
    };
    private static final TypeReference<List<SuggestionViews.RefusalView>> REFUSALS = new TypeReference<>() {
    };
    /** How many days the overview chart shows. */
    static final int CHART_DAYS = 30;
    /** How often a page with pending reverse DNS reloads its evidence (htmx), at most. */
    static final int LABEL_REFRESHES = 5;
    /** Decisions shown in an instance's history. */
    static final int HISTORY = 50;
    /**
     * Pending suggestions per page of an instance, each with its evidence, impact, diff and form. An instance of
     * the review benchmark has 50 suggestions of 20 addresses; on one page that is 1,000 table rows.
     */
    static final int SUGGESTIONS_PER_PAGE = 10;
    /** Observed addresses shown per suggestion; the rest are counted, and the API and CLI list them all. */
    static final int ADDRESSES_SHOWN = 50;
    private static final MediaType HTML_UTF8 = MediaType.TEXT_HTML_TYPE.withCharset("UTF-8");
    /** The outcomes a redirect may announce; anything else shows nothing (no reflected text). */
    private static final Map<String, String> DONE = Map.of(
            "accepted", "Accepted: the CIDR is in the generated allowlist.",
            "approval", "Accept recorded: it takes effect when another reviewer approves it.",
            "rejected", "Rejected: it is not suggested again without new evidence.",
            "snoozed", "Snoozed: it is pending again after the time given.",
            "lookup", "Reverse DNS lookups started: the names appear as they are answered. An address beyond the"
                    + " minute's limit stays not looked up; ask again later.",
            "removal", "Removal accepted: the next export announces it in the host's pull request; the generated"
                    + " file drops the entry after the notice period, unless the entry is used again.");

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance login(boolean failed);

        static native TemplateInstance overview(String user, List<OverviewRow> instances, long pending,
                                                String chartDays, String chartEvents, ExportPanel export);

        static native TemplateInstance instance(String user, InstancePage page);

        static native TemplateInstance instance$suggestions(InstancePage page);

        static native TemplateInstance notFound(String user, String what);
    }

    /** One row of the overview. */
    public record OverviewRow(String host, String instance, long events, long destinations, int pending,
                              String lastSeen) {
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
                               List<UnusedRow> unusedHandWritten, String noticePeriod) {
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
                       String kind, String removal) {
        /** A removal suggestion (of an unused generated entry), shown apart from the additions. */
        public boolean isRemoval() {
            return "remove".equals(kind);
        }

        /** The evidence table's rows, escaped and written in Java ({@link WebRows}). */
        public RawString addressRows() {
            return WebRows.addressRows(addresses);
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
    public record DecisionRow(String decidedAt, String actor, String outcome, String cidr, String comment,
                              String snoozedUntil) {
    }

    /** One line of the unified diff; {@code kind} is add, remove, hunk, file or context (a CSS class). */
    public record DiffLine(String text, String kind) {
    }

    private final SuggestionService suggestions;
    private final ReviewService review;
    private final WebData data;
    private final AddressLabels labels;
    private final SecurityIdentity identity;
    private final ExportService exports;
    private final Removals removals;
    private final dev.opencode.tuner.policy.app.auth.SessionRevocations revocations;

    WebPages(SuggestionService suggestions, ReviewService review, WebData data, AddressLabels labels,
             SecurityIdentity identity, ExportService exports, Removals removals,
             dev.opencode.tuner.policy.app.auth.SessionRevocations revocations) {
        this.revocations = revocations;
        this.suggestions = suggestions;
        this.review = review;
        this.data = data;
        this.labels = labels;
        this.identity = identity;
        this.exports = exports;
        this.removals = removals;
    }

    /** The export panel: every host's last run, or only {@code host}'s. */
    private ExportPanel exportPanel(String host) throws SQLException {
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

    @GET
    @Operation(hidden = true)
    @PermitAll
    public Response root() {
        return Response.seeOther(URI.create("/ui")).build();
    }

    @GET
    @Operation(hidden = true)
    @Path("login")
    @PermitAll
    public TemplateInstance login(@QueryParam("error") String error) {
        return Templates.login(error != null);
    }

    @POST
    @Operation(hidden = true)
    @Path("ui/logout")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public Response logout() {
        revocations.revoke(identity.getPrincipal().getName()); // every session of the account, stolen ones included
        FormAuthenticationMechanism.logout(identity);
        return Response.seeOther(URI.create("/login")).build();
    }

    @GET
    @Operation(hidden = true)
    @Path("ui")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public TemplateInstance overview() throws SQLException {
        Map<String, Integer> pending = new HashMap<>();
        long total = 0;
        for (ReviewViews.ReviewInstance view : review.summaries(null, null, Set.of("pending")).instances()) {
            pending.put(view.host() + "\0" + view.instance(), view.suggestions().size());
            total += view.suggestions().size();
        }
        List<OverviewRow> rows = new ArrayList<>();
        for (InstanceViews.InstanceSummary summary : suggestions.instances().instances()) {
            rows.add(new OverviewRow(summary.host(), summary.instance(), summary.events(), summary.destinations(),
                    pending.getOrDefault(summary.host() + "\0" + summary.instance(), 0),
                    WebText.time(summary.lastSeen())));
        }
        // Every day of the window, days without events as 0: the chart's axis is the window, not the data's extent.
        Map<LocalDate, Long> perDay = new HashMap<>();
        for (WebData.Day day : data.blockedPerDay(null, null, CHART_DAYS)) {
            perDay.put(day.day(), day.events());
        }
        StringJoiner days = new StringJoiner(",");
        StringJoiner events = new StringJoiner(",");
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        for (int i = CHART_DAYS - 1; i >= 0; i--) {
            LocalDate day = today.minusDays(i);
            days.add(day.toString());
            events.add(Long.toString(perDay.getOrDefault(day, 0L)));
        }
        return Templates.overview(user(), rows, total, days.toString(), events.toString(), exportPanel(null));
    }

    @GET
    @Operation(hidden = true)
    @Path("ui/instances/{host}/{instance}")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public Response instance(@PathParam("host") String host, @PathParam("instance") String instance,
                             @QueryParam("done") String done, @QueryParam("page") String pageNumber)
            throws SQLException {
        InstancePage page = page(host, instance, pageNumber(pageNumber), 0, done == null ? null : DONE.get(done),
                null);
        if (page == null) {
            return notFound(host, instance);
        }
        return html(200, Templates.instance(user(), page));
    }

    /**
     * The reverse DNS cell of one address, from the cache only (it never starts a lookup): htmx asks for it again
     * while the name is pending, so that nothing else on the page is replaced.
     */
    @GET
    @Operation(hidden = true)
    @Path("ui/reverse-dns")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public Response reverseDnsCell(@QueryParam("address") String address, @QueryParam("refresh") int refresh) {
        if (address == null || address.length() > 45 || !address.matches("[0-9A-Fa-f.:]+")) {
            return Response.status(400).type(MediaType.TEXT_PLAIN_TYPE.withCharset("UTF-8"))
                    .entity("address: expected an IPv4 or IPv6 address").build();
        }
        String cell = WebRows.reverseDnsCell(address, labels.cached(address).reverseName(),
                Math.max(0, Math.min(refresh, LABEL_REFRESHES)));
        return Response.ok(cell.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).build();
    }

    /** The suggestions section alone (a page of suggestions). */
    @GET
    @Operation(hidden = true)
    @Path("ui/instances/{host}/{instance}/suggestions")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public Response suggestionsFragment(@PathParam("host") String host, @PathParam("instance") String instance,
                                        @QueryParam("refresh") int refresh, @QueryParam("page") String pageNumber)
            throws SQLException {
        InstancePage page = page(host, instance, pageNumber(pageNumber),
                Math.max(0, Math.min(refresh, LABEL_REFRESHES)), null, null);
        if (page == null) {
            return Response.status(404).build();
        }
        return html(200, Templates.instance$suggestions(page));
    }

    /**
     * A decision from the instance page: accept (with an optional edited CIDR: narrower, or wider within the
     * guardrails), reject (comment required) or snooze until a UTC time. It goes through the review service with
     * the same rules as the API; a refusal (400, 409, 422) shows the page again with the reason and that status.
     */
    @POST
    @Operation(hidden = true)
    @Path("ui/suggestions/{id}/decide")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed({Roles.REVIEWER, Roles.ADMIN})
    public Response decide(@PathParam("id") String id, @FormParam("host") String host,
                           @FormParam("instance") String instance, @FormParam("action") String action,
                           @FormParam("cidr") String cidr, @FormParam("comment") String comment,
                           @FormParam("until") String until) throws SQLException {
        if (host == null || instance == null || !validName(host, instance)) {
            return Response.status(400).entity(Templates.notFound(user(), "host and instance: missing or not"
                    + " valid names")).build();
        }
        String actor = identity.getPrincipal().getName();
        try {
            UUID uuid = ReviewIds.parse(id == null ? "" : id);
            if (uuid == null) {
                return error(host, instance, 400, "id: not a suggestion id (32 hex digits)");
            }
            String text = comment == null || comment.isBlank() ? null : comment.strip();
            if (text != null && text.length() > 2000) {
                return error(host, instance, 400, "comment: expected at most 2000 characters, got "
                        + text.length());
            }
            if (text != null) {
                text = text.replace("\r\n", "\n");
                if (text.codePoints().anyMatch(cp -> Character.isISOControl(cp) && cp != '\n')) {
                    return error(host, instance, 400, "comment: control characters are not allowed (newlines are)");
                }
            }
            String outcome;
            switch (action == null ? "" : action) {
                case "accept" -> {
                    String edited = cidr == null || cidr.isBlank() ? null : cidr.strip();
                    ReviewViews.DecisionResult result = review.accept(uuid, actor, text, edited);
                    outcome = result.approvalsNeeded() > 0 ? "approval"
                            : "remove".equals(result.suggestion().kind()) ? "removal" : "accepted";
                }
                case "reject" -> {
                    if (text == null) {
                        return error(host, instance, 422, "comment: a rejection needs a comment (why it stays"
                                + " blocked)");
                    }
                    review.reject(uuid, actor, text);
                    outcome = "rejected";
                }
                case "snooze" -> {
                    Instant time = utc(until);
                    if (time == null) {
                        return error(host, instance, 400, "until: expected a date and time (UTC), e.g."
                                + " 2026-12-01T09:00");
                    }
                    review.snooze(uuid, actor, time, text);
                    outcome = "snoozed";
                }
                default -> {
                    return error(host, instance, 400, "action: expected accept, reject or snooze");
                }
            }
            return Response.seeOther(URI.create("/ui/instances/" + WebText.path(host) + "/" + WebText.path(instance)
                    + "?done=" + outcome + "#history")).build();
        } catch (ReviewErrors.Failure e) {
            return error(host, instance, e.status(), e.getMessage());
        } catch (IllegalArgumentException e) {
            return error(host, instance, 422, e.getMessage());
        }
    }

    /**
     * A reviewer's request from a suggestion card: look up the reverse DNS names of the card's addresses that were
     * not looked up (out of the configured scope, or beyond the rate limit). It goes through the review service,
     * which refuses an address that is not one of the suggestion's observed addresses; back to the card (303).
     */
    @POST
    @Operation(hidden = true)
    @Path("ui/suggestions/{id}/reverse-dns")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed({Roles.REVIEWER, Roles.ADMIN})
    public Response lookUpReverseDns(@PathParam("id") String id, @FormParam("host") String host,
                                     @FormParam("instance") String instance, @FormParam("page") String pageNumber,
                                     @FormParam("address") List<String> addresses) throws SQLException {
        if (host == null || instance == null || !validName(host, instance)) {
            return Response.status(400).entity(Templates.notFound(user(), "host and instance: missing or not"
                    + " valid names")).build();
        }
        UUID uuid = ReviewIds.parse(id == null ? "" : id);
        if (uuid == null) {
            return error(host, instance, 400, "id: not a suggestion id (32 hex digits)");
        }
        if (addresses == null || addresses.isEmpty()) {
            return error(host, instance, 400, "address: no address to look up");
        }
        try {
            review.lookUpReverseDns(uuid, addresses);
        } catch (ReviewErrors.Failure e) {
            return error(host, instance, e.status(), e.getMessage());
        }
        return Response.seeOther(URI.create("/ui/instances/" + WebText.path(host) + "/" + WebText.path(instance)
                + "?done=lookup&page=" + pageNumber(pageNumber) + "#s-" + ReviewIds.hex(uuid))).build();
    }

    /** A page number from the query: 1 when absent or not a positive number (a number past the end: the last). */
    static int pageNumber(String value) {
        if (value == null || value.isBlank() || value.length() > 6 || !value.chars().allMatch(Character::isDigit)) {
            return 1;
        }
        return Math.max(1, Integer.parseInt(value));
    }

    private Response error(String host, String instance, int status, String message) throws SQLException {
        InstancePage page = page(host, instance, 1, 0, null, message);
        if (page == null) {
            return notFound(host, instance);
        }
        return html(status, Templates.instance(user(), page));
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

    private Response notFound(String host, String instance) {
        return Response.status(404).entity(Templates.notFound(user(), "No blocked events or allowlist for "
                + host + " / " + instance + ".")).build();
    }

    /** A {@code datetime-local} value (no zone) read as UTC, or an ISO-8601 instant; null when it is neither. */
    static Instant utc(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value.strip());
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(value.strip()).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    private static boolean validName(String host, String instance) {
        return host.length() <= 255 && host.chars().noneMatch(Character::isISOControl)
                && InstanceName.isValid(instance);
    }

    private InstancePage page(String host, String instance, int pageNumber, int refresh, String message,
                              String error) throws SQLException {
        if (!validName(host, instance)) {
            return null;
        }
        // Only the suggestions on this page get their evidence: an instance may have hundreds of them.
        List<ReviewViews.ReviewInstance> views = review.summaries(host, instance, Set.of("pending", "held"))
                .instances();
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
                            + " stay blocked: " + stays, diff(detail.diff()), rows(detail.history()),
                    rows(detail.earlierDecisions()),
                    s.earlierRejection() == null ? null : row(s.earlierRejection()),
                    s.approvedBy() == null || s.approvedBy().isEmpty() ? "" : String.join(", ", s.approvedBy()),
                    s.kind(), s.removal() == null ? null : impactText));
        }
        List<SuggestionViews.RefusalView> refused = view == null ? List.of() : read(view.refused(), REFUSALS);
        boolean canDecide = identity.hasRole(Roles.REVIEWER) || identity.hasRole(Roles.ADMIN);
        List<UnusedRow> unused = new ArrayList<>();
        for (Removals.UnusedEntry u : removals.unused(host, instance)) {
            if (u.source().equals("hand-written")) {
                unused.add(new UnusedRow(u.cidr(), WebText.time(u.unusedSince() == null ? null
                        : u.unusedSince().toString()), u.packets()));
            }
        }
        return new InstancePage(host, instance, view == null ? 0 : view.events(),
                view == null ? 0 : view.destinations(), allowed, cards, stable.size(), shown, pages, held, refused,
                history, canDecide, message, error, pending, refresh, exportPanel(host), unused,
                WebText.duration(removals.noticePeriod()));
    }

    private static List<DecisionRow> rows(List<ReviewViews.DecisionView> decisions) {
        List<DecisionRow> rows = new ArrayList<>();
        for (ReviewViews.DecisionView d : decisions) {
            rows.add(row(d));
        }
        return rows;
    }

    private static DecisionRow row(ReviewViews.DecisionView d) {
        return new DecisionRow(WebText.time(d.decidedAt()), d.actor(), d.outcome(),
                d.decidedCidr() != null ? d.decidedCidr() : d.cidr(), d.comment() == null ? "" : d.comment(),
                d.snoozedUntil() == null ? "" : WebText.time(d.snoozedUntil()));
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

    /** The unified diff text of the review service, line by line with a CSS class per kind. */
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

    private String user() {
        return identity.isAnonymous() ? "" : identity.getPrincipal().getName();
    }
}
