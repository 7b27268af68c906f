package dev.opencode.tuner.policy.app.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedEventJson;
import dev.opencode.tuner.blocked.BlockedLine;
import dev.opencode.tuner.blocked.Transport;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class RecordDecoderTest {
    private static final BlockedEvent EVENT = new BlockedEvent("0123456789abcdef0123456789abcdef", "vm-1",
            Instant.parse("2026-11-25T10:00:00.000001Z"), Transport.KERNEL, new BlockedLine("web", 4, "tcp",
            "10.0.0.2", "192.0.2.1", 40000, 443, 984L, 984L, "eth0", "", null, null, null));

    private static final RecordDecoder DECODER = new RecordDecoder("opencode.egress.blocked");

    private static Object decode(byte[] value) {
        return decode("opencode.egress.blocked.vm-1", value);
    }

    private static Object decode(String topic, byte[] value) {
        return DECODER.decode(new ConsumerRecord<>(topic, 0, 7, "vm-1/web".getBytes(), value));
    }

    private static Object decode(String value) {
        return decode(value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheCollectorsJson() {
        assertThat(decode(BlockedEventJson.write(EVENT))).isEqualTo(EVENT);
    }

    @Test
    void rejectsWithTheFieldAtFault() {
        String json = BlockedEventJson.write(EVENT);
        assertRejected(decode((byte[]) null), "$", "tombstone");
        assertRejected(decode(new byte[] {(byte) 0xc3, 0x28}), "$", "not UTF-8");
        assertRejected(decode("[1,2]"), "$", "expected a JSON object");
        assertRejected(decode(json.replace("\"192.0.2.1\"", "\"192.0.2.999\"")), "destination", "is not an IPv4 address");
        assertRejected(decode(json.replace("\"kernel\"", "\"unknown\"")), "transport", "kernel transport");
        assertRejected(decode(json.replace("\"tcp\"", "\"tcp,udp\"")), "protocol", "got 'tcp,udp'");
        assertRejected(decode(json.replace("\"tcp\"", "\"256\"")), "protocol", "0..255");
        assertRejected(decode(json.replace("\"vm-1\"", "\"vm\\u0000-1\"")), "host", "control character U+0000");
        assertRejected(decode(json.replace("\"vm-1\"", "\"vm\\ud800\"")), "host", "unpaired surrogate U+D800");
        assertRejected(decode(json.replace("\"tcp\"", "\"047\"")), "protocol", "0..255");
    }

    @Test
    void countsARecordOnlyForTheHostOfItsTopic() {
        byte[] json = BlockedEventJson.write(EVENT).getBytes(StandardCharsets.UTF_8);
        assertThat(decode("opencode.egress.blocked.vm-1", json)).isEqualTo(EVENT);
        assertRejected(decode("opencode.egress.blocked.vm-2", json), "host",
                "claims host 'vm-1' but was written to 'opencode.egress.blocked.vm-2', which only the collector of"
                        + " host 'vm-2' may write");
        assertRejected(decode("opencode.egress.blocked", json), "host", "which is no host's topic");
        assertRejected(decode("opencode.egress.blocked.vm-1.extra", json), "host", "not proven");
        assertRejected(decode("other.vm-1", json), "host", "not proven");
    }

    @Test
    void acceptsEveryProtocolTheParserPrints() {
        String json = BlockedEventJson.write(EVENT);
        for (String protocol : new String[] {"udp", "udplite", "icmp", "icmpv6", "ah", "esp", "sctp", "0", "47",
            "255"}) {
            assertThat(decode(json.replace("\"tcp\"", "\"" + protocol + "\""))).isInstanceOf(BlockedEvent.class);
        }
        assertThat(decode(json.replace("\"protocol\":\"tcp\"", "\"protocol\":null"))).isInstanceOf(BlockedEvent.class);
    }

    private static void assertRejected(Object result, String field, String reason) {
        assertThat(result).isInstanceOf(RecordDecoder.Rejected.class);
        RecordDecoder.Rejected rejected = (RecordDecoder.Rejected) result;
        assertThat(rejected.field()).isEqualTo(field);
        assertThat(rejected.reason()).contains(reason);
        assertThat(rejected.record().offset()).isEqualTo(7);
    }
}
