package dev.opencode.tuner.export;

/**
 * An export that could not be done, with a message for the operator. Messages are redacted before they are built
 * (see {@link Secret#redact}), and the cause of a failure inside JGit or the HTTP client is never attached: its message
 * could carry a URL or a header.
 */
public final class ExportException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ExportException(String message) {
        super(message, null, false, false);
    }
}
