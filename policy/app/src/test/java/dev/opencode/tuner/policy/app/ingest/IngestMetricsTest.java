package dev.opencode.tuner.policy.app.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class IngestMetricsTest {
    @Test
    void eventsBeyondTheDestinationCapAreCountedInTheirOwnCounter() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        IngestMetrics metrics = new IngestMetrics(registry);

        metrics.batch(new AggregateWriter.Result(3, 1, 0, 2, null), 0, 1_000_000);
        metrics.batch(new AggregateWriter.Result(0, 0, 0, 5, null), 0, 1_000_000);

        assertThat(registry.get("tuner.policy.events.overflow").counter().count()).isEqualTo(7);
        assertThat(registry.get("tuner.policy.events.applied").counter().count()).isEqualTo(3);
    }

    @Test
    void aCapBelowOneIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> new AggregateWriter(null, Duration.ofDays(1), null, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tuner.policy.aggregation.max-destinations-per-instance must be at least 1, got 0");
    }
}
