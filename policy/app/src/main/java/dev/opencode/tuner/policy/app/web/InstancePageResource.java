package dev.opencode.tuner.policy.app.web;

import dev.opencode.tuner.policy.app.auth.Roles;
import dev.opencode.tuner.policy.app.evidence.AddressLabels;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * An instance's page and the parts of it htmx asks for again: the suggestions section alone, and one reverse DNS
 * cell while its name is pending.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class InstancePageResource {
    private final InstancePageReader pages;
    private final AddressLabels labels;
    private final SecurityIdentity identity;

    InstancePageResource(InstancePageReader pages, AddressLabels labels, SecurityIdentity identity) {
        this.pages = pages;
        this.labels = labels;
        this.identity = identity;
    }

    @GET
    @Operation(hidden = true)
    @Path("ui/instances/{host}/{instance}")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public Response instance(@PathParam("host") String host, @PathParam("instance") String instance,
                             @QueryParam("done") String done, @QueryParam("page") String pageNumber)
            throws SQLException {
        WebPages.InstancePage page = pages.read(host, instance, WebPages.pageNumber(pageNumber), 0,
                done == null ? null : WebPages.DONE.get(done), null, WebPages.canDecide(identity));
        if (page == null) {
            return WebPages.notFound(identity, host, instance);
        }
        return WebPages.html(200, WebPages.Templates.instance(WebPages.user(identity), page));
    }

    /**
     * The reverse DNS cell of one address, from the cache only (it never starts a lookup): htmx asks for it again
     * while the name is pending, so that nothing else on the page is replaced.
     */
    @GET
    @Operation(hidden = true)
    @Path("ui/reverse-dns")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public Response reverseDnsCell(@QueryParam("address") String address, @QueryParam("refresh") int refresh) {
        if (address == null || address.length() > 45 || !address.matches("[0-9A-Fa-f.:]+")) {
            return Response.status(400).type(MediaType.TEXT_PLAIN_TYPE.withCharset("UTF-8"))
                    .entity("address: expected an IPv4 or IPv6 address").build();
        }
        String cell = WebRows.reverseDnsCell(address, labels.cached(address).reverseName(),
                Math.max(0, Math.min(refresh, WebPages.LABEL_REFRESHES)));
        return Response.ok(cell.getBytes(StandardCharsets.UTF_8))
                .type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).build();
    }

    /** The suggestions section alone (a page of suggestions). */
    @GET
    @Operation(hidden = true)
    @Path("ui/instances/{host}/{instance}/suggestions")
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public Response suggestionsFragment(@PathParam("host") String host, @PathParam("instance") String instance,
                                        @QueryParam("refresh") int refresh, @QueryParam("page") String pageNumber)
            throws SQLException {
        WebPages.InstancePage page = pages.read(host, instance, WebPages.pageNumber(pageNumber),
                Math.max(0, Math.min(refresh, WebPages.LABEL_REFRESHES)), null, null, WebPages.canDecide(identity));
        if (page == null) {
            return Response.status(404).build();
        }
        return WebPages.html(200, WebPages.Templates.instance$suggestions(page));
    }
}
