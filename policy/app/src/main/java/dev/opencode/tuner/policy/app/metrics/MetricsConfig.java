package dev.opencode.tuner.policy.app.metrics;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;

/** How the policy service's own metrics are bounded and refreshed, under {@code tuner.policy.metrics}. */
@ConfigMapping(prefix = "tuner.policy.metrics")
public interface MetricsConfig {
    /**
     * The most host × instance pairs that get their own {@code host}/{@code opencode_instance} label values; the
     * pairs seen after that share {@code _other}/{@code _other}. Bounds every per-instance metric of the service.
     */
    @WithDefault("1000")
    @Min(1)
    @Max(100_000)
    int maxInstances();

    /** How often the gauges read from PostgreSQL (destinations per instance) and Kafka (consumer lag) are refreshed. */
    @WithDefault("30s")
    Duration refreshInterval();

    /**
     * An allowlist entry whose counter has not moved for this long counts as unused in
     * {@code tuner_policy_allowlist_unused_entries}; an entry never used counts from its first report.
     */
    @WithDefault("30d")
    Duration unusedAfter();
}
