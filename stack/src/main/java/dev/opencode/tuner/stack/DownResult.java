package dev.opencode.tuner.stack;

import java.util.List;

/** What {@link Stack#down} did to each recorded part. */
public record DownResult(List<PartOutcome> parts) {

  public DownResult {
    parts = List.copyOf(parts);
  }

  /** What happened to one part. */
  public enum Action {
    /** Stopped cleanly. */
    STOPPED,
    /** Did not stop within its grace period and was killed. */
    KILLED,
    /** Its process was already gone (or its pid now belongs to another process, which was left alone). */
    WAS_NOT_RUNNING,
    /** Not started by {@code up} (an existing server given by URL): left running. */
    LEFT_ALONE
  }

  /** One part and what was done to it, with a sentence for the user. */
  public record PartOutcome(String part, Action action, String detail) {}
}
