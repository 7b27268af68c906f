package dev.opencode.tuner.policy.app.metrics;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HostStateMetricsConfigTest {
    @Test
    void refusesANonPositiveUnusedAfterNamingTheKey() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        InstanceLabels labels = new InstanceLabels(10, registry);
        for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofDays(-1)}) {
            assertThatThrownBy(() -> new HostStateMetrics(null, labels, registry, bad, Clock.systemUTC()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tuner.policy.metrics.unused-after").hasMessageContaining(bad.toString());
        }
    }
}
