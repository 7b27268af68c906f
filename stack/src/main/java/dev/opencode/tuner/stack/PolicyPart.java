package dev.opencode.tuner.stack;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The policy service as a part of the stack: consumes the stack's Kafka into the stack's PostgreSQL (or the
 * external server given to {@code up}) and serves the suggestions API. Its first start writes the admin password to
 * {@code policy/state/initial-admin-password} (0600). Its health, metrics and OpenAPI are on a second loopback port,
 * the management interface (record attribute {@code management}).
 */
final class PolicyPart extends QuarkusAppPart {
  static final String NAME = "policy";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  String module() {
    return "policy/app";
  }

  /** Metrics (which name hosts and instances), health and OpenAPI stay off the API port. */
  @Override
  boolean managementInterface() {
    return true;
  }

  @Override
  List<String> jvmOptions() {
    return List.of("-Xmx384m");
  }

  /** Where the service keeps its accounts and the first admin password. */
  static Path stateDirectory(StateLayout layout) {
    return layout.root().resolve(NAME).resolve("state");
  }

  @Override
  Map<String, String> configuration(StateLayout layout, StackState state, StackOptions options, int httpPort) {
    StackState.PartRecord kafka = state.part(KafkaPart.NAME).orElseThrow(() -> new StackException(
        "the policy service needs Kafka: start it too (./tuner up starts every part)"));
    state.part(PostgresPart.NAME).orElseThrow(() -> new StackException(
        "the policy service needs PostgreSQL: start it too (./tuner up starts every part)"));
    Map<String, String> config = new LinkedHashMap<>();
    config.put("tuner.policy.kafka.bootstrap-servers", kafka.address());
    config.put("tuner.policy.kafka.username", KafkaAccounts.POLICY);
    config.put("tuner.policy.kafka.password-file", KafkaAccounts.passwordFile(layout, KafkaAccounts.POLICY).toString());
    config.put("tuner.policy.state-directory", stateDirectory(layout).toString());
    // The generated application.properties is private (0600), like the credentials file it is copied from.
    Map<String, String> db = StateFiles.readProperties(layout.policyDbCredentials());
    for (String key : new String[] {"url", "user", "password"}) {
      if (!db.containsKey(key)) {
        throw new StackException(layout.policyDbCredentials() + " has no '" + key + "': run ./tuner down, remove"
            + " the credentials directory and ./tuner up again");
      }
      config.put("tuner.policy.database." + key, db.get(key));
    }
    return config;
  }
}
