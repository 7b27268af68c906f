package dev.opencode.tuner.policy.app;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedEventJson;
import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.Transport;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Blocked events as the collector produces them (schema v1 JSON, key host/instance), and a producer for them. */
public final class TestEvents implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Recent enough for the dedupe retention, with microseconds as journald records them. */
    public static final Instant T0 = Instant.now().minus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS)
            .plusNanos(123_456_000);

    private final java.util.Map<String, KafkaProducer<byte[], byte[]>> producers = new java.util.HashMap<>();

    public TestEvents() {
    }

    /** A producer logged in as {@code host}'s collector, writing that host's topic, as the real collector does. */
    private synchronized KafkaProducer<byte[], byte[]> producer(String host) {
        return producers.computeIfAbsent(host, h -> {
            Properties p = new Properties();
            p.putAll(PolicyStack.collector(h).clientProperties());
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, PolicyStack.bootstrapServers());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        });
    }

    public static String newId() {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    public static BlockedEvent event(String host, String instance, String destination, String protocol, Integer port,
                                     String source, Instant time) {
        boolean v6 = destination.indexOf(':') >= 0;
        BlockedLine line = new BlockedLine(instance, v6 ? 6 : 4, protocol, source, destination,
                port == null ? null : 40000, port, 984L, 984L, "eth0", "", null, null, null);
        return new BlockedEvent(newId(), host, time, Transport.KERNEL, line);
    }

    public static BlockedEvent tcp(String host, String instance, String destination, int port, int second) {
        boolean v6 = destination.indexOf(':') >= 0;
        return event(host, instance, destination, "tcp", port, v6 ? "fd00::2" : "10.211.0." + (2 + second % 7),
                T0.plusSeconds(second));
    }

    public static String key(String host, String instance) {
        return host + "/" + instance;
    }

    /** Produces the events in order, keyed as the collector keys them, and waits for the acknowledgements. */
    public void send(List<BlockedEvent> events) {
        List<java.util.concurrent.Future<?>> sent = new java.util.ArrayList<>();
        for (BlockedEvent e : events) {
            sent.add(sendRaw(key(e.host(), e.instance()), BlockedEventJson.write(e).getBytes(StandardCharsets.UTF_8),
                    false));
        }
        producers.values().forEach(KafkaProducer::flush);
        for (java.util.concurrent.Future<?> f : sent) { // a refused record fails the test here, never silently
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (Exception ex) {
                throw new AssertionError("producing a test event failed", ex);
            }
        }
    }

    /** Produces a raw value to the topic of the key's host ({@code host/instance}), as that host's collector. */
    public void sendRaw(String key, byte[] value) {
        sendRaw(key, value, true);
    }

    private java.util.concurrent.Future<?> sendRaw(String key, byte[] value, boolean wait) {
        String host = key.substring(0, key.indexOf('/'));
        String topic = PolicyStack.topic(host);
        var future = producer(host).send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
        if (wait) {
            try {
                future.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("producing to " + topic + " failed", e);
            }
        }
        return future;
    }

    @Override
    public synchronized void close() {
        producers.values().forEach(KafkaProducer::close);
    }
}
