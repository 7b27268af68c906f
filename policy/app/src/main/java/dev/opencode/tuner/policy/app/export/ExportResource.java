package dev.opencode.tuner.policy.app.export;

import dev.opencode.tuner.policy.app.auth.Roles;
import dev.opencode.tuner.policy.app.export.ExportViews.ExportRequest;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;

/** {@code /api/v1/exports}: run an export (reviewer), and each host's last export (viewer). */
@Path("/api/v1/exports")
@Produces(MediaType.APPLICATION_JSON)
public class ExportResource {
    private static final Logger LOG = Logger.getLogger(ExportResource.class);

    @Inject
    ExportService exports;

    @Inject
    SecurityIdentity identity;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "Export the entries in force by decision to the repository and the forge",
            description = "Body {\"host\": optional, \"dryRun\": optional}. A dry run answers the unified diff and "
                    + "the pull request's text and changes nothing. 409 when export is not configured.")
    public Response run(ExportRequest request) throws SQLException {
        ExportRequest body = request == null ? new ExportRequest(null, null) : request;
        Optional<String> host = Optional.ofNullable(body.host());
        if (host.isPresent()) {
            try {
                ExportService.requireHost(host.get());
            } catch (IllegalArgumentException e) {
                return error(Response.Status.BAD_REQUEST, "host: " + e.getMessage());
            }
        }
        if (!exports.enabled()) {
            return error(Response.Status.CONFLICT, "export is not configured: set tuner.policy.export.repository "
                    + "(and tuner.policy.export.forge.* for pull requests)");
        }
        boolean dryRun = Boolean.TRUE.equals(body.dryRun());
        LOG.infof("export%s of %s requested by '%s'", dryRun ? " (dry run)" : "", host.orElse("every host"),
                identity.getPrincipal().getName());
        return Response.ok(new ExportViews.Runs(exports.run(host, dryRun))).build();
    }

    @GET
    @Path("/entries")
    @RolesAllowed({Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "The entries in force by decision for one host, as the exporter writes them",
            description = "For ./tuner export with its own --repo: the CLI exports them itself. Reviewer role.")
    public Response entries(@jakarta.ws.rs.QueryParam("host") String host) throws SQLException {
        if (host == null) {
            return error(Response.Status.BAD_REQUEST, "host: missing: give ?host=NAME");
        }
        try {
            ExportService.requireHost(host);
        } catch (IllegalArgumentException e) {
            return error(Response.Status.BAD_REQUEST, "host: " + e.getMessage());
        }
        return Response.ok(Map.of("host", host, "entries", exports.entries(host))).build();
    }

    @GET
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    @Operation(summary = "Whether export is on, and each host's last run: commit, pull request, last error")
    public ExportViews.Status status() throws SQLException {
        return new ExportViews.Status(exports.enabled(), exports.enabled() && exports.autoEnabled(),
                exports.forge().orElse(null), exports.status());
    }

    private static Response error(Response.Status status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }
}
