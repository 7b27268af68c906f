package dev.opencode.tuner.policy.app.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one way to put a host and an instance on a metric: bounds the host × instance product. The first
 * {@code tuner.policy.metrics.max-instances} pairs asked for keep their names for the life of the process; every pair
 * after that is folded into {@code host="_other", opencode_instance="_other"}, and
 * {@code tuner_policy_metrics_instances_folded_total} counts the distinct pairs folded. Admission is first come, first
 * served and never revoked, so a series never changes its meaning and counters stay monotonic.
 *
 * <p>The instance label is {@code opencode_instance}, not {@code instance}: Prometheus reserves {@code instance} for
 * the scrape target and would rename ours to {@code exported_instance}. Thread-safe.
 */
@ApplicationScoped
@Startup // its own meters exist from the start, before any per-instance metric is asked for
public class InstanceLabels {
    /** The label value of every folded pair. Not a valid host or instance name, so it cannot collide. */
    public static final String OTHER = "_other";
    public static final String HOST = "host";
    public static final String INSTANCE = "opencode_instance";

    private final int max;
    private final Map<Pair, Tags> admitted = new ConcurrentHashMap<>();
    private final Map<String, Tags> admittedHosts = new ConcurrentHashMap<>();
    private final Set<Long> folded = ConcurrentHashMap.newKeySet();
    private final Counter foldedCounter;
    private static final Tags OTHER_TAGS = Tags.of(Tag.of(HOST, OTHER), Tag.of(INSTANCE, OTHER));
    private static final Tags OTHER_HOST_TAGS = Tags.of(Tag.of(HOST, OTHER));

    private record Pair(String host, String instance) {
    }

    @Inject
    public InstanceLabels(MetricsConfig config, MeterRegistry registry) {
        this(config.maxInstances(), registry);
    }

    /** For tests and for code outside CDI. */
    public InstanceLabels(int maxInstances, MeterRegistry registry) {
        if (maxInstances < 1) {
            throw new IllegalArgumentException("tuner.policy.metrics.max-instances must be at least 1, got "
                    + maxInstances);
        }
        this.max = maxInstances;
        this.foldedCounter = Counter.builder("tuner.policy.metrics.instances.folded")
                .description("Distinct host x instance pairs folded into host=_other, opencode_instance=_other"
                        + " because tuner.policy.metrics.max-instances pairs were labelled already")
                .register(registry);
        registry.gauge("tuner.policy.metrics.instances.labelled", admitted, Map::size);
    }

    /** The tags {@code host} and {@code opencode_instance} for this pair, or {@code _other} for both above the bound. */
    public Tags tags(String host, String instance) {
        Pair pair = new Pair(String.valueOf(host), String.valueOf(instance));
        Tags known = admitted.get(pair);
        if (known != null) {
            return known;
        }
        synchronized (this) {
            known = admitted.get(pair);
            if (known != null) {
                return known;
            }
            if (admitted.size() < max) {
                Tags tags = Tags.of(Tag.of(HOST, pair.host()), Tag.of(INSTANCE, pair.instance()));
                admitted.put(pair, tags);
                return tags;
            }
        }
        // 64 bits of the pair remembered, not the names: a few bytes per folded pair, collisions negligible.
        long fingerprint = ((long) pair.host().hashCode() << 32) ^ (pair.instance().hashCode() & 0xffffffffL)
                ^ ((long) pair.host().length() << 48);
        if (folded.add(fingerprint)) {
            foldedCounter.increment();
        }
        return OTHER_TAGS;
    }

    /**
     * The tag {@code host} alone, for per-host metrics (the host states): the first
     * {@code tuner.policy.metrics.max-instances} hosts keep their names, later ones share {@code host="_other"} and
     * are counted in {@code tuner_policy_metrics_instances_folded_total} like a folded pair.
     */
    public Tags hostTags(String host) {
        String name = String.valueOf(host);
        Tags known = admittedHosts.get(name);
        if (known != null) {
            return known;
        }
        synchronized (this) {
            known = admittedHosts.get(name);
            if (known != null) {
                return known;
            }
            if (admittedHosts.size() < max) {
                Tags tags = Tags.of(Tag.of(HOST, name));
                admittedHosts.put(name, tags);
                return tags;
            }
        }
        // A host-only fingerprint: the instance part is a constant no pair can have (instance names are not empty).
        long fingerprint = ((long) name.hashCode() << 32) ^ 0x5a5a5a5aL ^ ((long) name.length() << 48) ^ 1L << 62;
        if (folded.add(fingerprint)) {
            foldedCounter.increment();
        }
        return OTHER_HOST_TAGS;
    }

    /** Whether the pair was folded into {@code _other}. */
    public boolean isFolded(Tags tags) {
        return tags == OTHER_TAGS || tags == OTHER_HOST_TAGS;
    }

    public int maxInstances() {
        return max;
    }
}
