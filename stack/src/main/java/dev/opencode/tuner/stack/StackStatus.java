package dev.opencode.tuner.stack;

import java.util.List;
import java.util.Optional;

/** Every part of the stack, in start order, as {@code ./tuner status} shows them. */
public record StackStatus(List<PartStatus> parts) {

  public StackStatus {
    parts = List.copyOf(parts);
  }

  public Optional<PartStatus> part(String name) {
    return parts.stream().filter(p -> p.part().equals(name)).findFirst();
  }

  /** True when at least one part was started and every started part is healthy. */
  public boolean healthy() {
    return parts.stream().anyMatch(p -> p.condition() != PartStatus.Condition.NOT_STARTED)
        && parts.stream().allMatch(p -> p.healthy() || p.condition() == PartStatus.Condition.NOT_STARTED);
  }
}
