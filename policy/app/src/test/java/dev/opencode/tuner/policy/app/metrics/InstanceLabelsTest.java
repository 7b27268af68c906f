package dev.opencode.tuner.policy.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class InstanceLabelsTest {
    @Test
    void labelsPairsUpToTheBoundThenFoldsTheRestIntoOther() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        InstanceLabels labels = new InstanceLabels(2, registry);

        assertThat(labels.tags("h1", "web")).isEqualTo(Tags.of("host", "h1", "opencode_instance", "web"));
        assertThat(labels.tags("h1", "docs")).isEqualTo(Tags.of("host", "h1", "opencode_instance", "docs"));
        Tags third = labels.tags("h2", "web");
        assertThat(third).isEqualTo(Tags.of("host", "_other", "opencode_instance", "_other"));
        assertThat(labels.isFolded(third)).isTrue();
        labels.tags("h2", "web"); // the same folded pair again counts once
        labels.tags("h3", "web");

        assertThat(registry.get("tuner.policy.metrics.instances.folded").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("tuner.policy.metrics.instances.labelled").gauge().value()).isEqualTo(2.0);
    }

    @Test
    void anAdmittedPairKeepsItsLabelsAfterTheBoundIsReached() {
        InstanceLabels labels = new InstanceLabels(1, new SimpleMeterRegistry());
        Tags first = labels.tags("h1", "web");
        labels.tags("h9", "other");
        assertThat(labels.tags("h1", "web")).isEqualTo(first);
        assertThat(labels.isFolded(first)).isFalse();
    }

    @Test
    void boundsHostsOfPerHostMetricsLikePairsAndCountsFoldedHosts() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        InstanceLabels labels = new InstanceLabels(2, registry);
        labels.tags("h1", "web"); // pairs and hosts have their own admissions
        labels.tags("h2", "web");

        assertThat(labels.hostTags("h1")).isEqualTo(Tags.of("host", "h1"));
        assertThat(labels.hostTags("h2")).isEqualTo(Tags.of("host", "h2"));
        Tags third = labels.hostTags("h3");
        assertThat(third).isEqualTo(Tags.of("host", "_other"));
        assertThat(labels.isFolded(third)).isTrue();
        labels.hostTags("h3");
        assertThat(labels.hostTags("h1")).isEqualTo(Tags.of("host", "h1"));

        assertThat(registry.get("tuner.policy.metrics.instances.folded").counter().count()).isEqualTo(1.0);
    }

    @Test
    void refusesABoundBelowOneNamingTheKey() {
        assertThatThrownBy(() -> new InstanceLabels(0, new SimpleMeterRegistry()))
                .hasMessageContaining("tuner.policy.metrics.max-instances");
    }
}
