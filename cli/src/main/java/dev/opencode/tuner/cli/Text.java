package dev.opencode.tuner.cli;

import dev.opencode.tuner.blocked.Untrusted;
import java.security.SecureRandom;
import java.util.Map;

/**
 * The CLI's wording helpers: counts with the right plural ("1 event", "1,234 events", "opens 1 address") and colour
 * on a terminal. Colour is on only when standard output is a terminal and {@code NO_COLOR} is not set
 * (no-color.org), so piped output stays plain.
 *
 * <p>Everything printed goes through {@link VisibleWriter}, which shows every invisible character of text from logs,
 * agents and other people as its escape, ESC included. A painted word therefore carries markers, not escape codes:
 * private-use characters with a random per-process key, which only {@link #visible} turns into colour (or drops).
 * Text from elsewhere cannot hold the key, so it can neither colour nor otherwise drive the terminal.
 */
public final class Text {
    /** The colours the CLI uses: green for what went through, red for what failed or is refused, yellow for held. */
    public enum Colour {
        RESET("0"), GREEN("32"), RED("31"), YELLOW("33");

        private final String code;

        Colour(String code) {
            this.code = code;
        }
    }

    private static final char MARK = '\uE000';
    private static final String KEY = key();
    private static volatile Boolean colours = false;
    /** Asked once, on the first colour: loading libc through JNA costs every command that never paints. */
    private static volatile java.util.function.BooleanSupplier terminal;

    private Text() {
    }

    private static String key() {
        SecureRandom random = new SecureRandom();
        StringBuilder key = new StringBuilder();
        key.append(MARK);
        for (int i = 0; i < 4; i++) {
            key.append((char) (0xE100 + random.nextInt(0x1000)));
        }
        return key.toString();
    }

    /** {@code 1 event}, {@code 2 events}, {@code 12,345 events}. */
    public static String count(long n, String one) {
        return count(n, one, one + "s");
    }

    /** {@code 1 address}, {@code 256 addresses}. */
    public static String count(long n, String one, String many) {
        return String.format("%,d %s", n, n == 1 ? one : many);
    }

    /** The width of the widest of these counts as {@code %,d} prints them (at least 1). */
    public static int width(long... counts) {
        int width = 1;
        for (long n : counts) {
            width = Math.max(width, String.format("%,d", n).length());
        }
        return width;
    }

    /** Turns colour on for this process when standard output is a terminal and NO_COLOR is not set. */
    static void decideColours(boolean terminal, Map<String, String> environment) {
        Text.terminal = null;
        String noColor = environment.get("NO_COLOR");
        colours = terminal && (noColor == null || noColor.isEmpty());
    }

    /** As {@link #decideColours}, with the terminal test made only when the first word is painted. */
    static void decideColoursLater(java.util.function.BooleanSupplier terminal, Map<String, String> environment) {
        Text.terminal = terminal;
        String noColor = environment.get("NO_COLOR");
        colours = noColor == null || noColor.isEmpty() ? null : false;
    }

    /** Whether this run prints colour. */
    public static boolean colours() {
        Boolean decided = colours;
        if (decided == null) {
            decided = terminal.getAsBoolean();
            colours = decided;
        }
        return decided;
    }

    /** {@code text} in the colour when this run prints colour; as it is otherwise. Pad before painting. */
    public static String paint(String text, Colour colour) {
        return colours() ? KEY + (char) ('0' + colour.ordinal()) + text + KEY + '0' : text;
    }

    /**
     * What reaches the terminal for {@code text}: every invisible character shown as its escape
     * ({@link Untrusted#visibleLines}), and the markers of {@link #paint} as colour codes, or dropped without colour.
     */
    static String visible(CharSequence text) {
        String s = text.toString();
        int at = s.indexOf(KEY);
        if (at < 0) {
            return Untrusted.visibleLines(s);
        }
        StringBuilder out = new StringBuilder(s.length() + 16);
        int from = 0;
        while (at >= 0 && at + KEY.length() < s.length()) {
            out.append(Untrusted.visibleLines(s.substring(from, at)));
            int colour = s.charAt(at + KEY.length()) - '0';
            if (colour >= 0 && colour < Colour.values().length && colours()) {
                out.append("\u001b[").append(Colour.values()[colour].code).append('m');
            }
            from = at + KEY.length() + 1;
            at = s.indexOf(KEY, from);
        }
        out.append(Untrusted.visibleLines(s.substring(from)));
        return out.toString();
    }
}
