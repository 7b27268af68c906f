package dev.opencode.tuner.blocked;

import java.time.Instant;
import java.util.Objects;

/**
 * One blocked outbound attempt: a parsed kernel line plus where and when it was logged. Its JSON form (the Kafka
 * record format) is described by {@code schema/blocked-event-v1.schema.json} and written by {@link BlockedEventJson}.
 *
 * @param id        stable id derived from the journal entry ({@link EventId}); the same entry always gives the same id
 * @param host      the host whose kernel logged it ({@code _HOSTNAME})
 * @param time      when journald received it (realtime clock); null only for plain-text input without a wall clock
 *                  (dmesg), which never reaches Kafka
 * @param transport how the line reached us
 * @param line      the parsed packet description
 */
public record BlockedEvent(String id, String host, Instant time, Transport transport, BlockedLine line) {
    public BlockedEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(line, "line");
    }

    public String instance() {
        return line.instance();
    }
}
