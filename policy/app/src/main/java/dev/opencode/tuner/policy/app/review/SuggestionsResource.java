package dev.opencode.tuner.policy.app.review;

import static dev.opencode.tuner.policy.app.review.ReviewParams.actor;
import static dev.opencode.tuner.policy.app.review.ReviewParams.id;
import static dev.opencode.tuner.policy.app.review.ReviewParams.comment;
import static dev.opencode.tuner.policy.app.review.ReviewParams.host;
import static dev.opencode.tuner.policy.app.review.ReviewParams.instance;
import static dev.opencode.tuner.policy.app.review.ReviewParams.requiredHost;
import static dev.opencode.tuner.policy.app.review.ReviewParams.requiredInstance;
import static dev.opencode.tuner.policy.app.review.ReviewParams.states;
import static dev.opencode.tuner.policy.app.review.ReviewParams.blankToNull;

import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.policy.app.auth.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The suggestions of the review API: the list with their state, one suggestion with its evidence, and the decisions on
 * it (accept, reject, snooze; many of an instance at once with bulk). Viewers read; reviewers (and admins) decide. Thin
 * over {@link ReviewService}.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "SecurityScheme")
@Tag(name = "review")
@APIResponse(responseCode = "401", description = "No credentials, or wrong ones (HTTP Basic)")
@APIResponse(responseCode = "403", description = "The account lacks the role the call needs")
public class SuggestionsResource {
    private final ReviewService service;

    SuggestionsResource(ReviewService service) {
        this.service = service;
    }

