package dev.opencode.tuner.cli;

import dev.opencode.tuner.blocked.Untrusted;
import java.io.FilterWriter;
import java.io.IOException;
import java.io.PrintWriter;

/**
 * The CLI's standard output: host names, comments, reverse DNS names and reasons come from logs, agents and other
 * people, so every character that is invisible or reorders text reaches the terminal as its escape
 * ({@link Untrusted#visibleLines}); line feeds and tabs are the output's own, and so is the colour of
 * {@link Text#paint}. JSON stays valid and means the same.
 */
final class VisibleWriter extends FilterWriter {
    /** A high surrogate that ended the last write: its pair may start the next one. */
    private char pendingHigh;

    private final PrintWriter target;

    VisibleWriter(PrintWriter target) {
        super(target);
        this.target = target;
    }

    /** Passes on a failure of the target (a closed pipe, a full disk), which a PrintWriter only records. */
    @Override
    public void flush() throws IOException {
        if (target.checkError()) {
            throw new IOException("writing the output failed");
        }
    }

    @Override
    public void write(int c) throws IOException {
        write(new char[] {(char) c}, 0, 1);
    }

    @Override
    public void write(String text, int off, int len) throws IOException {
        write(text.toCharArray(), off, len);
    }

    @Override
    public void write(char[] chars, int off, int len) throws IOException {
        if (len <= 0) {
            return;
        }
        StringBuilder text = new StringBuilder(len + 1);
        if (pendingHigh != 0) {
            text.append(pendingHigh);
            pendingHigh = 0;
        }
        text.append(chars, off, len);
        char last = text.charAt(text.length() - 1);
        if (Character.isHighSurrogate(last)) {
            pendingHigh = last;
            text.setLength(text.length() - 1);
        }
        out.write(Text.visible(text));
    }

    @Override
    public void close() throws IOException {
        if (pendingHigh != 0) {
            out.write(Untrusted.visibleLines(String.valueOf(pendingHigh)));
            pendingHigh = 0;
        }
        super.close();
    }
}
