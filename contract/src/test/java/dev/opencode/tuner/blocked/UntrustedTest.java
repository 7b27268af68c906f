package dev.opencode.tuner.blocked;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UntrustedTest {
    @Test
    void bidiOverrideIsShownAsItsEscape() {
        // Shown raw, the right-to-left override makes this read "invoiceexe.pdf".
        assertThat(Untrusted.visible("invoice\u202Efdp.exe")).isEqualTo("invoice\\u202Efdp.exe");
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x07, 0x0A, 0x0D, 0x1B, 0x7F, 0x85, 0x9B, 0x00AD, 0x061C, 0x200B, 0x200D, 0x200E,
            0x202A, 0x202E, 0x2066, 0x2069, 0x2028, 0x2029, 0xFEFF, 0xFE0F, 0x180E, 0x3164, 0xE000, 0xFFF9})
    void everyInvisibleOrReorderingCharacterIsEscaped(int c) {
        String shown = Untrusted.visible("a" + (char) c + "b");

        assertThat(shown).isEqualTo("a" + String.format("\\u%04X", c) + "b");
    }

    @Test
    void supplementaryTagAndVariationCharactersAreEscapedAsSurrogatePairs() {
        String tagA = new String(Character.toChars(0xE0041)); // "ASCII smuggling" through tag characters
        String selector = new String(Character.toChars(0xE0100));

        assertThat(Untrusted.visible("x" + tagA + selector)).isEqualTo("x\\uDB40\\uDC41\\uDB40\\uDD00");
    }

    @Test
    void unpairedSurrogatesAreEscaped() {
        assertThat(Untrusted.visible("a\uD800b\uDC00")).isEqualTo("a\\uD800b\\uDC00");
    }

    @Test
    void lettersOfEveryScriptAndEmojiAreKept() {
        String text = "Zoë 東京 مرحبا שלום 🙂 café-1.example";

        assertThat(Untrusted.visible(text)).isSameAs(text);
    }

    @Test
    void visibleLinesKeepsLineFeedsAndTabsOnly() {
        assertThat(Untrusted.visibleLines("a\tb\nc\r\u202Ed")).isEqualTo("a\tb\nc\\u000D\\u202Ed");
    }

    @Property(tries = 2000)
    void theResultHasNothingHiddenAndReadsBackAsJsonToTheSameText(@ForAll String text) throws Exception {
        String shown = Untrusted.visible(text);

        assertThat(shown.codePoints()).allMatch(cp -> cp >= 0x20 && cp != 0x7f
                && Character.getType(cp) != Character.FORMAT && Character.getType(cp) != Character.CONTROL
                && Character.getType(cp) != Character.SURROGATE);
        // The escapes are JSON's: inside a JSON string (quote and backslash aside) they decode to the original.
        String json = "\"" + Untrusted.visible(text.replace("\\", "\\\\").replace("\"", "\\\"")) + "\"";
        assertThat(new ObjectMapper().readValue(json, String.class)).isEqualTo(text);
    }
}
