package dev.opencode.tuner.stack;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One part as {@code ./tuner status} shows it.
 *
 * @param owned true when {@code up} started it (and {@code down} will stop it)
 * @param pid the recorded process, or null
 * @param detail the health check's answer, or why the part is down
 * @param attributes what clients need: {@code bootstrap.servers}, {@code jdbc.url}, {@code credentials} (a file),
 *     {@code management} (the base URL of the policy service's management interface)
 */
public record PartStatus(String part, Condition condition, boolean owned, String address, Long pid, String detail,
    Map<String, String> attributes, List<Path> logs) {

  /** The state of a part. */
  public enum Condition {
    /** Recorded and answering its health check. */
    RUNNING,
    /** The process runs (or the external server is recorded) but the health check fails. */
    UNHEALTHY,
    /** Recorded, but its process is gone (crashed, killed, or stopped by hand). */
    DOWN,
    /** Not started by {@code up} in this state directory. */
    NOT_STARTED
  }

  public boolean healthy() {
    return condition == Condition.RUNNING;
  }

  /**
   * The base URL of the part's {@code /q/health}, {@code /q/metrics} and {@code /q/openapi}: the policy service's
   * management interface (on 127.0.0.1, never its API port), the collector's address (it has a single port).
   */
  public String managementAddress() {
    return attributes.getOrDefault(QuarkusAppPart.MANAGEMENT, address);
  }
}
