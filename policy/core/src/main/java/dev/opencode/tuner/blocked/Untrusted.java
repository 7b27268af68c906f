package dev.opencode.tuner.blocked;

/** Makes untrusted text (log lines, names from the network) safe to echo in messages: printable ASCII only, capped. */
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
}
