package dev.opencode.tuner.stack;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The Kafka broker as a part of the stack. Each start provisions the accounts of the policy service and of the
 * collector's host (idempotent), with their topics and ACLs; their password files are in {@code credentials/}.
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
      KafkaAccounts accounts = server.accounts();
      accounts.policy(options.topics());
      accounts.collector(options.effectiveCollectorHost(), options.topics());
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
