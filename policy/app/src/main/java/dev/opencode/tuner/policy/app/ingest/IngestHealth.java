package dev.opencode.tuner.policy.app.ingest;

import dev.opencode.tuner.policy.app.PolicyConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * Health: the consumer thread runs (liveness); the last batch went through, and Kafka answers and has the topic
 * (readiness). The database's readiness check is Quarkus' own datasource check.
 */
final class IngestHealth {
    private IngestHealth() {
    }

    @Liveness
    @ApplicationScoped
    static class ConsumerCheck implements HealthCheck {
        private final IngestService service;

        ConsumerCheck(IngestService service) {
            this.service = service;
        }

        @Override
        public HealthCheckResponse call() {
            return service.alive() ? HealthCheckResponse.up("consumer")
                    : HealthCheckResponse.named("consumer").down().withData("error", service.problem()).build();
        }
    }

    /** Down while batches fail (database or dead-letter topic unavailable): events are not being counted. */
    @Readiness
    @ApplicationScoped
    static class IngestCheck implements HealthCheck {
        private final IngestService service;

        IngestCheck(IngestService service) {
            this.service = service;
        }

        @Override
        public HealthCheckResponse call() {
            String problem = service.problem();
            return problem == null ? HealthCheckResponse.up("ingest")
                    : HealthCheckResponse.named("ingest").down().withData("error", problem).build();
        }
    }

    @Readiness
    @ApplicationScoped
    static class KafkaCheck implements HealthCheck {
        private final PolicyConfig.Kafka config;
        private Admin admin;

        KafkaCheck(PolicyConfig config) {
            this.config = config.kafka();
        }

        private synchronized Admin admin() {
            if (admin == null) {
                Properties p = KafkaConnection.of(config).properties();
                p.put(AdminClientConfig.CLIENT_ID_CONFIG, "opencode-egress-policy-health");
                p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
                p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
                p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
                admin = Admin.create(p);
            }
            return admin;
        }

        @PreDestroy
        synchronized void close() {
            if (admin != null) {
                admin.close();
            }
        }

        @Override
        public HealthCheckResponse call() {
            try {
                String cluster = admin().describeCluster().clusterId().get(3, TimeUnit.SECONDS);
                java.util.regex.Pattern hostTopics = dev.opencode.tuner.kafka.HostTopics.pattern(config.topic());
                long hosts = admin().listTopics().names().get(3, TimeUnit.SECONDS).stream()
                        .filter(t -> hostTopics.matcher(t).matches()).count();
                return HealthCheckResponse.named("kafka").up().withData("cluster", cluster)
                        .withData("topic", config.topic() + ".<host>").withData("hosts", hosts).build();
            } catch (Exception e) { // any failure to get the answer means "not ready", which is the answer
                return HealthCheckResponse.named("kafka").down()
                        .withData("bootstrap", config.bootstrapServers()).withData("topic", config.topic())
                        .withData("error", e.getCause() != null ? e.getCause().toString() : e.toString()).build();
            }
        }
    }
}
