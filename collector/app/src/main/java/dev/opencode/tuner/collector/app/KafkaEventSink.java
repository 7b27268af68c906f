package dev.opencode.tuner.collector.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedEventJson;
import dev.opencode.tuner.collector.EventSink;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces blocked events (schema v1 JSON) keyed {@code host/instance}, so that one instance's events stay ordered
 * in one partition, and malformed lines to their own topic. The plain Kafka client is used rather than SmallRye
 * Reactive Messaging: the journal cursor may only advance on the broker's per-record acknowledgement, and the
 * follower's own bounded in-flight window is the backpressure, which a send callback expresses directly.
 */
final class KafkaEventSink implements EventSink, AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final KafkaProducer<String, String> producer;
    private final CollectorConfig.Kafka config;

    KafkaEventSink(CollectorConfig.Kafka config) {
        this.config = config;
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) config.deliveryTimeout().toMillis());
        // delivery.timeout.ms must cover linger.ms + request.timeout.ms: derive the request timeout from it.
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                (int) Math.max(1_000, Math.min(15_000, config.deliveryTimeout().toMillis() / 2)));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) config.deliveryTimeout().toMillis());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "opencode-egress-collector");
        producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    static String key(String host, String instance) {
        return host + "/" + instance;
    }

    @Override
    public void blocked(BlockedEvent event, Completion completion) {
        ProducerRecord<String, String> record = new ProducerRecord<>(config.topic(),
                key(event.host(), event.instance()), BlockedEventJson.write(event));
        record.headers().add("event-id", event.id().getBytes(StandardCharsets.US_ASCII));
        record.headers().add("schema-version",
                Integer.toString(BlockedEventJson.SCHEMA_VERSION).getBytes(StandardCharsets.US_ASCII));
        send(record, completion);
    }

    @Override
    public void malformed(MalformedLine line, Completion completion) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("host", line.host());
        node.put("instance", line.instance());
        node.put("reason", line.reason());
        node.put("message", line.message());
        node.put("cursor", line.cursor());
        send(new ProducerRecord<>(config.malformedTopic(), key(line.host(), String.valueOf(line.instance())),
                node.toString()), completion);
    }

    /** Produces a host's state (JSON, {@code HostStateJson}) to {@code topic}, keyed by the host. */
    public void hostState(String topic, String host, String json, Completion completion) {
        send(new ProducerRecord<>(topic, host, json), completion);
    }

    private void send(ProducerRecord<String, String> record, Completion completion) {
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    completion.acknowledged();
                } else {
                    completion.failed(error);
                }
            });
        } catch (RuntimeException e) { // e.g. max.block.ms elapsed while the broker is unreachable
            completion.failed(e);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
