package dev.opencode.tuner.policy.app.web;

import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Keeps the API's HTTP Basic challenge now that form login is enabled for the UI. With two mechanisms, Quarkus
 * answers an unauthenticated {@code /api/*} request (whose permission names the basic mechanism) with a bare 401;
 * scripts and RFC 9110 expect {@code WWW-Authenticate}. The header is added to such answers, nothing else changes.
 */
@ApplicationScoped
public class ApiChallenge {
    static final String CHALLENGE = "Basic realm=\"opencode-egress-tuner\"";

    void register(@Observes Router router) {
        router.route("/api/*").order(Integer.MIN_VALUE).handler(context -> {
            context.addHeadersEndHandler(v -> {
                if (context.response().getStatusCode() == 401
                        && !context.response().headers().contains("WWW-Authenticate")) {
                    context.response().putHeader("WWW-Authenticate", CHALLENGE);
                }
            });
            context.next();
        });
    }
}
