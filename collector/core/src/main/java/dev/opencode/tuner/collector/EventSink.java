package dev.opencode.tuner.collector;

import dev.opencode.tuner.blocked.BlockedEvent;

/**
 * Where the follower sends what it read (Kafka in the collector application). Each call must complete its
 * {@link Completion} exactly once, from any thread, when the record is durably stored or definitely failed. A call
 * may block; the follower bounds the records in flight itself.
 */
public interface EventSink {
    /** Completion callback of one record. */
    interface Completion {
        void acknowledged();

        void failed(Throwable cause);
    }

    /** A kernel line with the blocked prefix whose packet description could not be used. */
    record MalformedLine(String host, String instance, String reason, String message, String cursor) {
    }

    void blocked(BlockedEvent event, Completion completion);

    void malformed(MalformedLine line, Completion completion);
}
