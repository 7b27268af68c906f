package dev.opencode.tuner.blocked;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InstanceNameTest {
    /** 22 characters: the user and group name {@code opencode-<name>} then has exactly 31, the NixOS limit. */
    private static final String LONGEST = "abcdefghij-klmnopqrs-9";

    @Test
    void longestNameHasTwentyTwoCharactersAndMakesAThirtyOneCharacterUserName() {
        assertThat(LONGEST).hasSize(22).hasSize(InstanceName.MAX_LENGTH);
        assertThat("opencode-" + LONGEST).hasSize(31);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "web", "web-3", "a1", "a--b", "x0-y1-z2", LONGEST})
    void acceptsLowercaseNamesUpToTwentyTwoCharacters(String name) {
        assertThat(InstanceName.isValid(name)).isTrue();
        assertThat(InstanceName.PATTERN.matcher(name).matches()).isTrue();
        assertThat(InstanceName.require(name)).isSameAs(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", LONGEST + "a", "Web", "wEb", "1web", "-web", "web-", "web_1", "web.1", "web 1",
            "w\u00e9b", "web\n", "\u0441ode", "9"})
    void rejectsNamesOutsideTheRule(String name) {
        assertThat(InstanceName.isValid(name)).isFalse();
        assertThat(InstanceName.PATTERN.matcher(name).matches()).isFalse();
    }

    @Test
    void twentyThreeCharactersAreOneTooMany() {
        String name = "a".repeat(23);

        assertThat(InstanceName.isValid(name.substring(1))).isTrue();
        assertThat(InstanceName.isValid(name)).isFalse();
        assertThat(InstanceName.PATTERN.matcher(name).matches()).isFalse();
    }

    @Test
    void twentyTwoCharactersEndingInAHyphenAreRejected() {
        assertThat(InstanceName.isValid("a".repeat(21) + "-")).isFalse();
        assertThat(InstanceName.isValid("a".repeat(20) + "-b")).isTrue();
    }

    @Test
    void requireNamesTheValueAndTheRule() {
        assertThatThrownBy(() -> InstanceName.require("Bad_Name"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'Bad_Name'")
                .hasMessageContaining(InstanceName.RULE);
    }

    @Test
    void requireRejectsNull() {
        assertThatThrownBy(() -> InstanceName.require(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
