package dev.opencode.tuner.review;

/**
 * Why a rule refuses a reviewer's request, as a value: the application turns it into its answer (the API: 400, 409
 * with the current suggestion, 422).
 *
 * @param kind    what sort of refusal
 * @param field   the request field it concerns, or null (a conflict with the suggestion's state)
 * @param message what is wrong and what to do, for the reviewer
 */
public record Refusal(Kind kind, String field, String message) {
    /** The sorts of refusal. */
    public enum Kind {
        /** The request itself is malformed or incomplete (a rejection without a comment). */
        MALFORMED,
        /** The suggestion's current state does not allow it (decided already, approved by the same reviewer). */
        CONFLICT,
        /** Well-formed but against the rules (an edit beyond the guardrails, a time in the past). */
        REFUSED
    }

    static Refusal malformed(String field, String message) {
        return new Refusal(Kind.MALFORMED, field, message);
    }

    static Refusal conflict(String message) {
        return new Refusal(Kind.CONFLICT, null, message);
    }

    static Refusal refused(String field, String message) {
        return new Refusal(Kind.REFUSED, field, message);
    }
}
