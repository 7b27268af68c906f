package dev.opencode.tuner.policy.app.review;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RemovalsConfigTest {
    @Test
    void refusesANonPositiveUnusedAfterOrNoticePeriodNamingTheKey() {
        for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofDays(-1)}) {
            assertThatThrownBy(() -> new Removals(null, null, bad, Duration.ofDays(7), null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tuner.policy.removal.unused-after").hasMessageContaining(bad.toString());
            assertThatThrownBy(() -> new Removals(null, null, Duration.ofDays(30), bad, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tuner.policy.removal.notice-period").hasMessageContaining(bad.toString());
        }
        assertThat(new Removals(null, null, Duration.ofDays(30), Duration.ofDays(7), null).noticePeriod())
                .isEqualTo(Duration.ofDays(7));
    }

    @Test
    void aRemovalsIdDiffersFromTheAdditionsOfTheSameCidr() {
        assertThat(Removals.id("h", "web", "192.0.2.0/24")).isNotEqualTo(ReviewIds.of("h", "web", "192.0.2.0/24"))
                .isEqualTo(Removals.id("h", "web", "192.0.2.0/24"));
    }
}
