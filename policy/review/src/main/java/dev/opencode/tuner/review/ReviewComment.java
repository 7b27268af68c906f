package dev.opencode.tuner.review;

/**
 * The rule for a reviewer's comment, the same for the API, the web form and bulk decisions: surrounding whitespace is
 * dropped, CRLF line ends become LF, a blank comment is no comment; what is left has at most {@value #MAX_LENGTH}
 * characters and no control character other than the newline.
 */
public final class ReviewComment {
    /** The longest comment kept, in characters (after stripping). */
    public static final int MAX_LENGTH = 2000;

    private ReviewComment() {
    }

    /**
     * The comment as it is checked and stored: stripped, with CRLF as LF; null when the input is null or blank.
     */
    public static String normalise(String comment) {
        if (comment == null || comment.isBlank()) {
            return null;
        }
        return comment.strip().replace("\r\n", "\n");
    }

    /** Why a normalised comment is refused (field {@code comment}), or null when it is fine or absent. */
    public static Refusal refusal(String normalised) {
        if (normalised == null) {
            return null;
        }
        if (normalised.length() > MAX_LENGTH) {
            return Refusal.malformed("comment", "expected at most " + MAX_LENGTH + " characters, got "
                    + normalised.length());
        }
        if (normalised.codePoints().anyMatch(cp -> Character.isISOControl(cp) && cp != '\n')) {
            return Refusal.malformed("comment", "control characters are not allowed (newlines are)");
        }
        return null;
    }
}
