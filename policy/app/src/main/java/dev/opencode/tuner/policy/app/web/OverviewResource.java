package dev.opencode.tuner.policy.app.web;

import dev.opencode.tuner.policy.app.auth.Roles;
import dev.opencode.tuner.policy.app.export.ExportService;
import dev.opencode.tuner.policy.app.review.ReviewService;
import dev.opencode.tuner.policy.app.review.ReviewViews;
import dev.opencode.tuner.policy.app.suggest.SuggestionService;
import dev.opencode.tuner.review.SuggestionState;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The overview page: the review queue (every instance with why it needs attention, its top pending suggestions
 * open to a bulk decision across instances), blocked events per day, the export panel. It reads no evidence.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class OverviewResource {
    /** How many days the overview chart shows. */
    static final int CHART_DAYS = 30;

    private final SuggestionService suggestions;
    private final ReviewService review;
    private final WebData data;
    private final ExportService exports;
    private final SecurityIdentity identity;

    OverviewResource(SuggestionService suggestions, ReviewService review, WebData data, ExportService exports,
                     SecurityIdentity identity) {
        this.suggestions = suggestions;
        this.review = review;
        this.data = data;
        this.exports = exports;
        this.identity = identity;
    }

    @GET
    @Operation(hidden = true)
    @Path("ui")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public TemplateInstance overview(@QueryParam("sort") String sortKey) throws SQLException {
        return page(OverviewQueue.Sort.of(sortKey), List.of(), null, null);
    }

    /**
     * A bulk decision across instances: the top pending suggestions ticked on the overview, accepted or rejected
     * with one comment, each on its own (one decided meanwhile fails alone); the overview again with what became of
     * each (409 when one failed).
     */
    @POST
    @Operation(hidden = true)
    @Path("ui/bulk")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed({Roles.REVIEWER, Roles.ADMIN})
    public Response bulk(@FormParam("id") List<String> ids, @FormParam("action") String action,
                         @FormParam("comment") String comment, @FormParam("sort") String sortKey)
            throws SQLException {
        OverviewQueue.Sort sort = OverviewQueue.Sort.of(sortKey);
        BulkDecisions.Request request = BulkDecisions.check(ids, action, comment);
        if (request.refusal() != null) {
            return WebPages.html(request.status(), page(sort, List.of(), null, request.refusal()));
        }
        BulkDecisions.Outcome outcome = BulkDecisions.decide(review, ids, action, request.comment(),
                identity.getPrincipal().getName(), owner -> true, "", true);
        return WebPages.html(outcome.failed() == 0 ? 200 : 409, page(sort, outcome.rows(),
                outcome.failed() == 0 ? outcome.summary() : null, outcome.failed() == 0 ? null : outcome.summary()));
    }

    private TemplateInstance page(OverviewQueue.Sort sort, List<WebPages.BulkRow> results, String message,
                                  String error) throws SQLException {
        List<ReviewViews.ReviewInstance> open = review.summaries(null, null, Set.of(SuggestionState.PENDING.text(),
                SuggestionState.HELD, SuggestionState.SNOOZED.text())).instances();
        List<WebPages.OverviewRow> rows = OverviewQueue.rows(suggestions.instances().instances(), open,
                java.time.Instant.now(), sort);
        long total = rows.stream().mapToLong(WebPages.OverviewRow::pending).sum();
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
        return WebPages.Templates.overview(WebPages.user(identity), rows, total, days.toString(), events.toString(),
                WebPages.exportPanel(exports, null), sort.key, WebPages.canDecide(identity), results, message,
                error);
    }
}
