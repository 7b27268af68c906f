package dev.opencode.tuner.policy.app.suggest;

import dev.opencode.tuner.policy.app.auth.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.sql.SQLException;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The read-only API over the aggregates: the instances (suggestions are served by the review package). */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
@SecurityRequirement(name = "SecurityScheme")
@Tag(name = "suggestions")
@APIResponse(responseCode = "401", description = "No credentials, or wrong ones (HTTP Basic)")
@APIResponse(responseCode = "403", description = "The account has none of the roles viewer, reviewer, admin")
public class InstancesResource {
    private final SuggestionService service;

    InstancesResource(SuggestionService service) {
        this.service = service;
    }

    @GET
    @Path("/instances")
    @Operation(summary = "Every host and instance with blocked events: events, distinct destinations, first and last"
            + " seen")
    @APIResponse(responseCode = "200", description = "The instances, sorted by host then instance")
    public InstanceViews.InstanceList instances() throws SQLException {
        return service.instances();
    }
}
