package dev.opencode.tuner.policy.app.suggest;

import dev.opencode.tuner.blocked.InstanceName;
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

/** The read-only API over the aggregates: instances, and their pending suggestions. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
@SecurityRequirement(name = "SecurityScheme")
@Tag(name = "suggestions")
@APIResponse(responseCode = "401", description = "No credentials, or wrong ones (HTTP Basic)")
@APIResponse(responseCode = "403", description = "The account has none of the roles viewer, reviewer, admin")
public class SuggestionsResource {
    private final SuggestionService service;

    SuggestionsResource(SuggestionService service) {
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

    @GET
    @Path("/suggestions")
    @Operation(summary = "Pending suggestions: the instances[] of `tuner suggest --format json`, with an id per"
            + " suggestion")
    @APIResponse(responseCode = "200", description = "Suggestions per instance, sorted by host then instance; an"
            + " instance without blocked events is absent")
    @APIResponse(responseCode = "400", description = "host or instance is not a valid name")
    public SuggestionViews.SuggestionList suggestions(
            @Parameter(description = "Only this host (_HOSTNAME)") @QueryParam("host") String host,
            @Parameter(description = "Only this instance") @QueryParam("instance") String instance)
            throws SQLException {
        host = blankToNull(host);
        instance = blankToNull(instance);
        if (host != null && host.length() > 255) {
            throw new ApiErrors.BadRequest("host: expected at most 255 characters, got " + host.length());
        }
        if (instance != null && !InstanceName.isValid(instance)) {
            throw new ApiErrors.BadRequest("instance: " + Untrusted.quote(instance) + " is not " + InstanceName.RULE);
        }
        return service.suggestions(host, instance);
    }

    private static String blankToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }
}
