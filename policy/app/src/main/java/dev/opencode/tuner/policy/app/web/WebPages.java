package dev.opencode.tuner.policy.app.web;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.nix.AllowlistRenderer;
import dev.opencode.tuner.policy.app.auth.Roles;
import dev.opencode.tuner.policy.app.evidence.AddressLabels;
import dev.opencode.tuner.policy.app.evidence.ProviderRange;
import dev.opencode.tuner.policy.app.evidence.ReverseName;
import dev.opencode.tuner.policy.app.suggest.InstanceViews;
import dev.opencode.tuner.policy.app.suggest.SuggestionService;
import dev.opencode.tuner.policy.app.suggest.SuggestionViews;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.FormAuthenticationMechanism;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The review UI: server-rendered Qute pages over the same services as the API. Forms carry CSRF tokens
 * (quarkus-rest-csrf); the session is Quarkus' form login cookie, checked against the same accounts as the API.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class WebPages {
    /** How many days the overview chart shows. */
    static final int CHART_DAYS = 30;
    /** How often a page with pending reverse DNS reloads its evidence (htmx), at most. */
    static final int LABEL_REFRESHES = 5;

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance login(boolean failed);

        static native TemplateInstance overview(String user, List<OverviewRow> instances, long pending,
                                                String chartDays, String chartEvents);

        static native TemplateInstance instance(String user, InstancePage page);

        static native TemplateInstance instance$suggestions(InstancePage page);

        static native TemplateInstance notFound(String user, String what);
    }

    /** One row of the overview. */
    public record OverviewRow(String host, String instance, long events, long destinations, int pending,
                              String lastSeen) {
    }

    /** Everything the instance page shows. */
    public record InstancePage(String host, String instance, long events, long destinations, List<String> baseAllowlist,
                               List<Card> suggestions, List<SuggestionViews.RefusalView> refused,
                               List<DiffLine> diff, boolean labelsPending, int refresh) {
        /** The page's own path, for links and the evidence refresh. */
        public String path() {
            return "/ui/instances/" + WebText.path(host) + "/" + WebText.path(instance);
        }

        public int nextRefresh() {
            return refresh + 1;
        }

        public boolean refreshAgain() {
            return labelsPending && refresh < LABEL_REFRESHES;
        }
    }

    /** A suggestion with its evidence. */
    public record Card(String id, String cidr, String opens, int observed, long events, String services,
                       String firstSeen, String lastSeen, List<AddressRow> addresses) {
    }

    /** One observed address of a suggestion, with its labels. */
    public record AddressRow(String address, long events, String ports, String protocols, String firstSeen,
                             String lastSeen, String sampleSources, String reverseDns, String reverseStatus,
                             boolean reverseFound, List<String> providers) {
    }

    /** One line of the unified diff; {@code kind} is add, remove, hunk, file or context (a CSS class). */
    public record DiffLine(String text, String kind) {
    }

    private final SuggestionService suggestions;
    private final WebData data;
    private final AddressLabels labels;
    private final SecurityIdentity identity;

    WebPages(SuggestionService suggestions, WebData data, AddressLabels labels, SecurityIdentity identity) {
        this.suggestions = suggestions;
        this.data = data;
        this.labels = labels;
        this.identity = identity;
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
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public Response logout() {
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
        for (SuggestionViews.InstanceView view : suggestions.suggestions(null, null).instances()) {
            pending.put(view.host() + "\0" + view.instance(), view.suggestions().size());
            total += view.suggestions().size();
        }
        List<OverviewRow> rows = new ArrayList<>();
        for (InstanceViews.InstanceSummary summary : suggestions.instances().instances()) {
            rows.add(new OverviewRow(summary.host(), summary.instance(), summary.events(), summary.destinations(),
                    pending.getOrDefault(summary.host() + "\0" + summary.instance(), 0),
                    WebText.time(summary.lastSeen())));
        }
        StringJoiner days = new StringJoiner(",");
        StringJoiner events = new StringJoiner(",");
        // Every day of the window, days without events as 0: the chart's axis is the window, not the data's extent.
        Map<java.time.LocalDate, Long> perDay = new HashMap<>();
        for (WebData.Day day : data.blockedPerDay(null, null, CHART_DAYS)) {
            perDay.put(day.day(), day.events());
        }
        java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        for (int i = CHART_DAYS - 1; i >= 0; i--) {
            java.time.LocalDate day = today.minusDays(i);
            days.add(day.toString());
            events.add(Long.toString(perDay.getOrDefault(day, 0L)));
        }
        return Templates.overview(user(), rows, total, days.toString(), events.toString());
    }

    @GET
    @Operation(hidden = true)
    @Path("ui/instances/{host}/{instance}")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public Response instance(@PathParam("host") String host, @PathParam("instance") String instance)
            throws SQLException {
        InstancePage page = page(host, instance, 0);
        if (page == null) {
            return Response.status(404).entity(Templates.notFound(user(), "No blocked events or allowlist for "
                    + host + " / " + instance + ".")).build();
        }
        return Response.ok(Templates.instance(user(), page)).build();
    }

    /** The suggestions section alone: htmx reloads it while reverse DNS names are pending. */
    @GET
    @Operation(hidden = true)
    @Path("ui/instances/{host}/{instance}/suggestions")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public Response suggestionsFragment(@PathParam("host") String host, @PathParam("instance") String instance,
                                        @QueryParam("refresh") int refresh) throws SQLException {
        InstancePage page = page(host, instance, Math.max(0, Math.min(refresh, LABEL_REFRESHES)));
        if (page == null) {
            return Response.status(404).build();
        }
        return Response.ok(Templates.instance$suggestions(page)).build();
    }

    private InstancePage page(String host, String instance, int refresh) throws SQLException {
        if (host.length() > 255 || host.chars().anyMatch(Character::isISOControl) || !InstanceName.isValid(instance)) {
            return null;
        }
        List<SuggestionViews.InstanceView> views = suggestions.suggestions(host, instance).instances();
        List<String> base = data.baseAllowlist(host, instance);
        if (views.isEmpty() && base.isEmpty()) {
            return null;
        }
        SuggestionViews.InstanceView view = views.isEmpty() ? null : views.get(0);
        List<Card> cards = new ArrayList<>();
        boolean pending = false;
        List<AllowlistRenderer.Entry> proposed = new ArrayList<>();
        if (view != null) {
            for (SuggestionViews.SuggestionView s : view.suggestions()) {
                List<AddressRow> rows = new ArrayList<>();
                for (SuggestionViews.DestinationView d : s.addresses()) {
                    AddressLabels.Labels l = labels.labels(d.address());
                    pending |= l.reverseName().status() == ReverseName.Status.PENDING;
                    List<String> providers = new ArrayList<>();
                    for (ProviderRange r : l.providers()) {
                        providers.add(r.provider() + " " + r.service() + (r.region() == null ? "" : " " + r.region())
                                + " (" + r.cidr() + ")");
                    }
                    rows.add(new AddressRow(d.address(), d.events(), WebText.join(d.ports()),
                            WebText.join(d.protocols()), WebText.time(d.firstSeen()), WebText.time(d.lastSeen()),
                            WebText.join(d.sampleSources()), l.reverseName().describe(), l.reverseName().status().text(),
                            l.reverseDns() != null, providers));
                }
                cards.add(new Card(s.id(), s.cidr(), s.opens().toString(), s.addresses().size(), s.events(),
                        WebText.join(s.services()), WebText.time(s.firstSeen()), WebText.time(s.lastSeen()), rows));
                proposed.add(new AllowlistRenderer.Entry(s.cidr(), s.events() + " blocked events to "
                        + s.addresses().size() + " address" + (s.addresses().size() == 1 ? "" : "es") + ", "
                        + WebText.join(s.services())));
            }
        }
        List<DiffLine> diff = diff(host, instance, proposed);
        return new InstancePage(host, instance, view == null ? 0 : view.events(),
                view == null ? 0 : view.destinations(), base, cards, view == null ? List.of() : view.refused(),
                diff, pending, refresh);
    }

    /** The unified diff of the host's generated Nix file if every pending suggestion of the instance were accepted. */
    static List<DiffLine> diff(String host, String instance, List<AllowlistRenderer.Entry> proposed) {
        AllowlistRenderer renderer = new AllowlistRenderer();
        List<String> before = renderer.render(host, List.of()).lines().toList();
        List<String> after = proposed.isEmpty() ? before : renderer.render(host,
                List.of(new AllowlistRenderer.InstanceAllowlist(instance, proposed))).lines().toList();
        Patch<String> patch = DiffUtils.diff(before, after);
        List<DiffLine> lines = new ArrayList<>();
        String file = Untrusted.quote(host, 80).replace("'", "") + ".nix";
        for (String line : UnifiedDiffUtils.generateUnifiedDiff("a/" + file, "b/" + file, before, patch, 3)) {
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
