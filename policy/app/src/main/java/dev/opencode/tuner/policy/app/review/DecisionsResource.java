package dev.opencode.tuner.policy.app.review;

import static dev.opencode.tuner.policy.app.review.ReviewParams.host;
import static dev.opencode.tuner.policy.app.review.ReviewParams.instance;

import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.policy.app.auth.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.sql.SQLException;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The audit trail of the review API: every decision, newest first. Thin over {@link ReviewService}. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "SecurityScheme")
@Tag(name = "review")
@APIResponse(responseCode = "401", description = "No credentials, or wrong ones (HTTP Basic)")
@APIResponse(responseCode = "403", description = "The account lacks the role the call needs")
public class DecisionsResource {
    private final ReviewService service;

    DecisionsResource(ReviewService service) {
        this.service = service;
    }

    @GET
    @Path("/decisions")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "The audit trail: every decision with who, when, what, the comment and the evidence at"
            + " that moment, newest first")
    @APIResponse(responseCode = "200", description = "Decisions, newest first")
    @APIResponse(responseCode = "400", description = "host, instance or limit is not valid")
    public ReviewViews.DecisionList decisions(
            @QueryParam("host") String host, @QueryParam("instance") String instance,
            @Parameter(description = "At most this many (default 200, 1..10000)") @QueryParam("limit") String limit)
            throws SQLException {
        int max = 200;
        if (limit != null && !limit.isEmpty()) {
            try {
                max = Integer.parseInt(limit);
            } catch (NumberFormatException e) {
                max = -1;
            }
            if (max < 1 || max > 10_000) {
                throw ReviewErrors.badRequest("limit", Untrusted.quote(limit, 20) + " is not in 1..10000");
            }
        }
        return service.decisions(host(host), instance(instance), max);
    }
}
