# What the egress-tuner module renders for the provisioned broker, from the pure library only,
# with the paths of a test bed instead of the store's: the broker's server.properties, the
# storage-format script (apache-kafka.service's ExecStartPre) and the provisioning script
# (opencode-egress-tuner-kafka-accounts.service). nix/tests/kafka/run.sh runs them against a
# real broker:
#   nix-instantiate --eval --strict --json nix/tests/kafka/render.nix -A provision \
#     --argstr credentialsDirectory DIR --argstr toolsDirectory BIN ... --arg collectorHosts '[ "web1" ]'
{
  credentialsDirectory,
  logDir,
  toolsDirectory,
  java,
  kafkaLib,
  serverProperties,
  port,
  controllerPort,
  collectorHosts,
  clusterId ? "b3BlbmNvZGUtZWdyZXNzLQ",
}:
let
  lib = import ../../lib;
  settings = lib.kafkaBrokerSettings {
    listenAddress = "127.0.0.1";
    port = builtins.fromJSON port;
    controllerPort = builtins.fromJSON controllerPort;
    logDirs = [ logDir ];
    inherit credentialsDirectory;
  };
  # The names the module gives in its errors.
  describe = {
    tuner-broker = "services.opencode-egress-tuner.policy.kafka.brokerPasswordFile (${credentialsDirectory}/tuner-broker.password)";
    tuner-controller = "services.opencode-egress-tuner.policy.kafka.controllerPasswordFile (${credentialsDirectory}/tuner-controller.password)";
    tuner-policy = "services.opencode-egress-tuner.policy.kafka.passwordFile (${credentialsDirectory}/tuner-policy.password)";
  }
  // builtins.listToAttrs (
    map (h: {
      name = "collector-${h}";
      value = "services.opencode-egress-tuner.policy.kafka.collectors.${h}.passwordFile (${credentialsDirectory}/collector-${h}.password)";
    }) collectorHosts
  );
in
{
  # As nixpkgs' services.apache-kafka renders its settings: one key=value line each, lists
  # comma-separated (its generator also escapes characters that need it in a .properties file;
  # these values have none).
  properties = builtins.concatStringsSep "" (
    map (k: "${k}=${lib.kafkaPropertyValue settings.${k}}\n") (builtins.attrNames settings)
  );
  format = lib.kafkaFormatScript {
    inherit java clusterId serverProperties describe;
    classpath = kafkaLib;
    logDirs = [ logDir ];
  };
  provision = lib.kafkaProvisionScript {
    tools = {
      configs = "${toolsDirectory}/kafka-configs.sh";
      acls = "${toolsDirectory}/kafka-acls.sh";
      topics = "${toolsDirectory}/kafka-topics.sh";
    };
    bootstrap = "127.0.0.1:${port}";
    inherit collectorHosts describe;
  };
}
