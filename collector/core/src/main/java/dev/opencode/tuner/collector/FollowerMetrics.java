package dev.opencode.tuner.collector;

/** What the follower counts; the application binds it to Micrometer. Labels never carry addresses. */
public interface FollowerMetrics {
    /** Journal entries read (kernel and journald driver entries matched). */
    default void entriesRead(long count) {
    }

    default void blockedProduced() {
    }

    default void malformed() {
    }

    /** A line with the blocked prefix whose transport was not kernel (it came through the MESSAGE_ID match). */
    default void spoofed() {
    }

    /** A kernel line whose UID is not the instance user's (see {@link JournalFollower}): never an event. */
    default void uidMismatch() {
    }

    default void produceFailed() {
    }

    /** After failed deliveries, reading went back to the saved cursor (what followed it is read and sent again). */
    default void rewound() {
    }

    /** journald's "Missed N kernel messages": loss upstream of the journal. */
    default void missedKernelMessages(long count) {
    }

    /** The saved cursor's entry no longer exists (vacuumed or rotated away): some entries may be lost. */
    default void cursorGone() {
    }

    /** Seconds between now and the reception time of the last entry read. */
    default void lagSeconds(double seconds) {
    }

    default void committed() {
    }
}
