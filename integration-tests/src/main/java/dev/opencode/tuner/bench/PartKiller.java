package dev.opencode.tuner.bench;

import dev.opencode.tuner.stack.PartStatus;
import dev.opencode.tuner.stack.Stack;
import dev.opencode.tuner.stack.StackException;
import dev.opencode.tuner.stack.StackOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * Kills one part of a running stack with SIGKILL and heals it as an operator's first reflex would: {@code ./tuner up}
 * (here {@link Stack#up} with the options the stack was started with), called again while it fails, for up to
 * {@link #HEAL_LIMIT}. The time is measured from the signal until {@code up} returned with every part healthy.
 */
final class PartKiller {
    static final Duration HEAL_LIMIT = Duration.ofMinutes(3);

    private final Path state;
    private final StackOptions options;

    PartKiller(Path state, StackOptions options) {
        this.state = state;
        this.options = options;
    }

    /** Kills {@code part}, waits until its process is gone, heals the stack; {@code journal} says where it stood. */
    Kill killAndHeal(String part, JournalCounts journal) throws InterruptedException {
        PartStatus status = Stack.status(state).parts().stream().filter(p -> p.part().equals(part)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no part '" + part + "' in " + state));
        if (!status.healthy() || status.pid() == null) {
            throw new IllegalStateException(part + " is not running before its kill (" + status.detail() + "); see "
                    + status.logs());
        }
        long pid = status.pid();
        ProcessHandle handle = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException(
                part + " (pid " + pid + ") exited before its kill; see " + status.logs()));
        long t0 = System.nanoTime();
        Instant killedAt = Instant.now();
        handle.destroyForcibly(); // SIGKILL
        awaitGone(part, pid);
        int calls = 0;
        while (true) {
            calls++;
            try {
                Stack.up(state, options);
                break;
            } catch (StackException e) {
                if (System.nanoTime() - t0 > HEAL_LIMIT.toNanos()) {
                    throw new IllegalStateException("./tuner up did not heal the stack within " + HEAL_LIMIT
                            + " after " + part + " was killed (" + calls + " calls); the last error: "
                            + e.getMessage(), e);
                }
                System.err.println("chaos: ./tuner up failed after killing " + part + ", calling it again: "
                        + e.getMessage().lines().findFirst().orElse(""));
                Thread.sleep(1_000);
            }
        }
        Duration healed = Duration.ofNanos(System.nanoTime() - t0);
        return new Kill(part, pid, killedAt, healed, calls, journal.total(killedAt.plus(healed)));
    }

    /** Until the process has exited, or is a zombie whose threads have all finished (its files and sockets closed). */
    private static void awaitGone(String part, long pid) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!gone(pid)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(part + " (pid " + pid + ") survived SIGKILL for 30 s");
            }
            Thread.sleep(20);
        }
    }

    private static boolean gone(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            String stat = Files.readString(proc.resolve("stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            if (state != 'Z' && state != 'X') {
                return false;
            }
            try (var tasks = Files.list(proc.resolve("task"))) {
                return tasks.count() <= 1;
            }
        } catch (IOException e) {
            return true; // no such process any more
        }
    }
}
