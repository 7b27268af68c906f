package dev.opencode.tuner.review;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

class StabilisationTest {
    private static final Instant T = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final Stabilisation RULE = new Stabilisation(2, Duration.ofMinutes(10));

    @Test
    void holdsBackOneOffNoiseUntilEnoughEventsOrEnoughTime() {
        assertThat(RULE.isStable(1, T, T)).isFalse();
        assertThat(RULE.isStable(2, T, T)).isTrue();
        assertThat(RULE.isStable(1, T, T.plus(Duration.ofMinutes(10)))).isTrue();
        assertThat(RULE.isStable(1, T, T.plus(Duration.ofMinutes(10)).minusMillis(1))).isFalse();
        assertThat(RULE.isStable(1, null, null)).isFalse();
        assertThat(RULE.isStable(5, null, null)).isTrue();
    }

    @Test
    void refusesAnEventCountBelowOne() {
        assertThatThrownBy(() -> new Stabilisation(0, Duration.ZERO)).hasMessageContaining("0");
    }
}
