package dev.opencode.tuner.policy.app.ingest;

import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.blocked.BlockedEventJson;
import dev.opencode.tuner.blocked.Transport;
import dev.opencode.tuner.blocked.Untrusted;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import dev.opencode.tuner.kafka.HostTopics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;

/**
 * Turns raw Kafka records into blocked events, or into dead letters with the reason. Never throws: a record that
 * cannot be read is a value ({@link Rejected}), so that one poison record cannot stall the partition behind it.
 *
 * <p>On top of the schema v1 checks of {@link BlockedEventJson#read} (which name the failing field), the policy
 * service accepts only what the collector can produce: events read from the kernel transport, with a protocol the
 * kernel line parser can output.
 */
final class RecordDecoder {
    /** What {@code BlockedLineParser} outputs: the names the kernel prints, lowercased, or a number 0..255. */
    private static final Set<String> PROTOCOL_NAMES =
            Set.of("tcp", "udp", "udplite", "icmp", "icmpv6", "ah", "esp", "sctp");

    /** A record read as a blocked event. */
    record Accepted(ConsumerRecord<byte[], byte[]> record, BlockedEvent event) {
    }

    /** A record that goes to the dead-letter topic: {@code field} is the JSON field at fault, or {@code $}. */
    record Rejected(ConsumerRecord<byte[], byte[]> record, String field, String reason) {
    }

    /** A batch, split; {@code hostNotProven} of the rejected claimed a host other than their topic's. */
    record Decoded(List<Accepted> accepted, List<Rejected> rejected, int hostNotProven) {
        List<BlockedEvent> events() {
            List<BlockedEvent> events = new ArrayList<>(accepted.size());
            accepted.forEach(a -> events.add(a.event()));
            return events;
        }
    }

    /** The field of a record whose host is not the host of the topic it was written to. */
    static final String HOST_NOT_PROVEN = "host";

    private final String topicBase;

    /** @param topicBase the base of the per-host topics: a record of {@code <base>.<host>} speaks for that host only */
    RecordDecoder(String topicBase) {
        this.topicBase = topicBase;
    }

    Decoded decode(ConsumerRecords<byte[], byte[]> records) {
        List<Accepted> accepted = new ArrayList<>(records.count());
        List<Rejected> rejected = new ArrayList<>();
        int notProven = 0;
        for (ConsumerRecord<byte[], byte[]> record : records) {
            Object result = decode(record);
            if (result instanceof BlockedEvent event) {
                accepted.add(new Accepted(record, event));
            } else {
                Rejected r = (Rejected) result;
                rejected.add(r);
                if (r.reason().startsWith(NOT_PROVEN_PREFIX)) {
                    notProven++;
                }
            }
        }
        return new Decoded(accepted, rejected, notProven);
    }

    private static final String NOT_PROVEN_PREFIX = "host: not proven: ";

    /** A {@link BlockedEvent} or a {@link Rejected}. */
    Object decode(ConsumerRecord<byte[], byte[]> record) {
        Object event = decodeValue(record);
        if (event instanceof BlockedEvent e) {
            java.util.Optional<String> proven = HostTopics.hostOf(topicBase, record.topic());
            if (proven.isEmpty() || !proven.get().equals(e.host())) {
                // Only the host's own collector account may write <base>.<host>: the topic is the proof, the
                // field a claim. A record claiming another host is a forgery or a misrouted journal; never counted.
                return new Rejected(record, HOST_NOT_PROVEN, NOT_PROVEN_PREFIX + "the record claims host "
                        + Untrusted.quote(e.host()) + " but was written to " + Untrusted.quote(record.topic())
                        + (proven.isPresent() ? ", which only the collector of host " + Untrusted.quote(proven.get())
                        + " may write" : ", which is no host's topic") + "; it is not counted for any host");
            }
        }
        return event;
    }

    /** A {@link BlockedEvent} or a {@link Rejected}, from the record's value alone. */
    static Object decodeValue(ConsumerRecord<byte[], byte[]> record) {
        byte[] value = record.value();
        if (value == null) {
            return new Rejected(record, "$", "$: the record has no value (a tombstone): expected a blocked event (JSON,"
                    + " schema v" + BlockedEventJson.SCHEMA_VERSION + ")");
        }
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return new Rejected(record, "$", "$: the value is not UTF-8 text (" + value.length + " bytes)");
        }
        BlockedEvent event;
        try {
            event = BlockedEventJson.read(json);
        } catch (BlockedEventJson.InvalidEventException e) {
            return new Rejected(record, e.field(), e.getMessage());
        } catch (RuntimeException e) {
            // The codec turns every bad input into InvalidEventException; anything else (say, a parser limit) is
            // still a property of this record, not of the service: dead-letter it rather than stall on it.
            return new Rejected(record, "$", "$: unreadable: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        if (event.transport() != Transport.KERNEL) {
            return new Rejected(record, "transport", "transport: only events read from the kernel transport are"
                    + " counted, got '" + event.transport().json() + "' (its origin cannot be checked)");
        }
        String badHost = controlCharacter(event.host());
        if (badHost != null) {
            // journald's _HOSTNAME is the kernel's host name, which sethostname() does not check; PostgreSQL text
            // cannot hold NUL, and control characters have no place in a name shown to reviewers.
            return new Rejected(record, "host", "host: " + Untrusted.quote(event.host()) + " contains " + badHost);
        }
        String protocol = event.line().protocol();
        if (protocol != null && !isProtocol(protocol)) {
            return new Rejected(record, "protocol", "protocol: expected one of " + PROTOCOL_NAMES.stream().sorted()
                    .toList() + " or a protocol number 0..255, got " + Untrusted.quote(protocol));
        }
        return event;
    }

    /** The first control character or unpaired surrogate of {@code text}, described; null when it has none. */
    private static String controlCharacter(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
                return String.format("the control character U+%04X", (int) c);
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return String.format("an unpaired surrogate U+%04X", (int) c);
            }
        }
        return null;
    }

    private static boolean isProtocol(String protocol) {
        if (PROTOCOL_NAMES.contains(protocol)) {
            return true;
        }
        if (protocol.isEmpty() || protocol.length() > 3 || (protocol.length() > 1 && protocol.charAt(0) == '0')) {
            return false;
        }
        for (int i = 0; i < protocol.length(); i++) {
            if (protocol.charAt(i) < '0' || protocol.charAt(i) > '9') {
                return false;
            }
        }
        return Integer.parseInt(protocol) <= 255;
    }
}
