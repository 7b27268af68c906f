package dev.opencode.tuner.stack;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The collector as a part of the stack: follows the local system journal (or the journal directory given in the
 * options, e.g. the bundled sample on a machine without journald) and produces to the stack's Kafka.
 */
final class CollectorPart extends QuarkusAppPart {
  static final String NAME = "collector";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  String module() {
    return "collector/app";
  }

  /** As the NixOS module's default (measured by the pipeline benchmark). */
  @Override
  List<String> jvmOptions() {
    return List.of("-Xms16m", "-Xmx40m", "-XX:+UseSerialGC", "-XX:MaxMetaspaceSize=96m",
        "-XX:ReservedCodeCacheSize=32m", "-XX:TieredStopAtLevel=1", "-Xss512k");
  }

  /**
   * Provisions the account, topics and ACLs of the host the collector speaks for (idempotent), then starts it: a
   * broker already running from an earlier {@code up} may not know this host yet.
   */
  @Override
  public StackState.PartRecord start(StateLayout layout, StackOptions options) {
    StackState.PartRecord kafka = StackState.load(layout).part(KafkaPart.NAME).orElseThrow(() -> new StackException(
        "the collector needs Kafka: start it too (./tuner up starts every part)"));
    new KafkaAccounts(layout, kafka.address()).collector(options.effectiveCollectorHost(), options.topics());
    return super.start(layout, options);
  }

  @Override
  Map<String, String> configuration(StateLayout layout, StackState state, StackOptions options, int httpPort) {
    StackState.PartRecord kafka = state.part(KafkaPart.NAME).orElseThrow(() -> new StackException(
        "the collector needs Kafka: start it too (./tuner up starts every part)"));
    Map<String, String> config = new LinkedHashMap<>();
    config.put("tuner.collector.kafka.bootstrap-servers", kafka.address());
    String host = options.effectiveCollectorHost();
    config.put("tuner.collector.host", host);
    config.put("tuner.collector.kafka.username", KafkaAccounts.collector(host));
    config.put("tuner.collector.kafka.password-file",
        KafkaAccounts.passwordFile(layout, KafkaAccounts.collector(host)).toString());
    config.put("tuner.collector.state-directory", dir(layout).resolve("state").toString());
    Path journal = options.collectorJournal();
    if (journal != null) {
      config.put("tuner.collector.journal.directory", journal.toString());
      // Another machine's (or a test's) journal: this machine's nftables table is not that host's.
      config.put("tuner.collector.host-state.enabled", "false");
    }
    return config;
  }
}
