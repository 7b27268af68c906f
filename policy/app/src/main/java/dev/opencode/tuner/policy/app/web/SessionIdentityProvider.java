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
import dev.opencode.tuner.policy.app.auth.SessionRevocations;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.vertx.core.http.Cookie;
import io.vertx.ext.web.RoutingContext;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The identity behind a UI session cookie: the cookie (encrypted by Quarkus' form login) names the account that
 * logged in with its password; its roles are read from the accounts file on every request, so an account removed
 * from the file or demoted loses its session's rights at once, and a session issued before the account's last logout
 * or password change is refused ({@link SessionRevocations}).
 */
@ApplicationScoped
public class SessionIdentityProvider implements IdentityProvider<TrustedAuthenticationRequest> {
    private static final Logger LOG = Logger.getLogger(SessionIdentityProvider.class);

    private final Accounts accounts;
    private final SessionRevocations revocations;
    private final String cookieName;

    SessionIdentityProvider(Accounts accounts, SessionRevocations revocations,
                            @ConfigProperty(name = "quarkus.http.auth.form.cookie-name") String cookieName) {
        this.accounts = accounts;
        this.revocations = revocations;
        this.cookieName = cookieName;
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
            RoutingContext routing = HttpSecurityUtils.getRoutingContextAttribute(request);
            Cookie cookie = routing == null ? null : routing.request().getCookie(cookieName);
            Instant issued = cookie == null ? null : revocations.issuedAt(cookie.getValue());
            if (issued == null) {
                throw new AuthenticationFailedException("no readable session cookie");
            }
            try {
                if (revocations.revoked(request.getPrincipal(), issued)) {
                    LOG.infof("UI session of account %s refused: it was ended by a logout or a password change",
                            Untrusted.quote(request.getPrincipal(), 64));
                    throw new AuthenticationFailedException("the session was ended");
                }
            } catch (SQLException e) {
                throw new IllegalStateException("cannot check the session of " + Untrusted.quote(
                        request.getPrincipal(), 64) + ": " + e.getMessage(), e);
            }
            return QuarkusSecurityIdentity.builder()
                    .setPrincipal(new QuarkusPrincipal(request.getPrincipal()))
                    .addRoles(roles)
                    .build();
        });
    }
}
