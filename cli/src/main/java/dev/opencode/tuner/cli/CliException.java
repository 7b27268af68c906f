package dev.opencode.tuner.cli;

/** A failure the user can fix: printed as one line (no stack trace) with its exit code. */
public final class CliException extends RuntimeException {
    private final int exitCode;
    private final int httpStatus;

    private CliException(int exitCode, String message, Throwable cause) {
        this(exitCode, message, cause, 0);
    }

    private CliException(int exitCode, String message, Throwable cause, int httpStatus) {
        super(message, cause);
        this.exitCode = exitCode;
        this.httpStatus = httpStatus;
    }

    /** The same failure, as the policy service's answer with this HTTP status. */
    public CliException withHttpStatus(int status) {
        return new CliException(exitCode, getMessage(), getCause(), status);
    }

    /** The HTTP status of the policy service's refusal, or 0 when the failure is not one. */
    public int httpStatus() {
        return httpStatus;
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
