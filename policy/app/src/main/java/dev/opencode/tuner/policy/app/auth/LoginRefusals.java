package dev.opencode.tuner.policy.app.auth;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Answers a {@link LoginRefused} (thrown while HTTP Basic or the login form is checked) with its status (429 or 503),
 * {@code Retry-After} and a short body: JSON under {@code /api/}, text elsewhere. Quarkus hands failures of
 * authentication that are not {@code AuthenticationFailedException}s to the router's failure handlers.
 */
@ApplicationScoped
public class LoginRefusals {
    void register(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(LoginRefusals::answer);
    }

    private static void answer(RoutingContext context) {
        LoginRefused refused = refusal(context.failure());
        if (refused == null || context.response().headWritten()) {
            context.next();
            return;
        }
        boolean api = context.normalizedPath().startsWith("/api/");
        String message = refused.getMessage() + "; try again in " + refused.retryAfterSeconds() + " s";
        context.response().setStatusCode(refused.status())
                .putHeader("Retry-After", Long.toString(refused.retryAfterSeconds()))
                .putHeader("Cache-Control", "no-store")
                .putHeader("Content-Type", api ? "application/json" : "text/plain; charset=utf-8")
                .end(api ? "{\"error\":\"" + message + "\",\"field\":\"authorization\"}" : message + "\n");
    }

    private static LoginRefused refusal(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof LoginRefused refused) {
                return refused;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }
}