    @GET
    @Path("/suggestions")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "Suggestions per instance: the instances[] of `tuner suggest --format json`, with an id and"
            + " the review state per suggestion. Instances with new events are recomputed first.")
    @APIResponse(responseCode = "200", description = "Suggestions per instance, sorted by host then instance")
    @APIResponse(responseCode = "400", description = "host, instance or state is not valid")
    public ReviewViews.ReviewList suggestions(
            @Parameter(description = "Only this host (_HOSTNAME)") @QueryParam("host") String host,
            @Parameter(description = "Only this instance") @QueryParam("instance") String instance,
            @Parameter(description = "Comma-separated states (default pending): pending, held (pending but held back"
                    + " by the stabilisation rule), accepted, rejected, snoozed, superseded, exported, merged,"
                    + " deployed, removed, or all. Removal suggestions (kind remove) are listed with the additions")
            @QueryParam("state") String state) throws SQLException {
        return service.list(host(host), instance(instance), states(state));
    }

    @GET
    @Path("/suggestions/{id}")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "One suggestion: evidence per address, what it opens, its history, earlier decisions on"
            + " overlapping CIDRs, the impact preview and the diff of the host's generated Nix file")
    @APIResponse(responseCode = "200", description = "The suggestion in detail")
    @APIResponse(responseCode = "400", description = "id or days is not valid")
    @APIResponse(responseCode = "404", description = "No such suggestion")
    @APIResponse(responseCode = "422", description = "The previewed cidr is refused by the guardrails")
    public ReviewViews.SuggestionDetail suggestion(
            @PathParam("id") String id,
            @Parameter(description = "Preview an edited CIDR instead of the suggested one") @QueryParam("cidr")
            String cidr,
            @Parameter(description = "Days of blocked events for the impact (default"
                    + " tuner.policy.review.impact-days = 14, 1..366)") @QueryParam("days") String days)
            throws SQLException {
        Integer window = null;
        if (days != null && !days.isEmpty()) {
            try {
                window = Integer.parseInt(days);
            } catch (NumberFormatException e) {
                window = -1;
            }
            if (window < 1 || window > 366) {
                throw ReviewErrors.badRequest("days", Untrusted.quote(days, 20) + " is not a number of days in"
                        + " 1..366");
            }
        }
        return service.detail(id(id), blankToNull(cidr), window);
    }

    @POST
    @Path("/suggestions/{id}/accept")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "Accept, optionally with an edited CIDR (narrower or wider, within the guardrails). Under"
            + " four-eyes (approvals-required = 2) the first accept is an approval; the second reviewer's makes it"
            + " take effect.")
    @APIResponse(responseCode = "200", description = "The decision recorded and the suggestion's state")
    @APIResponse(responseCode = "400", description = "The body is not valid (the field is named)")
    @APIResponse(responseCode = "404", description = "No such suggestion")
    @APIResponse(responseCode = "409", description = "The suggestion is not open any more (its current state is in"
            + " the body), or this reviewer approved it already")
    @APIResponse(responseCode = "422", description = "The edited cidr is refused: the reason is in the body")
    public ReviewViews.DecisionResult accept(@PathParam("id") String id, ReviewViews.AcceptRequest body,
                                             @Context SecurityContext who) throws SQLException {
        ReviewViews.AcceptRequest request = body == null ? new ReviewViews.AcceptRequest(null, null) : body;
        return service.accept(id(id), actor(who), comment(request.comment()), blankToNull(request.cidr()));
    }

    @POST
    @Path("/suggestions/{id}/reject")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "Reject, with a comment (required). The destination is not suggested again unless a new"
            + " port is seen or the rejection grows older than tuner.policy.review.reopen-after.")
    @APIResponse(responseCode = "200", description = "The decision recorded and the suggestion's state")
    @APIResponse(responseCode = "400", description = "comment is missing")
    @APIResponse(responseCode = "404", description = "No such suggestion")
    @APIResponse(responseCode = "409", description = "The suggestion is not open any more")
    public ReviewViews.DecisionResult reject(@PathParam("id") String id, ReviewViews.RejectRequest body,
                                             @Context SecurityContext who) throws SQLException {
        if (body == null) {
            throw ReviewErrors.badRequest("comment", "required: send {\"comment\": \"why\"}");
        }
        return service.reject(id(id), actor(who), comment(body.comment()));
    }

    @POST
    @Path("/suggestions/{id}/snooze")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "Snooze until a time: hidden from the pending list until then")
    @APIResponse(responseCode = "200", description = "The decision recorded and the suggestion's state")
    @APIResponse(responseCode = "400", description = "until is missing or not an ISO-8601 instant")
    @APIResponse(responseCode = "404", description = "No such suggestion")
    @APIResponse(responseCode = "409", description = "The suggestion is not open any more")
    @APIResponse(responseCode = "422", description = "until is not in the future")
    public ReviewViews.DecisionResult snooze(@PathParam("id") String id, ReviewViews.SnoozeRequest body,
                                             @Context SecurityContext who) throws SQLException {
        if (body == null || body.until() == null || body.until().isBlank()) {
            throw ReviewErrors.badRequest("until", "required: an ISO-8601 instant such as 2026-12-01T00:00:00Z");
        }
        Instant until;
        try {
            until = OffsetDateTime.parse(body.until().strip()).toInstant();
        } catch (DateTimeParseException e) {
            throw ReviewErrors.badRequest("until", Untrusted.quote(body.until(), 40) + " is not an ISO-8601 instant"
                    + " with an offset, such as 2026-12-01T00:00:00Z");
        }
        return service.snooze(id(id), actor(who), until, comment(body.comment()));
    }

    @POST
    @Path("/suggestions/{id}/reverse-dns")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "Look up the reverse DNS names of observed addresses of a suggestion (all of them, or the"
            + " ones listed), within tuner.policy.evidence.dns.max-lookups-per-minute and whatever the scope (unless it"
            + " is off). Answers the suggestion with its addresses labelled at once: pending while a lookup runs,"
            + " rate-limited beyond the limit; GET the suggestion again for the names.")
    @APIResponse(responseCode = "200", description = "The suggestion, its addresses labelled as they are now")
    @APIResponse(responseCode = "400", description = "An entry of addresses is not an IP address")
    @APIResponse(responseCode = "404", description = "No such suggestion")
    @APIResponse(responseCode = "422", description = "An entry of addresses is not an observed address of the"
            + " suggestion")
    public ReviewViews.ReviewSuggestion reverseDns(@PathParam("id") String id, ReviewViews.ReverseDnsRequest body)
            throws SQLException {
        List<String> addresses = body == null || body.addresses() == null ? List.of() : body.addresses();
        return service.lookUpReverseDns(id(id), addresses);
    }

    @POST
    @Path("/instances/{host}/{instance}/bulk")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "Accept or reject every pending (stable) suggestion of an instance, or the listed ones, in"
            + " one transaction: all or nothing")
    @APIResponse(responseCode = "200", description = "One result per suggestion decided")
    @APIResponse(responseCode = "400", description = "The body is not valid (the field is named)")
    @APIResponse(responseCode = "409", description = "One of them is not open any more: nothing was decided")
    @APIResponse(responseCode = "422", description = "One of the ids is not a suggestion of this instance")
    public ReviewViews.BulkResult bulk(@PathParam("host") String host, @PathParam("instance") String instance,
                                       ReviewViews.BulkRequest body, @Context SecurityContext who)
            throws SQLException {
        if (body == null || body.action() == null) {
            throw ReviewErrors.badRequest("action", "required: accept or reject");
        }
        if (!body.action().equals("accept") && !body.action().equals("reject")) {
            throw ReviewErrors.badRequest("action", Untrusted.quote(body.action(), 20) + " is not accept or reject");
        }
        List<UUID> ids = new ArrayList<>();
        if (body.ids() != null) {
            for (String id : body.ids()) {
                UUID parsed = ReviewIds.parse(id);
                if (parsed == null) {
                    throw ReviewErrors.badRequest("ids", Untrusted.quote(String.valueOf(id), 40)
                            + " is not a suggestion id (32 hex digits)");
                }
                ids.add(parsed);
            }
        }
        return service.bulk(requiredHost(host), requiredInstance(instance), body.action(), actor(who),
                comment(body.comment()), ids);
    }
}
