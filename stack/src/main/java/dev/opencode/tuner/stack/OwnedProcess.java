package dev.opencode.tuner.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * A process this stack started, identified by its pid, its start time (in clock ticks since boot, from
 * {@code /proc/<pid>/stat}) and a marker that its command line contains (the state directory's config path). A pid
 * that the kernel has since given to another process matches none of these, so it is never signalled.
 */
public record OwnedProcess(long pid, long startTicks, String marker) {

  /** How {@link #stop} ended. */
  public enum StopOutcome {
    /** It exited after SIGTERM (or the part's own stop command) within the grace period. */
    STOPPED,
    /** It ignored SIGTERM for the grace period and was killed with SIGKILL. */
    KILLED,
    /** It was no longer running (or its pid now belongs to another process, which was left alone). */
    NOT_RUNNING
  }

  /** Identifies a process that was just started; fails when it already exited. */
  public static OwnedProcess of(long pid, String marker) {
    ProcStat stat = ProcStat.read(pid)
        .orElseThrow(() -> new StackException("process " + pid + " exited right after it was started"));
    return new OwnedProcess(pid, stat.startTicks(), marker);
  }

  /**
   * True when the pid is alive (not a zombie), started when recorded, and its command line holds the marker. While
   * the process is in the middle of an {@code execve} (as {@code setsid} becomes {@code java} right after the start)
   * the kernel shows an empty or half-copied command line ({@code "s"}) for a moment, so a command line without the
   * marker is read again, up to {@value #EXEC_READS} times {@value #EXEC_PAUSE_MILLIS} ms apart, before the process
   * counts as another one.
   */
  public boolean isRunning() {
    for (int read = 1; ; read++) {
      Optional<ProcStat> stat = ProcStat.read(pid);
      if (stat.isEmpty() || stat.get().zombie() || stat.get().startTicks() != startTicks) {
        return false;
      }
      if (commandLine(pid).map(line -> line.contains(marker)).orElse(false)) {
        return true;
      }
      if (read >= EXEC_READS) {
        return false;
      }
      try {
        Thread.sleep(EXEC_PAUSE_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  private static final int EXEC_READS = 5;
  private static final int EXEC_PAUSE_MILLIS = 10;

  /** Sends SIGTERM, waits up to {@code grace}, then SIGKILL; never signals a pid that is not this process. */
  public StopOutcome stop(Duration grace) {
    Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(h -> isRunning());
    if (handle.isEmpty()) {
      return StopOutcome.NOT_RUNNING;
    }
    handle.get().destroy();
    if (awaitExit(grace)) {
      return StopOutcome.STOPPED;
    }
    kill();
    if (!awaitExit(Duration.ofSeconds(10))) {
      throw new StackException("process " + pid + " survived SIGKILL for 10 s (stuck in the kernel?)");
    }
    return StopOutcome.KILLED;
  }

  /** SIGKILL, if it is still this process. */
  public void kill() {
    ProcessHandle.of(pid).filter(h -> isRunning()).ifPresent(ProcessHandle::destroyForcibly);
  }

  /**
   * Polls until the process is gone: exited, or a zombie waiting for its parent whose threads have all finished (only
   * then are its files and sockets closed, so that its ports can be bound again); false on timeout.
   */
  public boolean awaitExit(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (isRunning() || stillExiting()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StackException("interrupted while waiting for process " + pid + " to exit", e);
      }
    }
    return true;
  }

  /**
   * True while a killed multi-threaded process is half gone: its main thread already shows as a zombie while other
   * threads still run their exit and hold the process's files. Only checked for a pid known to be ours.
   */
  private boolean stillExiting() {
    Optional<ProcStat> stat = ProcStat.read(pid);
    if (stat.isEmpty() || !stat.get().zombie() || stat.get().startTicks() != startTicks) {
      return false;
    }
    try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      return tasks.count() > 1;
    } catch (IOException e) {
      return false; // reaped meanwhile
    }
  }

  /**
   * A live process whose command line contains all of {@code needles} (for "already running on this state
   * directory" messages; never used to pick a process to signal).
   */
  static Optional<Long> findByCommandLine(String... needles) {
    try (var entries = Files.list(Path.of("/proc"))) {
      return entries.map(p -> p.getFileName().toString())
          .filter(name -> name.chars().allMatch(Character::isDigit))
          .map(Long::parseLong)
          .filter(pid -> pid != ProcessHandle.current().pid())
          .filter(pid -> commandLine(pid)
              .filter(line -> Arrays.stream(needles).allMatch(line::contains))
              .isPresent())
          .findFirst();
    } catch (IOException e) {
      throw new StackException("cannot list /proc: " + e.getMessage(), e);
    }
  }

  static Optional<String> commandLine(long pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      return Optional.of(new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim());
    } catch (IOException e) {
      return Optional.empty(); // gone (NoSuchFile, or ESRCH while it exits)
    }
  }

  /** The two fields of {@code /proc/<pid>/stat} that identify a process: its state and its start time. */
  record ProcStat(char state, long startTicks) {

    boolean zombie() {
      return state == 'Z' || state == 'X';
    }

    static Optional<ProcStat> read(long pid) {
      String stat;
      try {
        stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return Optional.empty(); // gone (NoSuchFile, or ESRCH while it exits)
      }
      // "pid (comm) state ppid ... starttime ...": comm may hold spaces and parentheses, so split after the last ')'.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      // fields[0] is field 3 (state); starttime is field 22.
      return Optional.of(new ProcStat(fields[0].charAt(0), Long.parseLong(fields[22 - 3])));
    }
  }
}
