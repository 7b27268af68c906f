package dev.opencode.tuner.review;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a suggestion stands in its lifecycle. {@link #text()} is the value in the {@code suggestion.state} column and
 * in the API's JSON; it never changes with the constant's name.
 */
public enum SuggestionState {
    /** Open: waiting for a decision (shown only once stable; otherwise held back). */
    PENDING,
    /** In force by decision (the generated file holds it), not exported yet. */
    ACCEPTED,
    /** Refused; remembered until new evidence or its age reopens it. */
    REJECTED,
    /** Open again from {@code snoozed_until} on. */
    SNOOZED,
    /** Folded into a broader suggestion, covered by the allowlist, or (a removal) withdrawn. */
    SUPERSEDED,
    /** Written to the host's branch by the exporter. */
    EXPORTED,
    /** The host's pull request was merged. */
    MERGED,
    /** The host reported the entry in force. */
    DEPLOYED,
    /** An addition whose entry an accepted removal took out of the generated file. */
    REMOVED;

    /**
     * The list filter that is no state of its own: pending, but held back by the stabilisation rule (the API's
     * {@code state=held}).
     */
    public static final String HELD = "held";

    private final String text = name().toLowerCase(Locale.ROOT);

    /** The stored and wire value: {@code pending}, {@code accepted}, ... */
    public String text() {
        return text;
    }

    /** The state of a stored or wire value. */
    public static SuggestionState of(String text) {
        for (SuggestionState s : values()) {
            if (s.text.equals(text)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown suggestion state " + text);
    }

    /** The values a list may filter by, in the order the API names them: the states and {@link #HELD}. */
    public static List<String> filters() {
        List<String> filters = new ArrayList<>();
        for (SuggestionState s : values()) {
            filters.add(s.text);
            if (s == PENDING) {
                filters.add(HELD);
            }
        }
        return List.copyOf(filters);
    }

    /** Open for a reviewer's decision: pending, or snoozed (an expired snooze reads as pending). */
    public boolean isOpen() {
        return this == PENDING || this == SNOOZED;
    }

    /** The entry is in the generated file: accepted and every step of its export after that. */
    public boolean isInForce() {
        return this == ACCEPTED || this == EXPORTED || this == MERGED || this == DEPLOYED;
    }

    /** The database values of the states in force, for SQL's {@code IN (...)}: {@code 'accepted', ...}. */
    public static String inForceSql() {
        StringBuilder sql = new StringBuilder();
        for (SuggestionState s : values()) {
            if (s.isInForce()) {
                sql.append(sql.isEmpty() ? "" : ", ").append('\'').append(s.text).append('\'');
            }
        }
        return sql.toString();
    }

    @Override
    public String toString() {
        return text;
    }
}
