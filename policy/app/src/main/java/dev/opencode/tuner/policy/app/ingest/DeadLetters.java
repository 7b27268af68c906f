package dev.opencode.tuner.policy.app.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The dead-letter topic: each rejected record is produced there unchanged (key, value, headers) with the reason and
 * its origin in headers. {@link #send} returns only when the broker acknowledged every record, so that the source
 * offsets can be committed after it (at-least-once: a dead letter may be written twice, never lost).
 */
final class DeadLetters implements AutoCloseable {
    static final String REASON = "dead-letter-reason";
    static final String FIELD = "dead-letter-field";
    static final String TOPIC = "dead-letter-topic";
    static final String PARTITION = "dead-letter-partition";
    static final String OFFSET = "dead-letter-offset";

    private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(30);
    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;

    DeadLetters(KafkaConnection kafka, String topic, String clientId) {
        this.topic = topic;
        Properties p = kafka.properties();
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) DELIVERY_TIMEOUT.toMillis());
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Thrown when the dead-letter topic did not acknowledge a record: the batch is retried, nothing committed. */
    static final class DeliveryException extends Exception {
        DeliveryException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    void send(List<RecordDecoder.Rejected> rejected) throws DeliveryException {
        if (rejected.isEmpty()) {
            return;
        }
        List<Future<RecordMetadata>> pending = new ArrayList<>(rejected.size());
        try {
            for (RecordDecoder.Rejected r : rejected) {
                ConsumerRecord<byte[], byte[]> source = r.record();
                ProducerRecord<byte[], byte[]> letter = new ProducerRecord<>(topic, null, source.key(), source.value());
                for (Header h : source.headers()) {
                    letter.headers().add(h);
                }
                letter.headers().add(REASON, bytes(r.reason()));
                letter.headers().add(FIELD, bytes(r.field()));
                letter.headers().add(TOPIC, bytes(source.topic()));
                letter.headers().add(PARTITION, bytes(Integer.toString(source.partition())));
                letter.headers().add(OFFSET, bytes(Long.toString(source.offset())));
                pending.add(producer.send(letter));
            }
            for (Future<RecordMetadata> f : pending) {
                f.get(DELIVERY_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
            }
        } catch (ExecutionException e) {
            throw new DeliveryException("the dead-letter topic " + topic + " did not acknowledge: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException | RuntimeException e) {
            throw new DeliveryException("the dead-letter topic " + topic + " did not acknowledge: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeliveryException("interrupted while writing to the dead-letter topic " + topic, e);
        }
    }

    /**
     * Creates the topic when it is missing, with the broker's default replication factor and one partition (dead
     * letters are rare and read by people). Returns an error message, or empty when the topic exists now.
     */
    static Optional<String> ensureTopic(KafkaConnection kafka, String topic) {
        Properties p = kafka.properties();
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())
                    .configs(Map.of("retention.ms", Long.toString(Duration.ofDays(30).toMillis())))))
                    .all().get(15, TimeUnit.SECONDS);
            return Optional.empty();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return Optional.empty();
            }
            return Optional.of(e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            return Optional.of("no answer from " + kafka.bootstrapServers() + " within 15 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
