package dev.opencode.tuner.stack;

import dev.opencode.tuner.kafka.HostTopics;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The pipeline's topic names. Each host has its own blocked-event, malformed-line and host-state topics
 * ({@code <base>.<host>}), which only that host's collector may write: the topic a record comes from proves its host.
 * The dead-letter topics are outside those prefixes, so the policy service never reads its own dead letters.
 */
public record TunerTopics(String blocked, String malformed, String hostState, String blockedDeadLetter,
    String hostStateDeadLetter, String policyGroupPrefix) {

  public static TunerTopics defaults() {
    return new TunerTopics(HostTopics.BLOCKED, HostTopics.MALFORMED, HostTopics.HOST_STATE,
        HostTopics.BLOCKED_DEAD_LETTER, HostTopics.HOST_STATE_DEAD_LETTER, "opencode-egress-policy");
  }

  /** {@code host}'s topics with their partition counts (blocked events are spread over three partitions). */
  public Map<String, Integer> forHost(String host) {
    Map<String, Integer> topics = new LinkedHashMap<>();
    topics.put(HostTopics.topic(blocked, host), 3);
    topics.put(HostTopics.topic(malformed, host), 1);
    topics.put(HostTopics.topic(hostState, host), 1);
    return topics;
  }

  public Map<String, Integer> deadLetterTopics() {
    Map<String, Integer> topics = new LinkedHashMap<>();
    topics.put(blockedDeadLetter, 1);
    topics.put(hostStateDeadLetter, 1);
    return topics;
  }
}
