package dev.opencode.tuner.it;

import dev.opencode.tuner.hoststate.HostState;
import dev.opencode.tuner.hoststate.HostStateJson;
import dev.opencode.tuner.kafka.HostTopics;
import dev.opencode.tuner.stack.TunerTopics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** A host's host-state topic on the stack's Kafka, written to by the tests as the host's collector would. */
final class HostStateTopic {
    private HostStateTopic() {
    }

    /**
     * Publishes a host's nftables state to {@code opencode.egress.host-state.<host>}, keyed by host, logged in as that
     * host's collector (the stack in {@code state} must have provisioned its account: its collector's host).
     */
    static void publish(Path state, String bootstrap, HostState hostState) throws Exception {
        Properties p = KafkaLogins.client(KafkaLogins.collector(state, hostState.host()), bootstrap);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(HostTopics.topic(TunerTopics.defaults().hostState(), hostState.host()),
                    hostState.host().getBytes(StandardCharsets.UTF_8),
                    HostStateJson.write(hostState).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        }
    }
}
