package dev.opencode.tuner.policy.app.auth;

/**
 * A login attempt refused before its password was checked: the account or the client address is backing off after
 * failed logins (429), or too many password checks run already (503). Answered with {@code Retry-After} by
 * {@link LoginRefusals}; never an {@code AuthenticationFailedException}, which Quarkus would turn into a 401.
 */
public final class LoginRefused extends RuntimeException {
    private final int status;
    private final long retryAfterSeconds;
    private final String reason;

    LoginRefused(int status, long retryAfterSeconds, String reason, String message) {
        super(message, null, false, false);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
        this.reason = reason;
    }

    /** 429 (backoff) or 503 (every password check slot busy). */
    public int status() {
        return status;
    }

    /** Whole seconds to wait, at least 1. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** The metric's label: {@code account-backoff}, {@code address-backoff} or {@code busy}. */
    public String reason() {
        return reason;
    }
}
