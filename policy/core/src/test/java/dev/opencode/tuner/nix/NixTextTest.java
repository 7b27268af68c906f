package dev.opencode.tuner.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class NixTextTest {
    @Test
    void plainTextIsOnlyQuoted() {
        assertThat(NixText.string("web-3")).isEqualTo("\"web-3\"");
        assertThat(NixText.string("")).isEqualTo("\"\"");
    }

    /** Nix double-quoted strings know the escapes \\ \" \$ \n \r \t; each special character gets exactly one. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "\\         | \"\\\\\"",
            "\"         | \"\\\"\"",
            "$          | \"\\$\"",
            "${x}       | \"\\${x}\"",
            "$${x}      | \"\\$\\${x}\"",
            "''${x}     | \"''\\${x}\"",
    })
    void escapesBackslashQuoteAndEveryDollar(String value, String literal) {
        assertThat(NixText.string(value)).isEqualTo(literal);
    }

    @Test
    void lineBreaksAndTabsBecomeEscapes() {
        assertThat(NixText.string("a\nb\rc\td")).isEqualTo("\"a\\nb\\rc\\td\"");
    }

    @Test
    void otherCharactersArePassedThroughUnchanged() {
        String text = "# */ /* '' caf\u00e9 \u2028 \ud83d\udca5 {}";

        assertThat(NixText.string(text)).isEqualTo("\"" + text + "\"");
    }

    @Test
    void nulCannotBeInANixString() {
        assertThatThrownBy(() -> NixText.string("a\0b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NUL");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\nb", "a\rb", "a\u2028b", "a\u0085b", "a\tb", "a\u00e9b", "a\0b", "a\u007fb"})
    void commentReplacesAnythingButPrintableAsciiWithAQuestionMark(String text) {
        assertThat(NixText.comment(text)).isEqualTo("a?b");
    }

    @Test
    void commentKeepsPrintableAsciiIncludingNixSyntax() {
        String text = "12 events, tcp/443 ${x} \"q\" \\ '' */ # [ ] ;";

        assertThat(NixText.comment(text)).isEqualTo(text);
    }

    @Test
    void commentReplacesEachHalfOfASurrogatePair() {
        assertThat(NixText.comment("\ud83d\udca5")).isEqualTo("??");
    }
}
