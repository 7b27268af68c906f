package dev.opencode.tuner.policy.app.metrics;

import dev.opencode.tuner.policy.app.PolicyConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * The consumer group's lag per partition of the blocked-event topic, {@code tuner_policy_consumer_lag_records}:
 * the partition's end offset minus the group's committed offset (minus the log start when nothing is committed yet).
 * Computed from the broker with an admin client, not read from the consumer, so it keeps growing when the consumer
 * is stuck, which is exactly when it matters. Refreshed every {@code tuner.policy.metrics.refresh-interval}.
 */
@ApplicationScoped
public class ConsumerLag {
    private static final Logger LOG = Logger.getLogger(ConsumerLag.class);
    private static final long TIMEOUT_SECONDS = 10;

    private final PolicyConfig.Kafka kafka;
    private final MeterRegistry registry;
    private final Counter errors;
    private final Map<TopicPartition, AtomicLong> lagByPartition = new ConcurrentHashMap<>();
    private Admin admin;

    ConsumerLag(PolicyConfig config, MeterRegistry registry) {
        this.kafka = config.kafka();
        this.registry = registry;
        this.errors = Counter.builder("tuner.policy.metrics.refresh.errors").tag("source", "kafka")
                .description("Refreshes of the metrics read from PostgreSQL or Kafka that failed (retried at the"
                        + " next interval)").register(registry);
    }

    @Scheduled(every = "${tuner.policy.metrics.refresh-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduledRefresh() {
        try {
            refresh();
        } catch (ExecutionException | TimeoutException e) {
            errors.increment();
            LOG.warnf("computing the consumer lag failed (retried in the next interval): %s", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Asks the broker for end offsets and the group's committed offsets, and publishes their difference. */
    public synchronized void refresh() throws ExecutionException, InterruptedException, TimeoutException {
        Admin a = admin();
        java.util.regex.Pattern hostTopics = dev.opencode.tuner.kafka.HostTopics.pattern(kafka.topic());
        List<String> names = a.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).stream()
                .filter(t -> hostTopics.matcher(t).matches()).sorted().toList();
        if (names.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        for (TopicDescription topic : a.describeTopics(names).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .values()) {
            topic.partitions().forEach(p -> {
                latest.put(new TopicPartition(topic.name(), p.partition()), OffsetSpec.latest());
                earliest.put(new TopicPartition(topic.name(), p.partition()), OffsetSpec.earliest());
            });
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = a.listOffsets(latest).all()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = a.listOffsets(earliest).all()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetAndMetadata> committed = a.listConsumerGroupOffsets(kafka.groupId())
                .partitionsToOffsetAndMetadata().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        ends.forEach((tp, end) -> {
            OffsetAndMetadata c = committed.get(tp);
            long from = c != null ? c.offset() : starts.get(tp).offset();
            lagByPartition.computeIfAbsent(tp, p -> register(tp)).set(Math.max(0, end.offset() - from));
        });
    }

    private AtomicLong register(TopicPartition tp) {
        AtomicLong holder = new AtomicLong();
        Gauge.builder("tuner.policy.consumer.lag.records", holder, AtomicLong::get)
                .tags(Tags.of("topic", tp.topic(), "partition", Integer.toString(tp.partition())))
                .description("Records of a host's blocked-event topic not yet committed by the policy consumer group,"
                        + " per partition (end offset minus committed offset, from the broker)")
                .register(registry);
        return holder;
    }

    private Admin admin() {
        if (admin == null) {
            Properties p = dev.opencode.tuner.policy.app.ingest.KafkaConnection.of(kafka).properties();
            p.put(AdminClientConfig.CLIENT_ID_CONFIG, "opencode-egress-policy-lag");
            p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
            p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
            admin = Admin.create(p);
        }
        return admin;
    }

    synchronized void onStop(@Observes ShutdownEvent event) {
        if (admin != null) {
            admin.close();
            admin = null;
        }
    }
}
