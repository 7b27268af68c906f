package dev.opencode.tuner.blocked;

/** Makes untrusted text (log lines, names from the network, comments) safe to echo in messages and to show. */
public final class Untrusted {
    private Untrusted() {
    }

    /** Returns {@code text} single-quoted, with non-printable characters as {@code \\xNN} and at most {@code max} chars. */
    public static String quote(CharSequence text, int max) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 8).append('\'');
        int n = Math.min(text.length(), max);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
                out.append(c);
            } else if (c < 0x100) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        out.append('\'');
        if (text.length() > max) {
            out.append("...(").append(text.length()).append(" chars)");
        }
        return out.toString();
    }

    public static String quote(CharSequence text) {
        return quote(text, 80);
    }

    /**
     * Returns {@code text} as a reader should see it: every character that is invisible or changes how the text
     * around it is shown (controls, line breaks, bidi overrides such as U+202E, zero-width and other format
     * characters, unpaired surrogates, private-use and unassigned code points, variation selectors) is written as
     * its UTF-16 escape (a backslash, {@code u} and four upper-case hex digits); every other character, letters of
     * any script included, is kept. The escapes are those of Java and JSON, so JSON text stays valid and means the
     * same. The one function for names, comments and evidence shown in the CLI, the web UI, pull requests and
     * commit messages.
     */
    public static String visible(CharSequence text) {
        return text == null ? null : visible(text, false);
    }

    /** As {@link #visible(CharSequence)}, but keeps line feeds and tabs: for whole outputs made of lines. */
    public static String visibleLines(CharSequence text) {
        return text == null ? null : visible(text, true);
    }

    private static String visible(CharSequence text, boolean keepLines) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            int cp = Character.codePointAt(text, i);
            if (hidden(cp, keepLines)) {
                break;
            }
            i += Character.charCount(cp);
        }
        if (i == n) {
            return text.toString(); // the common case: nothing to escape, nothing copied twice
        }
        StringBuilder out = new StringBuilder(n + 16).append(text, 0, i);
        while (i < n) {
            int cp = Character.codePointAt(text, i);
            int count = Character.charCount(cp);
            if (hidden(cp, keepLines)) {
                for (int k = i; k < i + count; k++) {
                    out.append("\\u").append(String.format("%04X", (int) text.charAt(k)));
                }
            } else {
                out.appendCodePoint(cp);
            }
            i += count;
        }
        return out.toString();
    }

    private static boolean hidden(int cp, boolean keepLines) {
        if (cp >= 0x20 && cp < 0x7f) {
            return false;
        }
        if (keepLines && (cp == '\n' || cp == '\t')) {
            return false;
        }
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED -> true;
            // Default-ignorable code points outside the format category: rendered as nothing at all.
            default -> cp == 0x034F || cp == 0x115F || cp == 0x1160 || cp == 0x17B4 || cp == 0x17B5
                    || (cp >= 0x180B && cp <= 0x180F) || cp == 0x3164 || (cp >= 0xFE00 && cp <= 0xFE0F)
                    || cp == 0xFFA0 || (cp >= 0xE0100 && cp <= 0xE01EF);
        };
    }
}
