package dev.opencode.tuner.blocked;

/** What {@link BlockedLineParser} made of one log line: a blocked line, a malformed one, or an unrelated one. */
public sealed interface ParseResult permits BlockedLine, ParseResult.Malformed, ParseResult.Unrelated {

    /** The line carries the {@code opencode-<name>-blocked:} prefix but no usable packet description. */
    record Malformed(String instance, String reason) implements ParseResult {
    }

    /** The line does not carry the blocked prefix; it is not ours and is not counted. */
    enum Unrelated implements ParseResult {
        INSTANCE
    }

    static Malformed malformed(String instance, String reason) {
        return new Malformed(instance, reason);
    }
}
