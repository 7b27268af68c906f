package dev.opencode.tuner.policy.app.auth;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.UsernamePasswordAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

/** Checks HTTP Basic credentials against the {@link Accounts}, off the event loop (bcrypt is slow on purpose). */
@ApplicationScoped
public class AccountIdentityProvider implements IdentityProvider<UsernamePasswordAuthenticationRequest> {
    private final Accounts accounts;

    AccountIdentityProvider(Accounts accounts) {
        this.accounts = accounts;
    }

    @Override
    public Class<UsernamePasswordAuthenticationRequest> getRequestType() {
        return UsernamePasswordAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(UsernamePasswordAuthenticationRequest request,
                                              AuthenticationRequestContext context) {
        java.net.InetAddress remote = remoteAddress(request);
        return context.runBlocking(() -> {
            AccountsFile.Account account = accounts.verify(request.getUsername(),
                    request.getPassword().getPassword(), remote);
            return QuarkusSecurityIdentity.builder()
                    .setPrincipal(new QuarkusPrincipal(account.name()))
                    .addRoles(account.roles())
                    .build();
        });
    }

    private static java.net.InetAddress remoteAddress(UsernamePasswordAuthenticationRequest request) {
        RoutingContext context = HttpSecurityUtils.getRoutingContextAttribute(request);
        if (context == null || context.request().remoteAddress() == null
                || context.request().remoteAddress().hostAddress() == null) {
            return null;
        }
        try {
            // a literal address from the connection (or the forwarded one, when proxy forwarding is configured)
            return java.net.InetAddress.getByName(context.request().remoteAddress().hostAddress());
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }
}
