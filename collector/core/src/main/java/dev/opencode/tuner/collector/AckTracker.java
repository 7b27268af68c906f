package dev.opencode.tuner.collector;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Ordered acknowledgements, like Vector's ordered finalizer: Kafka acknowledges records of different partitions out
 * of order, but the journal cursor may only advance to a position all of whose earlier events are acknowledged.
 * Slots are registered in read order: one per produced event, and checkpoints carrying a cursor. Thread-safe.
 */
public final class AckTracker {
    /** One registered position. */
    public static final class Slot {
        private final String cursor;
        private boolean done;
        private boolean settled;

        private Slot(String cursor, boolean done) {
            this.cursor = cursor;
            this.done = done;
            this.settled = done;
        }
    }

    private final Deque<Slot> slots = new ArrayDeque<>();
    private int inFlight;
    private int failures;

    /** Registers a produced event; call {@link #acknowledge} when Kafka confirmed it. */
    public synchronized Slot event() {
        Slot slot = new Slot(null, false);
        slots.addLast(slot);
        inFlight++;
        return slot;
    }

    /** Registers a position (the cursor of the last entry read) that becomes committable once all before it are. */
    public synchronized void checkpoint(String cursor) {
        slots.addLast(new Slot(cursor, true));
    }

    public synchronized void acknowledge(Slot slot) {
        if (!slot.settled) {
            slot.settled = true;
            slot.done = true;
            inFlight--;
            notifyAll();
        }
    }

    /** The event could not be delivered: the cursor never advances past it until the follower rewinds. */
    public synchronized void fail(Slot slot) {
        if (!slot.settled) {
            slot.settled = true;
            failures++;
            inFlight--;
            notifyAll();
        }
    }

    /** Failed deliveries since the last {@link #reset()}. */
    public synchronized int failures() {
        return failures;
    }

    /** Waits until no event is in flight (all acknowledged or failed), up to {@code millis}; returns whether so. */
    public synchronized boolean awaitSettled(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (inFlight > 0) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    /** Events produced but not acknowledged yet. */
    public synchronized int inFlight() {
        return inFlight;
    }

    /**
     * Removes the acknowledged prefix and returns the newest cursor in it, or null when nothing new is committable.
     */
    public synchronized String drainCommittable() {
        String cursor = null;
        while (!slots.isEmpty() && slots.peekFirst().done) {
            Slot slot = slots.pollFirst();
            if (slot.cursor != null) {
                cursor = slot.cursor;
            }
        }
        return cursor;
    }

    /**
     * Forgets everything, once nothing is in flight: after a failed send the follower rewinds to the last committed
     * cursor and reads (and produces) again from there.
     */
    public synchronized void reset() {
        if (inFlight != 0) {
            throw new IllegalStateException(inFlight + " events still in flight: await settlement before a reset");
        }
        slots.clear();
        failures = 0;
    }
}
