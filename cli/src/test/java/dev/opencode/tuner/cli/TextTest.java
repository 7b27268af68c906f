package dev.opencode.tuner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TextTest {
    @AfterEach
    void plainAgain() {
        Text.decideColours(false, Map.of());
    }

    @Test
    void countsAgreeWithTheirNumber() {
        assertThat(Text.count(1, "event")).isEqualTo("1 event");
        assertThat(Text.count(0, "event")).isEqualTo("0 events");
        assertThat(Text.count(12_345, "event")).isEqualTo("12,345 events");
        assertThat(Text.count(1, "address", "addresses")).isEqualTo("1 address");
        assertThat(Text.count(256, "address", "addresses")).isEqualTo("256 addresses");
    }

    @Test
    void widthFitsTheWidestCount() {
        assertThat(Text.width()).isEqualTo(1);
        assertThat(Text.width(7, 12_345_678)).isEqualTo("12,345,678".length());
    }

    private static String printed(String text) {
        StringWriter out = new StringWriter();
        try (PrintWriter visible = new PrintWriter(new VisibleWriter(new PrintWriter(out)))) {
            visible.printf("%s %s%n", text, "done");
        }
        return out.toString();
    }

    @Test
    void colourOnATerminalWithoutNoColor() {
        Text.decideColours(true, Map.of());
        assertThat(Text.colours()).isTrue();
        assertThat(printed(Text.paint("accepted", Text.Colour.GREEN))).isEqualTo("\u001b[32maccepted\u001b[0m done\n");

        Text.decideColours(true, Map.of("NO_COLOR", "1"));
        assertThat(printed(Text.paint("accepted", Text.Colour.GREEN))).isEqualTo("accepted done\n");
        Text.decideColours(false, Map.of());
        assertThat(printed(Text.paint("accepted", Text.Colour.GREEN))).isEqualTo("accepted done\n");
        Text.decideColours(true, Map.of("NO_COLOR", ""));
        assertThat(Text.colours()).as("an empty NO_COLOR is unset").isTrue();
    }

    @Test
    void theTerminalIsAskedOnlyWhenAWordIsPaintedAndOnce() {
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        Text.decideColoursLater(() -> asked.incrementAndGet() > 0, Map.of());
        assertThat(printed("no colour here")).isEqualTo("no colour here done\n");
        assertThat(asked).hasValue(0);
        assertThat(printed(Text.paint("accepted", Text.Colour.GREEN))).startsWith("\u001b[32maccepted");
        Text.paint("again", Text.Colour.GREEN);
        assertThat(asked).hasValue(1);

        Text.decideColoursLater(() -> asked.incrementAndGet() > 0, Map.of("NO_COLOR", "1"));
        assertThat(Text.paint("accepted", Text.Colour.GREEN)).isEqualTo("accepted");
        assertThat(asked).as("NO_COLOR: never asked").hasValue(1);
    }

    @Test
    void textFromElsewhereCannotColourOrDriveTheTerminal() {
        Text.decideColours(true, Map.of());
        // An agent's comment with an escape sequence and with lookalike markers: shown, never obeyed.
        String hostile = "x\u001b[31m\uE000\uE100\uE100\uE100\uE1001y";
        String out = printed(hostile);
        assertThat(out).doesNotContain("\u001b").contains("\\u001B[31m");
        assertThat(out).startsWith("x");
    }
}
