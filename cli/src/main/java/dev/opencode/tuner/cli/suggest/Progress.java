package dev.opencode.tuner.cli.suggest;

import java.io.PrintWriter;

/** Entries read and rate on one stderr line, redrawn at most 4 times a second, only when stderr is a terminal. */
final class Progress {
    private final PrintWriter err;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long lastPrint;
    private boolean printed;

    Progress(PrintWriter err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
    }

    /** Cheap to call per entry: looks at the clock only every 65,536 entries. */
    void update(long entries) {
        if (!enabled || (entries & 0xffff) != 0) {
            return;
        }
        long now = System.nanoTime();
        if (now - start < 1_000_000_000L || now - lastPrint < 250_000_000L) {
            return;
        }
        lastPrint = now;
        printed = true;
        double seconds = (now - start) / 1e9;
        err.printf("\r  read %,d entries (%,.0f/s)   ", entries, entries / seconds);
        err.flush();
    }

    void done() {
        if (printed) {
            err.print("\r\033[K");
            err.flush();
        }
    }
}
