package dev.opencode.tuner.collector.app;

import dev.opencode.tuner.journal.Journal;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** Health: the journal is readable and followed (liveness), Kafka answers (readiness). */
final class CollectorHealth {
    private CollectorHealth() {
    }

    @Liveness
    @ApplicationScoped
    static class JournalCheck implements HealthCheck {
        private final CollectorService service;

        JournalCheck(CollectorService service) {
            this.service = service;
        }

        @Override
        public HealthCheckResponse call() {
            Throwable cause = Journal.unavailabilityCause();
            if (cause != null) {
                return HealthCheckResponse.named("journal").down().withData("error",
                        "libsystemd cannot be loaded: " + cause.getMessage()).build();
            }
            String problem = service.problem();
            return problem == null ? HealthCheckResponse.up("journal")
                    : HealthCheckResponse.named("journal").down().withData("error", problem).build();
        }
    }

    @Readiness
    @ApplicationScoped
    static class KafkaCheck implements HealthCheck {
        private final CollectorConfig config;

        KafkaCheck(CollectorConfig config) {
            this.config = config;
        }

        @Override
        public HealthCheckResponse call() {
            Properties p;
            try {
                p = KafkaEventSink.connection(config.kafka(), config.host().orElseGet(HostStateReporter::kernelHostname));
            } catch (RuntimeException e) {
                return HealthCheckResponse.named("kafka").down().withData("error", e.getMessage()).build();
            }
            p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
            p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000);
            try (AdminClient admin = AdminClient.create(p)) {
                String cluster = admin.describeCluster().clusterId().get(3, TimeUnit.SECONDS);
                return HealthCheckResponse.named("kafka").up().withData("cluster", cluster).build();
            } catch (Exception e) { // any failure to reach the broker means "not ready", which is the answer
                return HealthCheckResponse.named("kafka").down()
                        .withData("bootstrap", config.kafka().bootstrapServers())
                        .withData("error", e.getClass().getSimpleName()).build();
            }
        }
    }
}
