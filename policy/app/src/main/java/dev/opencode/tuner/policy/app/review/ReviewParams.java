package dev.opencode.tuner.policy.app.review;

import dev.opencode.tuner.blocked.InstanceName;
import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.review.Refusal;
import dev.opencode.tuner.review.ReviewComment;
import dev.opencode.tuner.review.SuggestionState;
import jakarta.ws.rs.core.SecurityContext;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;

/** The review API's checks of path, query and body values: each failure is a 400 that names the field. */
final class ReviewParams {
    private ReviewParams() {
    }

    static String actor(SecurityContext who) {
        return who.getUserPrincipal().getName();
    }

    static UUID id(String id) {
        UUID parsed = ReviewIds.parse(id);
        if (parsed == null) {
            throw ReviewErrors.badRequest("id", Untrusted.quote(id, 40) + " is not a suggestion id (32 hex digits)");
        }
        return parsed;
    }

    static String comment(String comment) {
        String text = ReviewComment.normalise(comment);
        Refusal refusal = ReviewComment.refusal(text);
        if (refusal != null) {
            throw ReviewErrors.badRequest(refusal.field(), refusal.message());
        }
        return text;
    }

    static String host(String host) {
        host = blankToNull(host);
        if (host != null && (host.length() > 255 || host.codePoints().anyMatch(Character::isISOControl))) {
            throw ReviewErrors.badRequest("host", "expected a host name of at most 255 characters without control"
                    + " characters, got " + Untrusted.quote(host, 40));
        }
        return host;
    }

    static String instance(String instance) {
        instance = blankToNull(instance);
        if (instance != null && !InstanceName.isValid(instance)) {
            throw ReviewErrors.badRequest("instance", Untrusted.quote(instance, 40) + " is not "
                    + InstanceName.RULE);
        }
        return instance;
    }

    static String requiredHost(String host) {
        String h = host(host);
        if (h == null) {
            throw ReviewErrors.badRequest("host", "required");
        }
        return h;
    }

    static String requiredInstance(String instance) {
        String i = instance(instance);
        if (i == null) {
            throw ReviewErrors.badRequest("instance", "required");
        }
        return i;
    }

    static Set<String> states(String state) {
        Set<String> states = new LinkedHashSet<>();
        if (state == null || state.isBlank()) {
            states.add(SuggestionState.PENDING.text());
            return states;
        }
        for (String s : state.split(",")) {
            s = s.strip();
            if (s.equals("all")) {
                states.addAll(ReviewService.STATES);
            } else if (ReviewService.STATES.contains(s)) {
                states.add(s);
            } else {
                throw ReviewErrors.badRequest("state", Untrusted.quote(s, 20) + " is not one of "
                        + String.join(", ", ReviewService.STATES) + ", all");
            }
        }
        return states;
    }

    static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
