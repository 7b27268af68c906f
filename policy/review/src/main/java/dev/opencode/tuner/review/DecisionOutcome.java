package dev.opencode.tuner.review;

import java.util.Locale;

/** What one entry of the audit trail records; {@link #text()} is the {@code decision.outcome} value. */
public enum DecisionOutcome {
    /** The accept took effect. */
    ACCEPTED,
    /** Four-eyes: a first approval, the suggestion stays pending. */
    APPROVED,
    REJECTED,
    SNOOZED,
    /** The service took a removal suggestion back (the entry was used again, or left the file another way). */
    WITHDRAWN;

    private final String text = name().toLowerCase(Locale.ROOT);

    /** The stored and wire value: {@code accepted}, {@code approved}, ... */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }
}
