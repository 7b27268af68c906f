package dev.opencode.tuner.review;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RejectionMemoryTest {
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final RejectionMemory MEMORY = new RejectionMemory(Duration.ofDays(90));

    @Test
    void aRejectionHoldsBackUntilANewPortShowsUp() {
        Instant rejected = NOW.minus(Duration.ofDays(1));
        assertThat(MEMORY.reopens(rejected, NOW, Set.of(443), Set.of(443))).isFalse();
        assertThat(MEMORY.reopens(rejected, NOW, Set.of(443, 80), Set.of(443))).isFalse();
        assertThat(MEMORY.reopens(rejected, NOW, Set.of(443), Set.of(443, 22))).isTrue();
    }

    @Test
    void aRejectionOlderThanReopenAfterOrOfUnknownAgeNoLongerHoldsBack() {
        assertThat(MEMORY.reopens(NOW.minus(Duration.ofDays(90)), NOW, Set.of(443), Set.of(443))).isFalse();
        assertThat(MEMORY.reopens(NOW.minus(Duration.ofDays(90)).minusSeconds(1), NOW, Set.of(443), Set.of(443)))
                .isTrue();
        assertThat(MEMORY.reopens(null, NOW, Set.of(443), Set.of(443))).isTrue();
    }
}
