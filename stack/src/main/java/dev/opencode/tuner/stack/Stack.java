package dev.opencode.tuner.stack;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The local stack behind {@code ./tuner up/status/down/logs}: the parts (Kafka, PostgreSQL) run as detached native
 * processes with their files under one state directory, and {@code stack.properties} records what {@link #up}
 * started, so that {@link #down} stops exactly that and nothing else. Every entry point is safe to call again.
 */
public final class Stack {

  /** The parts, in start order; {@link #down} stops them in reverse. */
  static final List<StackPart> PARTS = List.of(new KafkaPart(), new PostgresPart(), new PolicyPart(),
      new CollectorPart(), new PrometheusPart());

  /** Parts started only when asked for ({@code ./tuner up --monitoring}); never needed for the stack to be healthy. */
  static final java.util.Set<String> OPTIONAL_PARTS = java.util.Set.of(PrometheusPart.NAME);

  private Stack() {}

  /** Where the policy service of a stack keeps its accounts and its first admin password. */
  public static Path policyStateDirectory(Path stateDir) {
    return PolicyPart.stateDirectory(new StateLayout(stateDir));
  }

  /** The optional parts: {@code prometheus}. */
  public static java.util.Set<String> optionalPartNames() {
    return OPTIONAL_PARTS;
  }

  /**
   * The part names, in start order: {@code kafka}, {@code postgres}, {@code policy}, {@code collector},
   * {@code prometheus}.
   */
  public static List<String> partNames() {
    return PARTS.stream().map(StackPart::name).toList();
  }

  static StackPart requirePart(String name) {
    return PARTS.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow(() -> new StackException(
        "unknown part '" + name + "'; the parts are " + String.join(", ", partNames())));
  }

  /**
   * Starts the requested parts that are not running and waits until each is healthy; parts already running and
   * healthy are left as they are ({@link UpResult#alreadyRunning()} when that is all of them). The processes outlive
   * this JVM. When a part fails to start, the parts this call started are stopped again and the error says why.
   *
   * @throws StackException when a part cannot start, or runs but is unhealthy (then {@code down} and {@code up} again)
   */
  @SuppressWarnings("try") // the lock is held for the block, not used in it
  public static UpResult up(Path stateDir, StackOptions options) {
    StateLayout layout = new StateLayout(stateDir);
    try (StackLock lock = StackLock.acquire(layout)) {
      StackState state = StackState.load(layout);
      List<String> started = new ArrayList<>();
      List<PartStatus> statuses = new ArrayList<>();
      List<PartStatus> foundDead = new ArrayList<>();
      for (StackPart part : PARTS) {
        if (!options.parts().contains(part.name())) {
          continue;
        }
        Optional<StackState.PartRecord> recorded = state.part(part.name());
        if (recorded.isPresent()) {
          PartStatus status = status(layout, part, recorded.get());
          if (status.healthy()) {
            statuses.add(status);
            continue;
          }
          if (status.condition() == PartStatus.Condition.UNHEALTHY) {
            rollBack(layout, state, started);
            throw new StackException(part.name() + " is recorded as started but unhealthy: " + status.detail()
                + (status.owned() ? ". Run ./tuner down, then ./tuner up again" : ""));
          }
          options.progress().accept("==> " + part.name() + " was started before but is down (" + status.detail()
              + "); starting it again");
          foundDead.add(status);
        }
        StackState.PartRecord record;
        try {
          record = part.start(layout, options);
        } catch (RuntimeException e) {
          List<String> rolledBack = rollBack(layout, state, started);
          throw rolledBack.isEmpty() ? e : new StackException(e.getMessage() + "\n(stopped again what this up had"
              + " started: " + String.join(", ", rolledBack) + ")", e);
        }
        state.put(record);
        state.save(layout);
        started.add(part.name());
        statuses.add(status(layout, part, record));
      }
      return new UpResult(started.isEmpty(), started, statuses, foundDead);
    }
  }

  /** Each part with its address and the answer of its health check (a few seconds at most per part). */
  public static StackStatus status(Path stateDir) {
    StateLayout layout = new StateLayout(stateDir);
    StackState state = StackState.load(layout);
    List<PartStatus> parts = new ArrayList<>();
    for (StackPart part : PARTS) {
      parts.add(state.part(part.name()).map(r -> status(layout, part, r)).orElseGet(() -> new PartStatus(part.name(),
          PartStatus.Condition.NOT_STARTED, false, null, null, "not started by ./tuner up", Map.of(),
          part.logFiles(layout))));
    }
    return new StackStatus(parts);
  }

  /**
   * Stops, in reverse start order, the processes {@link #up} recorded, and only while they are still those processes;
   * servers given from outside are left running. Forgets every record afterwards.
   */
  @SuppressWarnings("try") // the lock is held for the block, not used in it
  public static DownResult down(Path stateDir) {
    StateLayout layout = new StateLayout(stateDir);
    try (StackLock lock = StackLock.acquire(layout)) {
      StackState state = StackState.load(layout);
      List<DownResult.PartOutcome> outcomes = new ArrayList<>();
      for (StackPart part : PARTS.reversed()) {
        Optional<StackState.PartRecord> recorded = state.part(part.name());
        if (recorded.isEmpty()) {
          continue;
        }
        outcomes.add(stop(layout, part, recorded.get()));
        state.remove(part.name());
        state.save(layout);
      }
      return new DownResult(outcomes);
    }
  }

  /**
   * The log files of one part, or of every part when {@code part} is null; they may not exist yet.
   *
   * @throws StackException naming the known parts when {@code part} is not one of them
   */
  public static List<Path> logs(Path stateDir, String part) {
    StateLayout layout = new StateLayout(stateDir);
    if (part != null) {
      return requirePart(part).logFiles(layout);
    }
    return PARTS.stream().flatMap(p -> p.logFiles(layout).stream()).toList();
  }

  /** The last {@code lines} lines of a log file, for {@code ./tuner logs}. */
  public static String tail(Path logFile, int lines) {
    return StateFiles.tail(logFile, lines);
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static PartStatus status(StateLayout layout, StackPart part, StackState.PartRecord record) {
    OwnedProcess process = record.process();
    Long pid = process == null ? null : process.pid();
    PartStatus.Condition condition;
    String detail;
    if (record.owned() && !process.isRunning()) {
      condition = PartStatus.Condition.DOWN;
      detail = part.health(layout, record).detail();
    } else {
      Health health = part.health(layout, record);
      condition = health.healthy() ? PartStatus.Condition.RUNNING : PartStatus.Condition.UNHEALTHY;
      detail = health.detail();
    }
    return new PartStatus(part.name(), condition, record.owned(), record.address(), pid, detail, record.attributes(),
        part.logFiles(layout));
  }

  private static DownResult.PartOutcome stop(StateLayout layout, StackPart part, StackState.PartRecord record) {
    if (!record.owned()) {
      return new DownResult.PartOutcome(part.name(), DownResult.Action.LEFT_ALONE,
          part.name() + " at " + record.address() + " was not started by ./tuner up; left running");
    }
    OwnedProcess process = record.process();
    boolean pidTaken = !process.isRunning() && OwnedProcess.ProcStat.read(process.pid()).isPresent();
    return switch (part.stop(layout, record)) {
      case STOPPED -> new DownResult.PartOutcome(part.name(), DownResult.Action.STOPPED,
          part.name() + " (pid " + process.pid() + ") stopped");
      case KILLED -> new DownResult.PartOutcome(part.name(), DownResult.Action.KILLED,
          part.name() + " (pid " + process.pid() + ") did not stop in time and was killed");
      case NOT_RUNNING -> new DownResult.PartOutcome(part.name(), DownResult.Action.WAS_NOT_RUNNING,
          part.name() + " (pid " + process.pid() + ") was not running" + (pidTaken
              ? "; pid " + process.pid() + " now belongs to another process, which was left alone" : ""));
    };
  }

  /** Stops, in reverse, the parts this call of up had started; returns their names. */
  private static List<String> rollBack(StateLayout layout, StackState state, List<String> started) {
    List<String> stopped = new ArrayList<>();
    for (String name : started.reversed()) {
      StackState.PartRecord record = state.part(name).orElseThrow();
      requirePart(name).stop(layout, record);
      state.remove(name);
      state.save(layout);
      stopped.add(name);
    }
    return stopped;
  }
}
