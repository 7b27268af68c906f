package dev.opencode.tuner.cli;

/** A failure the user can fix: printed as one line (no stack trace) with its exit code. */
public final class CliException extends RuntimeException {
    private final int exitCode;

    private CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** A wrong flag or flag combination: exit 2. */
    public static CliException usage(String message) {
        return new CliException(Tuner.EXIT_USAGE, message, null);
    }

    /** An input that cannot be read: exit 1. */
    public static CliException input(String message, Throwable cause) {
        return new CliException(Tuner.EXIT_INPUT, message, cause);
    }

    public int exitCode() {
        return exitCode;
    }
}
