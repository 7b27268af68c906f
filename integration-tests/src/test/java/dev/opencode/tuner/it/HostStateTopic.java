package dev.opencode.tuner.it;

import dev.opencode.tuner.hoststate.HostState;
import dev.opencode.tuner.hoststate.HostStateJson;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The stack's host-state topic, written to by the tests as a host's collector would. */
final class HostStateTopic {
    private HostStateTopic() {
    }

    /** Publishes a host's nftables state to the host-state topic, keyed by host, as the host's collector does. */
    static void publish(String bootstrap, HostState state) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("opencode.egress.host-state", state.host().getBytes(
                    StandardCharsets.UTF_8), HostStateJson.write(state).getBytes(StandardCharsets.UTF_8)))
                    .get(30, TimeUnit.SECONDS);
        }
    }
}
