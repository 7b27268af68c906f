package dev.opencode.tuner.policy.app.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pages' small text helpers. */
class WebTextTest {
    @Test
    void joinSeparatesEveryValueEvenEmptyOnes() {
        assertThat(WebText.join(List.of(443, 8443))).isEqualTo("443, 8443");
        assertThat(WebText.join(List.of("tcp"))).isEqualTo("tcp");
        assertThat(WebText.join(List.of("", "udp"))).isEqualTo(", udp");
        assertThat(WebText.join(Arrays.asList("a", null))).isEqualTo("a, null");
        assertThat(WebText.join(List.of())).isEmpty();
        assertThat(WebText.join(null)).isEmpty();
    }

    @Test
    void timesAreShortenedToTheMinuteInUtc() {
        assertThat(WebText.time("2026-11-25T17:12:59.123Z")).isEqualTo("2026-11-25 17:12Z");
        assertThat(WebText.time(null)).isEmpty();
        assertThat(WebText.time("soon")).isEqualTo("soon");
    }

    @Test
    void pathSegmentsAndDurationsAreWrittenAsInTheConfiguration() {
        assertThat(WebText.path("a b/c")).isEqualTo("a%20b%2Fc");
        assertThat(WebText.duration(Duration.ofDays(7))).isEqualTo("7d");
        assertThat(WebText.duration(Duration.ofHours(12))).isEqualTo("12h");
        assertThat(WebText.duration(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(WebText.duration(Duration.ofSeconds(90))).isEqualTo("90s");
    }
}
