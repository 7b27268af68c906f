package dev.opencode.tuner.policy.app.evidence;

/**
 * What reverse DNS says about an address: a name, or why there is none. {@code name} is set only for
 * {@link Status#FOUND} and {@link Status#FOUND_UNCONFIRMED}; {@code detail} explains a failure ({@code SERVFAIL}, the
 * exception) or why a name is unverified, for operators.
 */
public record ReverseName(Status status, String name, String detail) {
    /** The outcome of a lookup, or why none was made. */
    public enum Status {
        /** A PTR record named the address, and the name's own A/AAAA records hold the address (forward-confirmed). */
        FOUND("found"),
        /**
         * A PTR record named the address, but the name's A/AAAA records do not hold it (or could not be read): the
         * name is only the claim of whoever runs the reverse zone.
         */
        FOUND_UNCONFIRMED("unverified"),
        /** The server answered that the reverse name does not exist. */
        NXDOMAIN("nxdomain"),
        /** The reverse name exists but holds no PTR record. */
        NO_NAME("no-name"),
        /** No answer within {@code tuner.policy.evidence.dns.timeout}. */
        TIMEOUT("timeout"),
        /** The server failed (SERVFAIL, REFUSED, ...) or could not be reached. */
        FAILED("failed"),
        /** Not known yet: a lookup has been started (or will be on the next request). */
        PENDING("pending"),
        /** Not looked up: {@code tuner.policy.evidence.dns.max-lookups-per-minute} were made in the last minute. */
        RATE_LIMITED("rate-limited"),
        /** Not looked up: the address is outside {@code tuner.policy.evidence.dns.scope} and nobody asked for it. */
        NOT_LOOKED_UP("not-looked-up"),
        /** {@code tuner.policy.evidence.dns.enabled=false} or {@code scope=off}. */
        DISABLED("disabled"),
        /** The value given is not an IP address; nothing is asked. */
        NOT_AN_ADDRESS("not-an-address");

        private final String text;

        Status(String text) {
            this.text = text;
        }

        /** Lower-case name as shown in JSON and pages. */
        public String text() {
            return text;
        }
    }

    static final ReverseName PENDING = new ReverseName(Status.PENDING, null, null);
    static final ReverseName DISABLED = new ReverseName(Status.DISABLED, null, null);
    static final ReverseName RATE_LIMITED = new ReverseName(Status.RATE_LIMITED, null, null);

    static ReverseName found(String name) {
        return new ReverseName(Status.FOUND, name, null);
    }

    static ReverseName unconfirmed(String name, String why) {
        return new ReverseName(Status.FOUND_UNCONFIRMED, name, why);
    }

    static ReverseName of(Status status, String detail) {
        return new ReverseName(status, null, detail);
    }

    /** A settled answer (kept for the cache TTL); failures are kept for the shorter failure TTL. */
    boolean isAnswer() {
        return status == Status.FOUND || status == Status.FOUND_UNCONFIRMED || status == Status.NXDOMAIN
                || status == Status.NO_NAME;
    }

    /** One line for people: the name (marked when it is unverified), or why there is none. */
    public String describe() {
        return switch (status) {
            case FOUND -> name;
            case FOUND_UNCONFIRMED -> name + " (unverified)";
            case NXDOMAIN -> "no reverse name (NXDOMAIN)";
            case NO_NAME -> "no PTR record";
            case TIMEOUT -> "reverse DNS timed out";
            case FAILED -> "reverse DNS failed" + (detail == null ? "" : " (" + detail + ")");
            case PENDING -> "reverse DNS pending";
            case RATE_LIMITED -> "not looked up: rate limit";
            case NOT_LOOKED_UP -> "not looked up" + (detail == null ? "" : ": " + detail);
            case DISABLED -> "reverse DNS off";
            case NOT_AN_ADDRESS -> "not an IP address";
        };
    }
}
