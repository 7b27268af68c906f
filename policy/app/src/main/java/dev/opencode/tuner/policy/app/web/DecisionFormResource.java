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
 * The forms of a suggestion card: a decision, and a request to look up reverse DNS names. Both go through the review
 * service and answer a redirect to the instance page (303), or the page again with the refusal and its status.
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
        if (host == null || instance == null || !WebPages.validName(host, instance)) {
            return badNames();
        }
        String actor = identity.getPrincipal().getName();
        try {
            UUID uuid = ReviewIds.parse(id == null ? "" : id);
            if (uuid == null) {
                return error(host, instance, 400, "id: not a suggestion id (32 hex digits)");
            }
            String text = ReviewComment.normalise(comment);
            Refusal refused = ReviewComment.refusal(text);
            if (refused != null) {
                return error(host, instance, 400, refused.field() + ": " + refused.message());
            }
            String outcome;
            switch (action == null ? "" : action) {
                case "accept" -> {
                    String edited = cidr == null || cidr.isBlank() ? null : cidr.strip();
                    ReviewViews.DecisionResult result = review.accept(uuid, actor, text, edited);
                    outcome = result.approvalsNeeded() > 0 ? "approval"
                            : SuggestionKind.REMOVE.text().equals(result.suggestion().kind()) ? "removal"
                            : DecisionOutcome.ACCEPTED.text();
                }
                case "reject" -> {
                    if (text == null) {
                        return error(host, instance, 422, "comment: a rejection needs a comment (why it stays"
                                + " blocked)");
                    }
                    review.reject(uuid, actor, text);
                    outcome = DecisionOutcome.REJECTED.text();
                }
                case "snooze" -> {
                    Instant time = utc(until);
                    if (time == null) {
                        return error(host, instance, 400, "until: expected a date and time (UTC), e.g."
                                + " 2026-12-01T09:00");
                    }
                    review.snooze(uuid, actor, time, text);
                    outcome = DecisionOutcome.SNOOZED.text();
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
