package dev.opencode.tuner.stack;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The Kafka broker as a part of the stack. Each start provisions the policy service's account (idempotent), with its
 * ACLs and the dead-letter topics; the collector's host account is provisioned when the collector starts
 * ({@link CollectorPart}), since its host may change while the broker keeps running.
 */
final class KafkaPart implements StackPart {

  static final String NAME = "kafka";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public StackState.PartRecord start(StateLayout layout, StackOptions options) {
    KafkaServer server = KafkaServer.start(layout.root(), options.kafka());
    try {
      server.accounts().policy(options.topics());
    } catch (RuntimeException e) {
      server.stop();
      throw e;
    }
    return new StackState.PartRecord(NAME, true, server.bootstrapServers(), server.process(),
        Map.of("bootstrap.servers", server.bootstrapServers()));
  }

  @Override
  public Health health(StateLayout layout, StackState.PartRecord record) {
    return KafkaServer.health(record.address(), record.process(), layout);
  }

  @Override
  public OwnedProcess.StopOutcome stop(StateLayout layout, StackState.PartRecord record) {
    return record.process().stop(KafkaServer.STOP_GRACE);
  }

  @Override
  public List<Path> logFiles(StateLayout layout) {
    return List.of(layout.kafkaLog(), layout.kafkaOut());
  }
}
