package dev.opencode.tuner.policy.app.auth;

import dev.opencode.tuner.policy.app.review.ReviewErrors;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Account management for admins: what {@code ./tuner users} calls. Passwords never reach a log. */
@Path("/api/v1/accounts")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.ADMIN)
@SecurityRequirement(name = "SecurityScheme")
@Tag(name = "accounts")
@APIResponse(responseCode = "401", description = "No credentials, or wrong ones (HTTP Basic)")
@APIResponse(responseCode = "403", description = "The account is not an admin")
public class AccountsResource {
    private final Accounts accounts;

    AccountsResource(Accounts accounts) {
        this.accounts = accounts;
    }

    @Schema(name = "Account")
    public record AccountView(String name, List<String> roles) {
    }

    @Schema(name = "AccountList")
    public record AccountList(List<AccountView> accounts) {
    }

    @Schema(name = "NewAccount")
    public record NewAccount(
            @Schema(required = true, description = "[a-z_][a-z0-9_.-]{0,63}") String name,
            @Schema(required = true, enumeration = {"viewer", "reviewer", "admin"}) String role,
            @Schema(description = "At least 12 characters; omitted: a random one is generated and answered once")
            String password) {
    }

    @Schema(name = "NewPassword")
    public record NewPassword(
            @Schema(description = "At least 12 characters; omitted: a random one is generated and answered once")
            String password) {
    }

    @Schema(name = "AccountChange", description = "password is set only when the service generated it")
    public record AccountChange(String name, String role, String password) {
    }

    @GET
    @Operation(summary = "The accounts and their roles (never their hashes)")
    @APIResponse(responseCode = "200", description = "The accounts")
    public AccountList list() {
        return new AccountList(accounts.list().stream()
                .map(a -> new AccountView(a.name(), a.roles().stream().sorted().toList())).toList());
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Adds an account; without a password, a generated one is answered once")
    @APIResponse(responseCode = "201", description = "Added")
    @APIResponse(responseCode = "400", description = "name, role or password is not valid")
    @APIResponse(responseCode = "409", description = "The account exists")
    public Response add(NewAccount body) {
        if (body == null) {
            throw ReviewErrors.badRequest("name", "required: send {\"name\", \"role\"}");
        }
        String name = name(body.name());
        String role = role(body.role());
        char[] password = password(body.password());
        String generated = accounts.add(name, role, password);
        return Response.status(201).entity(new AccountChange(name, role, generated)).build();
    }

    @PUT
    @Path("/{name}/password")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Sets an account's password; without one, a generated one is answered once")
    @APIResponse(responseCode = "200", description = "Changed")
    @APIResponse(responseCode = "400", description = "password is not valid")
    @APIResponse(responseCode = "404", description = "No such account")
    public AccountChange passwd(@PathParam("name") String name, NewPassword body) {
        String n = name(name);
        char[] password = password(body == null ? null : body.password());
        String generated = accounts.passwd(n, password);
        return new AccountChange(n, null, generated);
    }

    @DELETE
    @Path("/{name}")
    @Operation(summary = "Removes an account (not the last admin, not yourself)")
    @APIResponse(responseCode = "200", description = "Removed")
    @APIResponse(responseCode = "404", description = "No such account")
    @APIResponse(responseCode = "422", description = "It is the last admin, or the caller")
    public AccountChange remove(@PathParam("name") String name, @Context SecurityContext who) {
        String n = name(name);
        if (n.equals(who.getUserPrincipal().getName())) {
            throw ReviewErrors.unprocessable("name", "you cannot remove your own account; ask another admin");
        }
        accounts.remove(n);
        return new AccountChange(n, null, null);
    }

    private static String name(String name) {
        if (name == null || !AccountsFile.NAME.matcher(name).matches()) {
            throw ReviewErrors.badRequest("name", "expected " + AccountsFile.NAME.pattern() + ", got "
                    + (name == null ? "nothing" : dev.opencode.tuner.blocked.Untrusted.quote(name, 70)));
        }
        return name;
    }

    private static String role(String role) {
        if (role == null || !Roles.ALL.contains(role)) {
            throw ReviewErrors.badRequest("role", "expected viewer, reviewer or admin, got "
                    + (role == null ? "nothing" : dev.opencode.tuner.blocked.Untrusted.quote(role, 20)));
        }
        return role;
    }

    private static char[] password(String password) {
        if (password == null) {
            return null;
        }
        if (password.length() < 12) {
            throw ReviewErrors.badRequest("password", "expected at least 12 characters"); // never echoed
        }
        if (password.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 72) {
            throw ReviewErrors.badRequest("password", "expected at most 72 bytes (bcrypt's limit)");
        }
        return password.toCharArray();
    }
}
