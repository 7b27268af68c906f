package dev.opencode.tuner.collector.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedEventJson;
import dev.opencode.tuner.collector.EventSink;
import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.kafka.HostTopics;
import dev.opencode.tuner.kafka.KafkaLogin;
import io.micrometer.core.instrument.Counter;
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
 *
 * <p>The collector speaks for one host: everything goes to that host's topics ({@code <base>.<host>}), which only
 * this host's Kafka account may write. An entry whose {@code _HOSTNAME} names another host (a journal directory
 * gathered from several machines) is routed aside as malformed and counted; it never becomes that host's evidence.
 */
final class KafkaEventSink implements EventSink, AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final KafkaProducer<String, String> producer;
    private final CollectorConfig.Kafka config;
    private final String host;
    private final String topic;
    private final String malformedTopic;
    private final Counter foreign;

    /** The account name of a host's collector when none is configured. */
    static String defaultUsername(String host) {
        return "collector-" + host;
    }

    KafkaEventSink(CollectorConfig.Kafka config, String host, Counter foreign) {
        this.config = config;
        this.host = host;
        this.foreign = foreign;
        try {
            this.topic = HostTopics.topic(config.topic(), host);
            this.malformedTopic = HostTopics.topic(config.malformedTopic(), host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tuner.collector.host: " + e.getMessage(), e);
        }
        Properties p = connection(config, host);
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

    /** Bootstrap servers and the SCRAM login of {@code host}'s account: the base of every Kafka client here. */
    static Properties connection(CollectorConfig.Kafka config, String host) {
        Properties p = new Properties();
        p.putAll(KafkaLogin.clientProperties("tuner.collector.kafka",
                config.username().orElse(defaultUsername(host)), config.passwordFile().orElse(null)));
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        return p;
    }

    static String key(String host, String instance) {
        return host + "/" + instance;
    }

    @Override
    public void blocked(BlockedEvent event, Completion completion) {
        if (!host.equals(event.host())) {
            foreign.increment();
            malformed(new MalformedLine(event.host(), event.instance(), "_HOSTNAME " + Untrusted.quote(event.host())
                    + " is not this collector's host '" + host + "' (tuner.collector.host): it cannot speak for it",
                    BlockedEventJson.write(event), ""), completion);
            return;
        }
        ProducerRecord<String, String> record = new ProducerRecord<>(topic,
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
        send(new ProducerRecord<>(malformedTopic, key(line.host(), String.valueOf(line.instance())),
                node.toString()), completion);
    }

    /** Produces this host's state (JSON, {@code HostStateJson}) to {@code <base>.<host>}, keyed by the host. */
    public void hostState(String base, String json, Completion completion) {
        send(new ProducerRecord<>(HostTopics.topic(base, host), host, json), completion);
    }

    String host() {
        return host;
    }

    String topic() {
        return topic;
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
