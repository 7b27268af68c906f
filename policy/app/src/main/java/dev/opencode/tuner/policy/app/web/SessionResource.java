package dev.opencode.tuner.policy.app.web;

import dev.opencode.tuner.policy.app.auth.Roles;
import dev.opencode.tuner.policy.app.auth.SessionRevocations;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.FormAuthenticationMechanism;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The UI's way in and out: the root's redirect, the login page (the form posts to Quarkus' form login) and logout. */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class SessionResource {
    private final SecurityIdentity identity;
    private final SessionRevocations revocations;

    SessionResource(SecurityIdentity identity, SessionRevocations revocations) {
        this.identity = identity;
        this.revocations = revocations;
    }

    @GET
    @Operation(hidden = true)
    @PermitAll
    public Response root() {
        return Response.seeOther(URI.create("/ui")).build();
    }

    @GET
    @Operation(hidden = true)
    @Path("login")
    @PermitAll
    public TemplateInstance login(@QueryParam("error") String error) {
        return WebPages.Templates.login(error != null);
    }

    @POST
    @Operation(hidden = true)
    @Path("ui/logout")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
    public Response logout() {
        revocations.revoke(identity.getPrincipal().getName()); // every session of the account, stolen ones included
        FormAuthenticationMechanism.logout(identity);
        return Response.seeOther(URI.create("/login")).build();
    }
}
