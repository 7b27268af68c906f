package dev.opencode.tuner.policy.app.web;

import dev.opencode.tuner.policy.app.auth.Roles;
import dev.opencode.tuner.policy.app.review.ReviewErrors;
import dev.opencode.tuner.policy.app.review.ReviewIds;
import dev.opencode.tuner.policy.app.review.ReviewService;
import dev.opencode.tuner.policy.app.review.ReviewViews;
import dev.opencode.tuner.review.DecisionOutcome;
import dev.opencode.tuner.review.Refusal;
import dev.opencode.tuner.review.ReviewComment;
import dev.opencode.tuner.review.SuggestionKind;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The forms of the instance page: a card's decision (htmx swaps the card in place), the bulk decision of the checked
 * cards, and a request to look up reverse DNS names. All go through the review service and answer a redirect to the
 * instance page (303), the card or the page again with the refusal and its status, or the page with the results.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class DecisionFormResource {
    private final ReviewService review;
    private final InstancePageReader pages;
    private final SecurityIdentity identity;

    DecisionFormResource(ReviewService review, InstancePageReader pages, SecurityIdentity identity) {
        this.review = review;
        this.pages = pages;
        this.identity = identity;
    }

    /**
     * A decision from the instance page: accept (with an optional edited CIDR: narrower, or wider within the
     * guardrails), reject (comment required) or snooze until a UTC time. It goes through the review service with
     * the same rules as the API. Asked by htmx ({@code HX-Request}), the answer is the card alone: what became of
     * the suggestion, or the card again with what the reviewer typed and the refusal inside it; otherwise a redirect
     * to the page (303), or the page with that card so (400, 409, 422).
     */
    @POST
    @Operation(hidden = true)
    @Path("ui/suggestions/{id}/decide")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed({Roles.REVIEWER, Roles.ADMIN})
    public Response decide(@PathParam("id") String id, @FormParam("host") String host,
                           @FormParam("instance") String instance, @FormParam("action") String action,
                           @FormParam("cidr") String cidr, @FormParam("comment") String comment,
                           @FormParam("until") String until, @FormParam("page") String pageNumber,
                           @HeaderParam("HX-Request") String htmx) throws SQLException {
        if (host == null || instance == null || !WebPages.validName(host, instance)) {
            return badNames();
        }
        UUID uuid = ReviewIds.parse(id == null ? "" : id);
        if (uuid == null) {
            return error(host, instance, 400, "id: not a suggestion id (32 hex digits)");
        }
        Form form = new Form(ReviewIds.hex(uuid), host, instance, WebPages.pageNumber(pageNumber), cidr, comment, until,
                htmx != null);
        String text = ReviewComment.normalise(comment);
        Refusal refused = ReviewComment.refusal(text);
        if (refused != null) {
            return refused(form, 400, refused.field(), refused.message());
        }
        String outcome;
        String done;
        try {
            switch (action == null ? "" : action) {
                case "accept" -> {
                    String edited = cidr == null || cidr.isBlank() ? null : cidr.strip();
                    ReviewViews.DecisionResult result = review.accept(uuid, identity.getPrincipal().getName(), text,
                            edited);
                    outcome = result.approvalsNeeded() > 0 ? "approval"
                            : SuggestionKind.REMOVE.text().equals(result.suggestion().kind()) ? "removal"
                            : DecisionOutcome.ACCEPTED.text();
                    done = result.approvalsNeeded() > 0 ? "Approved " + result.decision().decidedCidr()
                            + "; another reviewer must approve it."
                            : SuggestionKind.REMOVE.text().equals(result.suggestion().kind())
                            ? "Accepted the removal of " + result.suggestion().cidr() + "."
                            : "Accepted " + result.suggestion().acceptedCidr() + ".";
                }
                case "reject" -> {
                    if (text == null) {
                        return refused(form, 422, "comment", "a rejection needs a comment (why it stays blocked)");
                    }
                    ReviewViews.DecisionResult result = review.reject(uuid, identity.getPrincipal().getName(), text);
                    outcome = DecisionOutcome.REJECTED.text();
                    done = "Rejected " + result.suggestion().cidr() + ".";
                }
                case "snooze" -> {
                    Instant time = utc(until);
                    if (time == null) {
                        return refused(form, 400, "until", "expected a date and time (UTC), e.g."
                                + " 2026-12-01T09:00");
                    }
                    ReviewViews.DecisionResult result = review.snooze(uuid, identity.getPrincipal().getName(), time,
                            text);
                    outcome = DecisionOutcome.SNOOZED.text();
                    done = "Snoozed " + result.suggestion().cidr() + " until "
                            + WebText.time(result.suggestion().snoozedUntil()) + ".";
                }
                default -> {
                    return refused(form, 400, null, "action: expected accept, reject or snooze");
                }
            }
        } catch (ReviewErrors.Failure e) {
            return refused(form, e.status(), e.field(), e.getMessage());
        } catch (IllegalArgumentException e) {
            return refused(form, 422, "cidr", e.getMessage());
        }
        if (form.htmx()) {
            return WebPages.html(200, WebPages.Templates.decided(form.id(), done, false));
        }
        return Response.seeOther(URI.create("/ui/instances/" + WebText.path(host) + "/" + WebText.path(instance)
                + "?done=" + outcome + "#history")).build();
    }

    /**
     * Several suggestions of the instance page at once (the checked ones), accepted or rejected with one comment.
     * Each is decided on its own: one that cannot be (decided meanwhile in another tab, say) fails alone, and the
     * page lists what became of each.
     */
    @POST
    @Operation(hidden = true)
    @Path("ui/instances/{host}/{instance}/bulk")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed({Roles.REVIEWER, Roles.ADMIN})
    public Response bulk(@PathParam("host") String host, @PathParam("instance") String instance,
                         @FormParam("id") List<String> ids, @FormParam("action") String action,
                         @FormParam("comment") String comment) throws SQLException {
        if (host == null || instance == null || !WebPages.validName(host, instance)) {
            return badNames();
        }
        BulkDecisions.Request request = BulkDecisions.check(ids, action, comment);
        if (request.refusal() != null) {
            return error(host, instance, request.status(), request.refusal());
        }
        BulkDecisions.Outcome outcome = BulkDecisions.decide(review, ids, action, request.comment(),
                identity.getPrincipal().getName(), o -> o.host().equals(host) && o.instance().equals(instance),
                "not a suggestion of " + host + " / " + instance, false);
        int failed = outcome.failed();
        String summary = outcome.summary();
        List<WebPages.BulkRow> results = outcome.rows();
        WebPages.InstancePage page = pages.read(host, instance, 1, 0, failed == 0 ? summary : null,
                failed == 0 ? null : summary, WebPages.canDecide(identity), null, results);
        if (page == null) {
            return WebPages.notFound(identity, host, instance);
        }
        return WebPages.html(failed == 0 ? 200 : 409, WebPages.Templates.instance(WebPages.user(identity), page));
    }

    /** What a decision form sent, to show its card again as the reviewer left it. */
    private record Form(String id, String host, String instance, int page, String cidr, String comment,
                        String until, boolean htmx) {
    }

    /**
     * A refused decision: the card again with what the reviewer typed, the message inside it and {@code field}
     * marked invalid (htmx: the card alone); a suggestion that is no longer pending (decided in another tab) is
     * replaced by the message, which says who decided what and when.
     */
    private Response refused(Form form, int status, String field, String refusal) throws SQLException {
        // The message names its field ("comment: a rejection needs a comment"), as the API's does.
        String message = field == null || refusal.startsWith(field + ": ") ? refusal : field + ": " + refusal;
        WebPages.Draft draft = new WebPages.Draft(form.id(), form.cidr(), form.comment(), form.until(), field,
                message);
        WebPages.InstancePage page = pages.read(form.host(), form.instance(), form.page(), 0, null,
                form.htmx() ? null : message, WebPages.canDecide(identity), draft, List.of());
        if (page == null) {
            return WebPages.notFound(identity, form.host(), form.instance());
        }
        if (form.htmx()) {
            for (WebPages.Card card : page.suggestions()) {
                if (card.id().equals(form.id())) {
                    return WebPages.html(status, WebPages.Templates.instance$card(page, card));
                }
            }
            return WebPages.html(status, WebPages.Templates.decided(form.id(), "Not decided: " + message,
                    true));
        }
        return WebPages.html(status, WebPages.Templates.instance(WebPages.user(identity), page));
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
        if (host == null || instance == null || !WebPages.validName(host, instance)) {
            return badNames();
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
                + "?done=lookup&page=" + WebPages.pageNumber(pageNumber) + "#s-" + ReviewIds.hex(uuid))).build();
    }

    private Response badNames() {
        return Response.status(400).entity(WebPages.Templates.notFound(WebPages.user(identity),
                "host and instance: missing or not valid names")).build();
    }

    /** The instance page again, with the refusal and its status. */
    private Response error(String host, String instance, int status, String message) throws SQLException {
        WebPages.InstancePage page = pages.read(host, instance, 1, 0, null, message, WebPages.canDecide(identity));
        if (page == null) {
            return WebPages.notFound(identity, host, instance);
        }
        return WebPages.html(status, WebPages.Templates.instance(WebPages.user(identity), page));
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
}
