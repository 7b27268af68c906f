package dev.opencode.tuner.policy.app.export;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The export metrics of the metric contract: {@code tuner.policy.exports{result}},
 * {@code tuner.policy.pull.requests{forge,result}} and {@code tuner.policy.export.last.success.timestamp.seconds
 * {host}}. The host label is a plain tag: hosts come from accepted decisions (reviewers), not from the blocked events,
 * so their number is what the operators decided, not what an instance can inflate. No label holds a CIDR or a user.
 */
@ApplicationScoped
public class ExportMetrics {
    private final MeterRegistry registry;
    private final Map<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();

    @Inject
    public ExportMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (String result : new String[] {"committed", "unchanged", "failed"}) {
            exports(result);
        }
    }

    private Counter exports(String result) {
        return Counter.builder("tuner.policy.exports").description("Export runs per host, by result")
                .tags("result", result).register(registry);
    }

    void export(String host, String result) {
        exports(result).increment();
        if (!result.equals("failed")) {
            lastSuccess.computeIfAbsent(host, h -> registry.gauge(
                    "tuner.policy.export.last.success.timestamp.seconds", Tags.of("host", h), new AtomicLong(),
                    AtomicLong::doubleValue)).set(System.currentTimeMillis() / 1000);
        }
    }

    void pullRequest(String forge, String result) {
        Counter.builder("tuner.policy.pull.requests").description("Pull request writes and checks, by result")
                .tags("forge", forge, "result", result).register(registry).increment();
    }
}
