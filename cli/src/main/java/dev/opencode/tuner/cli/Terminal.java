package dev.opencode.tuner.cli;

import com.sun.jna.Native;

/** Whether a file descriptor is a terminal (libc {@code isatty}), to show progress only to people. */
public final class Terminal {
    private static final boolean LOADED;

    static {
        boolean ok;
        try {
            Native.register(Terminal.class, "c");
            ok = true;
        } catch (Throwable t) { // no libc through JNA: behave as if not a terminal
            ok = false;
        }
        LOADED = ok;
    }

    private Terminal() {
    }

    // int isatty(int fd);
    private static native int isatty(int fd);

    public static boolean isTerminal(int fd) {
        return LOADED && isatty(fd) == 1;
    }
}
