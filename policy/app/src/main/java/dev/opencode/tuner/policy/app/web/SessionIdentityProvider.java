package dev.opencode.tuner.policy.app.web;

import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.policy.app.auth.Accounts;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TrustedAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The identity behind a UI session cookie: the cookie (encrypted by Quarkus' form login) names the account that
 * logged in with its password; its roles are read from the accounts file on every request, so an account removed
 * from the file or demoted loses its session's rights at once.
 */
@ApplicationScoped
public class SessionIdentityProvider implements IdentityProvider<TrustedAuthenticationRequest> {
    private static final Logger LOG = Logger.getLogger(SessionIdentityProvider.class);

    private final Accounts accounts;

    SessionIdentityProvider(Accounts accounts) {
        this.accounts = accounts;
    }

    @Override
    public Class<TrustedAuthenticationRequest> getRequestType() {
        return TrustedAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TrustedAuthenticationRequest request,
                                              AuthenticationRequestContext context) {
        return context.runBlocking(() -> {
            Set<String> roles = accounts.rolesOf(request.getPrincipal());
            if (roles == null) {
                LOG.warnf("UI session of account %s refused: the account no longer exists",
                        Untrusted.quote(request.getPrincipal(), 64));
                throw new AuthenticationFailedException("the account no longer exists");
            }
            return QuarkusSecurityIdentity.builder()
                    .setPrincipal(new QuarkusPrincipal(request.getPrincipal()))
                    .addRoles(roles)
                    .build();
        });
    }
}
