package dev.opencode.tuner.journal;

/** A libsystemd call failed: names the call and the errno ({@code sd_journal_seek_cursor: EINVAL (...)}). */
public class JournalException extends RuntimeException {
    private final String call;
    private final int errno;

    public JournalException(String call, int negativeErrno) {
        super(call + ": " + Errno.describe(-negativeErrno));
        this.call = call;
        this.errno = -negativeErrno;
    }

    public JournalException(String message) {
        super(message);
        this.call = null;
        this.errno = 0;
    }

    /** The libsystemd function that failed, or null for a failure of our own. */
    public String call() {
        return call;
    }

    /** The positive errno, 0 when none. */
    public int errno() {
        return errno;
    }
}
