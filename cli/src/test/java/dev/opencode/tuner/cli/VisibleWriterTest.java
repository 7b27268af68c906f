package dev.opencode.tuner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import org.junit.jupiter.api.Test;

class VisibleWriterTest {
    @Test
    void formatAndControlCharactersAreEscapedAndLinesKept() {
        StringWriter target = new StringWriter();
        PrintWriter out = new PrintWriter(new VisibleWriter(new PrintWriter(target)), true);

        out.printf("host %s%n\tcomment %s%n", "a\u202Eb", "x\u001b[2Jy\u2066");

        assertThat(target.toString()).isEqualTo("host a\\u202Eb" + System.lineSeparator()
                + "\tcomment x\\u001B[2Jy\\u2066" + System.lineSeparator());
    }

    @Test
    void aSurrogatePairSplitAcrossWritesIsKeptWhole() {
        StringWriter target = new StringWriter();
        PrintWriter out = new PrintWriter(new VisibleWriter(new PrintWriter(target)), true);
        String smile = "\uD83D\uDE42";
        String tag = new String(Character.toChars(0xE0041));

        out.print(smile.charAt(0));
        out.print(smile.charAt(1));
        out.print(tag.charAt(0));
        out.print(tag.charAt(1));
        out.flush();

        assertThat(target.toString()).isEqualTo(smile + "\\uDB40\\uDC41");
    }

    @Test
    void aFailedWriteOfTheTargetIsSeenByCheckError() {
        Writer broken = new Writer() {
            @Override
            public void write(char[] chars, int off, int len) throws java.io.IOException {
                throw new java.io.IOException("disk full");
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        PrintWriter out = new PrintWriter(new VisibleWriter(new PrintWriter(broken)), false);

        out.print("anything");

        assertThat(out.checkError()).isTrue();
    }
}
