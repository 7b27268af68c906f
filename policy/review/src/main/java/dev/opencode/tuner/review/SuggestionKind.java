package dev.opencode.tuner.review;

import java.util.Locale;

/** What accepting a suggestion does to the generated file; {@link #text()} is the {@code suggestion.kind} value. */
public enum SuggestionKind {
    /** Allow the CIDR: a new entry. */
    ADD,
    /** Take an unused entry out (an earlier addition). */
    REMOVE;

    private final String text = name().toLowerCase(Locale.ROOT);

    /** The stored and wire value: {@code add} or {@code remove}. */
    public String text() {
        return text;
    }

    /** The kind of a stored or wire value. */
    public static SuggestionKind of(String text) {
        for (SuggestionKind k : values()) {
            if (k.text.equals(text)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown suggestion kind " + text);
    }

    @Override
    public String toString() {
        return text;
    }
}
