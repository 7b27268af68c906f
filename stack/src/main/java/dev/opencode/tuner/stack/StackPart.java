package dev.opencode.tuner.stack;

import java.nio.file.Path;
import java.util.List;

/**
 * One part of the local stack (Kafka, PostgreSQL; later the collector and the policy service): how to start it, check
 * it, stop it and find its logs. A new part is a new implementation added to {@link Stack#PARTS}, in start order.
 */
interface StackPart {

  /** The name used in {@code stack.properties} and by {@code ./tuner logs <part>}. */
  String name();

  /** Starts the part and waits until it is healthy; cleans up after itself when that fails. */
  StackState.PartRecord start(StateLayout layout, StackOptions options);

  /** Checks a recorded part, within a few seconds. */
  Health health(StateLayout layout, StackState.PartRecord record);

  /** Stops a recorded, owned part; never signals a process that is not the recorded one. */
  OwnedProcess.StopOutcome stop(StateLayout layout, StackState.PartRecord record);

  /** The part's log files, whether or not they exist yet. */
  List<Path> logFiles(StateLayout layout);
}
