package dev.opencode.tuner.policy.app.review;

import static dev.opencode.tuner.policy.app.review.ReviewParams.host;
import static dev.opencode.tuner.policy.app.review.ReviewParams.instance;
import static dev.opencode.tuner.policy.app.review.ReviewParams.requiredHost;
import static dev.opencode.tuner.policy.app.review.ReviewParams.blankToNull;

import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.policy.app.auth.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The allowlist entries of the review API: a host's allowlist (JSON, or its generated Nix file) and the entries in
 * force that the hosts report unused. Thin over {@link ReviewService} and {@link Removals}.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "SecurityScheme")
@Tag(name = "review")
@APIResponse(responseCode = "401", description = "No credentials, or wrong ones (HTTP Basic)")
@APIResponse(responseCode = "403", description = "The account lacks the role the call needs")
public class AllowlistsResource {
    private final ReviewService service;
    private final Removals removals;

    AllowlistsResource(ReviewService service, Removals removals) {
        this.service = service;
        this.removals = removals;
    }

    @GET
    @Path("/allowlists/{host}")
    @Produces({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN})
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "The host's allowlist: JSON (entries in force by decision, and what the host already"
            + " allows), or the generated NixOS module with Accept: text/plain or ?format=nix")
    @APIResponse(responseCode = "200", description = "The allowlist", content = {
        @Content(mediaType = MediaType.APPLICATION_JSON,
                schema = @Schema(implementation = ReviewViews.HostAllowlist.class)),
        @Content(mediaType = MediaType.TEXT_PLAIN, schema = @Schema(type =
                org.eclipse.microprofile.openapi.annotations.enums.SchemaType.STRING))})
    @APIResponse(responseCode = "400", description = "host or format is not valid")
    public Response allowlist(@PathParam("host") String host,
                              @Parameter(description = "json or nix (default: from the Accept header)")
                              @QueryParam("format") String format,
                              @HeaderParam("Accept") String accept) throws SQLException {
        String h = requiredHost(host);
        boolean nix;
        if (format != null && !format.isEmpty()) {
            if (!format.equals("nix") && !format.equals("json")) {
                throw ReviewErrors.badRequest("format", Untrusted.quote(format, 20) + " is not nix or json");
            }
            nix = format.equals("nix");
        } else {
            nix = accept != null && accept.contains(MediaType.TEXT_PLAIN) && !accept.contains("json");
        }
        if (nix) {
            return Response.ok(service.allowlistNix(h), MediaType.TEXT_PLAIN_TYPE.withCharset("UTF-8")).build();
        }
        return Response.ok(service.allowlist(h), MediaType.APPLICATION_JSON_TYPE).build();
    }

    @GET
    @Path("/unused-entries")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "Entries in force on the hosts whose counter has not moved for"
            + " tuner.policy.removal.unused-after: generated ones (with their removal suggestion) and hand-written"
            + " ones, which are listed for manual removal only and never removed by the exporter")
    @APIResponse(responseCode = "200", description = "Unused entries, sorted by host, instance and CIDR")
    @APIResponse(responseCode = "400", description = "host, instance or source is not valid")
    public ReviewViews.UnusedEntries unusedEntries(
            @Parameter(description = "Only this host") @QueryParam("host") String host,
            @Parameter(description = "Only this instance") @QueryParam("instance") String instance,
            @Parameter(description = "Only generated or hand-written entries") @QueryParam("source") String source)
            throws SQLException {
        String only = blankToNull(source);
        if (only != null && !only.equals("generated") && !only.equals("hand-written")) {
            throw ReviewErrors.badRequest("source", Untrusted.quote(only, 20) + " is not generated or hand-written");
        }
        List<ReviewViews.UnusedEntryView> entries = new ArrayList<>();
        for (Removals.UnusedEntry e : removals.unused(host(host), instance(instance))) {
            if (only == null || only.equals(e.source())) {
                entries.add(new ReviewViews.UnusedEntryView(e.host(), e.instance(), e.cidr(), e.source(), e.packets(),
                        text(e.firstReported()), text(e.lastUsed()), text(e.unusedSince()),
                        e.removal() == null ? null : ReviewIds.hex(e.removal()), e.removalState()));
            }
        }
        return new ReviewViews.UnusedEntries(removals.unusedAfter().toString(), entries);
    }


    private static String text(Instant t) {
        return t == null ? null : t.toString();
    }
}
