package dev.opencode.tuner.policy.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.blocked.BlockedEvent;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The metrics the dashboards and alerts read (dashboards/README.md): blocked events and distinct destinations per
 * host and instance from PostgreSQL, and the consumer lag per partition from the broker, in Prometheus format.
 */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class MetricsTest {
    @Test
    void publishesBlockedEventsAndDistinctDestinationsPerInstanceFromTheDatabase() {
        List<BlockedEvent> events = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            events.add(TestEvents.tcp("vm-metrics", "web", "198.51.100." + (i % 3 + 1), 443, i));
        }
        events.add(TestEvents.tcp("vm-metrics", "docs", "203.0.113.7", 443, 9));
        // The events above are two hours old; this one is new, to a destination never blocked before.
        events.add(TestEvents.event("vm-metrics", "web", "198.51.100.99", "tcp", 443, "10.211.0.2",
                java.time.Instant.now().minusSeconds(60)));
        try (TestEvents producer = new TestEvents()) {
            producer.send(events);
        }
        Eventually.await("the per-instance metrics of vm-metrics", Duration.ofSeconds(60), () -> {
            String m = metrics();
            return value(m, "tuner_policy_blocked_events_total{host=\"vm-metrics\",opencode_instance=\"web\"}") == 6
                    && value(m, "tuner_policy_instance_destinations{host=\"vm-metrics\",opencode_instance=\"web\"}")
                    == 4
                    && value(m, "tuner_policy_instance_new_destinations{host=\"vm-metrics\",opencode_instance=\"web\"}")
                    == 1
                    && value(m, "tuner_policy_instance_new_destinations{host=\"vm-metrics\",opencode_instance=\"docs\"}")
                    == 0
                    && value(m, "tuner_policy_blocked_events_total{host=\"vm-metrics\",opencode_instance=\"docs\"}")
                    == 1;
        }, MetricsTest::metrics);
    }

    @Test
    void publishesTheConsumerLagOfEveryPartition() {
        Eventually.await("the consumer lag of every partition", Duration.ofSeconds(60), () -> {
            String m = metrics();
            for (int p = 0; p < PolicyStack.PARTITIONS; p++) {
                if (value(m, "tuner_policy_consumer_lag_records{partition=\"" + p + "\",topic=\""
                        + PolicyStack.topic("vm-metrics") + "\"}") < 0) {
                    return false;
                }
            }
            return true;
        }, MetricsTest::metrics);
        assertThat(metrics()).contains("tuner_policy_metrics_instances_folded_total",
                "tuner_policy_metrics_instances_labelled", "tuner_policy_metrics_refresh_errors_total");
    }

    private static String metrics() {
        return Api.metrics();
    }

    /** The sample's value, or -1 when the series is absent. */
    static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }
}
