package dev.opencode.tuner.nix;

/** Escaping of untrusted text for generated Nix: string literals and line comments. */
public final class NixText {
    private NixText() {
    }

    /**
     * A double-quoted Nix string literal that evaluates to exactly {@code value}: backslash, double quote and every
     * dollar sign are escaped (so no {@code ${...}} antiquotation can form), line breaks and tabs become escapes.
     *
     * @throws IllegalArgumentException for NUL, which a Nix string cannot hold
     */
    public static String string(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '$' -> out.append("\\$");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\0' -> throw new IllegalArgumentException("a Nix string cannot contain NUL");
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /**
     * Text safe inside a {@code #} line comment: anything but printable ASCII (line breaks above all, which would
     * end the comment and let the rest be evaluated) becomes {@code ?}.
     */
    public static String comment(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }
}
