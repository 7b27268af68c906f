package dev.opencode.tuner.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What a PostgreSQL server killed with SIGKILL leaves in its data directory, cleared before the next start. Its
 * backends outlive it for a moment (each exits when it notices, at its next wait) and keep the old shared memory
 * attached, which makes a new postmaster refuse to start; so the start waits until no live process has the data
 * directory as its working directory (every PostgreSQL process has). And its {@code postmaster.pid} names a pid that
 * stays a zombie until the init process reaps it, which may be never in a container whose PID 1 does not reap: a
 * zombie answers {@code kill(pid, 0)}, so PostgreSQL takes it for a running server ("lock file already exists"). Such
 * a lock file, of a zombie with no live process left in the data directory, is removed.
 */
final class StalePostmaster {
  static final Duration ORPHAN_WAIT = Duration.ofSeconds(30);

  private StalePostmaster() {}

  /**
   * Waits for the killed server's processes, then removes its lock files ({@code postmaster.pid} in the data
   * directory, {@code .s.PGSQL.<port>.lock} beside the socket) whose pid is a zombie.
   */
  static void clear(Path dataDir, List<Path> lockFiles, Consumer<String> progress) {
    if (lockFiles.stream().map(StalePostmaster::recordedPid).allMatch(Optional::isEmpty)) {
      return; // stopped cleanly, or never started
    }
    long deadline = System.nanoTime() + ORPHAN_WAIT.toNanos();
    List<Long> left = liveProcessesIn(dataDir);
    if (!left.isEmpty()) {
      progress.accept("==> waiting for " + left.size() + " process(es) of the killed PostgreSQL server to exit"
          + " (pids " + left + ")");
    }
    while (!left.isEmpty()) {
      if (System.nanoTime() - deadline > 0) {
        throw new StackException("processes of an earlier PostgreSQL server still run in " + dataDir + " (pids "
            + left + ") " + ORPHAN_WAIT.toSeconds() + " s after it died; stop them (kill " + left.get(0)
            + " ...) and run ./tuner up again");
      }
      sleep();
      left = liveProcessesIn(dataDir);
    }
    for (Path lock : lockFiles) {
      Optional<Long> pid = recordedPid(lock);
      if (pid.isEmpty() || !OwnedProcess.ProcStat.read(pid.get()).map(OwnedProcess.ProcStat::zombie).orElse(false)) {
        continue; // a dead pid PostgreSQL recognises itself, or a live one it refuses with its own message
      }
      try {
        Files.deleteIfExists(lock);
      } catch (IOException e) {
        throw new StackException("cannot remove the stale lock file " + lock + " of the dead PostgreSQL server (pid "
            + pid.get() + ", a zombie): " + e.getMessage() + "; remove it by hand and run ./tuner up again", e);
      }
      progress.accept("==> removed " + lock.getFileName() + " of the killed PostgreSQL server (pid " + pid.get()
          + " is a zombie that PID 1 has not reaped yet)");
    }
  }

  private static Optional<Long> recordedPid(Path lock) {
    try {
      return Optional.of(Long.parseLong(Files.readAllLines(lock, StandardCharsets.UTF_8).get(0).strip()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // no lock file (a clean stop), or an unreadable one that PostgreSQL itself reports
    }
  }

  /** Live (not zombie) PostgreSQL processes whose working directory is {@code dir} (a shell there is not one). */
  static List<Long> liveProcessesIn(Path dir) {
    Path real;
    try {
      real = dir.toRealPath();
    } catch (IOException e) {
      return List.of();
    }
    try (var entries = Files.list(Path.of("/proc"))) {
      return entries.map(p -> p.getFileName().toString())
          .filter(name -> name.chars().allMatch(Character::isDigit))
          .map(Long::parseLong)
          .filter(pid -> cwdIs(pid, real))
          .filter(pid -> OwnedProcess.commandLine(pid).map(line -> line.contains("postgres")).orElse(false))
          .filter(pid -> OwnedProcess.ProcStat.read(pid).map(s -> !s.zombie()).orElse(false))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new StackException("cannot list /proc: " + e.getMessage(), e);
    }
  }

  private static boolean cwdIs(long pid, Path dir) {
    try {
      return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd")).equals(dir);
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false; // gone, or not ours to inspect (then not a server of this stack's user either)
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while waiting for the killed PostgreSQL server's processes");
    }
  }
}
