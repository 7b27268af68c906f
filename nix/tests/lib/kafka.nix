# The tuner's Kafka: names, the broker's security settings and the scripts' commands. What the
# scripts do against a real broker is nix/tests/kafka/run.sh's part.
{ lib }:
let
  lines = text: builtins.filter builtins.isString (builtins.split "\n" text);
  hasLine = line: text: builtins.elem line (lines text);
  indexOf = line: text:
    let
      ls = lines text;
      go = n: if n >= builtins.length ls then -1 else if builtins.elemAt ls n == line then n else go (n + 1);
    in
    go 0;
  dir = "/run/credentials/apache-kafka.service";
  provision = lib.kafkaProvisionScript {
    tools = { configs = "/k/bin/kafka-configs.sh"; acls = "/k/bin/kafka-acls.sh"; topics = "/k/bin/kafka-topics.sh"; };
    bootstrap = "10.0.0.5:9092";
    collectorHosts = [ "web2" "web1" ];
    describe.collector-web1 = "services.opencode-egress-tuner.policy.kafka.collectors.web1.passwordFile (/run/secrets/w1)";
  };
  format = lib.kafkaFormatScript {
    java = "/jre/bin/java";
    classpath = "/kafka/libs";
    clusterId = "b3BlbmNvZGUtZWdyZXNzLQ";
    serverProperties = "/etc/server.properties";
    logDirs = [ "/var/lib/apache-kafka" ];
  };
in
{
  testKafkaAccountsAndTopicsAreTheJavaStacks = {
    expr = {
      inherit (lib) kafkaAccounts kafkaTopicBases kafkaDeadLetterTopics;
      collector = lib.kafkaCollectorAccount "web1";
      credential = lib.kafkaCredentialName "collector-web1";
      topics = lib.kafkaHostTopics "web1";
    };
    expected = {
      kafkaAccounts = { broker = "tuner-broker"; controller = "tuner-controller"; policy = "tuner-policy"; };
      kafkaTopicBases = { blocked = "opencode.egress.blocked"; malformed = "opencode.egress.malformed"; hostState = "opencode.egress.host-state"; };
      kafkaDeadLetterTopics = [
        { name = "opencode.egress.dead-letter.blocked"; partitions = 1; }
        { name = "opencode.egress.dead-letter.host-state"; partitions = 1; }
      ];
      collector = "collector-web1";
      credential = "collector-web1.password";
      topics = [
        { name = "opencode.egress.blocked.web1"; partitions = 3; }
        { name = "opencode.egress.malformed.web1"; partitions = 1; }
        { name = "opencode.egress.host-state.web1"; partitions = 1; }
      ];
    };
  };

  testKafkaHostRule = {
    expr = map (h: lib.kafkaHostError "collector.host" h == null) [
      "web1" "Web-1.example.org" "a" "a_b" "x9" # valid
      "" "-web" "web-" "web..example" "web 1" "web/1" "wéb" 42 # invalid
      (builtins.concatStringsSep "" (builtins.genList (_: "a") 222))
      (builtins.concatStringsSep "" (builtins.genList (_: "a") 223))
    ];
    expected = [ true true true true true false false false false false false false false true false ];
  };
  testKafkaHostErrorNamesTheOptionAndTheRule = {
    expr = lib.kafkaHostError "services.opencode-egress-tuner.collector.host" "web..1";
    expected = "services.opencode-egress-tuner.collector.host \"web..1\" cannot name the host's Kafka topics (opencode.egress.blocked.<host>) and account (collector-<host>): use letters, digits, '.', '_' or '-', starting and ending with a letter or digit, without '..', at most 222 characters";
  };

  testSecretFileMustBeAbsoluteAndOutsideTheStore = {
    expr = {
      good = lib.secretFileError "x.passwordFile" "/run/secrets/kafka";
      store = lib.secretFileError "x.passwordFile" "${builtins.storeDir}/0000000000000000000000000000000-pw";
      relative = lib.secretFileError "x.passwordFile" "secrets/kafka";
      # A Nix path would be copied into the store when interpolated.
      path = lib.secretFileError "x.passwordFile" ./kafka.nix != null;
      storeItself = lib.secretFileError "x.passwordFile" builtins.storeDir != null;
    };
    expected = {
      good = null;
      store = "x.passwordFile must be outside the Nix store (which every local user can read), got '${builtins.storeDir}/0000000000000000000000000000000-pw'";
      relative = "x.passwordFile must be an absolute path (a string, not a Nix path, which would copy the secret into the store), got \"secrets/kafka\"";
      path = true;
      storeItself = true;
    };
  };

  testKafkaClusterId = {
    expr = map (id: lib.kafkaClusterIdError "clusterId" id == null) [ "b3BlbmNvZGUtZWdyZXNzLQ" "4L6g3nShT-eMCtK--X86sw" "short" "b3BlbmNvZGUtZWdyZXNzLQ=" "b3BlbmNvZGUtZWdyZXNzL+" ];
    expected = [ true true false false false ];
  };

  testKafkaBrokerSecurityIsTheJavaStacks = {
    expr = lib.kafkaBrokerSecurity { credentialsDirectory = dir; };
    expected = {
      "config.providers" = "dir";
      "config.providers.dir.class" = "org.apache.kafka.common.config.provider.DirectoryConfigProvider";
      "config.providers.dir.param.allowed.paths" = dir;
      "listener.security.protocol.map" = [ "CLIENT:SASL_PLAINTEXT" "CONTROLLER:SASL_PLAINTEXT" ];
      "sasl.enabled.mechanisms" = [ "SCRAM-SHA-512" ];
      "sasl.mechanism.inter.broker.protocol" = "SCRAM-SHA-512";
      "listener.name.client.scram-sha-512.sasl.jaas.config" =
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"tuner-broker\" password=\"\${dir:${dir}:tuner-broker.password}\";";
      "sasl.mechanism.controller.protocol" = "PLAIN";
      "listener.name.controller.sasl.enabled.mechanisms" = [ "PLAIN" ];
      "listener.name.controller.plain.sasl.jaas.config" =
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"tuner-controller\" password=\"\${dir:${dir}:tuner-controller.password}\" user_tuner-controller=\"\${dir:${dir}:tuner-controller.password}\";";
      "authorizer.class.name" = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
      "super.users" = "User:tuner-broker;User:tuner-controller";
      "allow.everyone.if.no.acl.found" = false;
    };
  };

  testKafkaBrokerListeners = {
    expr =
      let
        s = lib.kafkaBrokerSettings { listenAddress = "10.0.0.5"; logDirs = [ "/var/lib/apache-kafka" ]; credentialsDirectory = dir; };
      in
      {
        inherit (s) listeners "advertised.listeners" "inter.broker.listener.name" "controller.quorum.voters" "auto.create.topics.enable";
        rendered = map lib.kafkaPropertyValue [ s.listeners s."listener.security.protocol.map" s."allow.everyone.if.no.acl.found" s."node.id" ];
      };
    expected = {
      listeners = [ "CLIENT://10.0.0.5:9092" "CONTROLLER://127.0.0.1:9093" ];
      "advertised.listeners" = [ "CLIENT://10.0.0.5:9092" ];
      "inter.broker.listener.name" = "CLIENT";
      "controller.quorum.voters" = [ "1@127.0.0.1:9093" ];
      "auto.create.topics.enable" = false;
      rendered = [ "CLIENT://10.0.0.5:9092,CONTROLLER://127.0.0.1:9093" "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT" "false" "1" ];
    };
  };

  testKafkaProvisionStepsInOrder = {
    expr = map (s: s.step + " " + (s.account or s.topic or s.principal or (builtins.concatStringsSep "," (s.keep or [ ])))) (
      lib.kafkaProvisionSteps { collectorHosts = [ "web2" "web1" ]; }
    );
    expected = [
      "account tuner-policy"
      "account collector-web1"
      "account collector-web2"
      "topic opencode.egress.dead-letter.blocked"
      "topic opencode.egress.dead-letter.host-state"
      "topic opencode.egress.blocked.web1"
      "topic opencode.egress.malformed.web1"
      "topic opencode.egress.host-state.web1"
      "topic opencode.egress.blocked.web2"
      "topic opencode.egress.malformed.web2"
      "topic opencode.egress.host-state.web2"
      "acl User:tuner-policy"
      "acl User:tuner-policy"
      "acl User:collector-web1"
      "acl User:collector-web2"
      "revoke collector-web1,collector-web2"
    ];
  };

  testKafkaProvisionScriptCommands = {
    expr = map (l: hasLine l provision) [
      "configs='/k/bin/kafka-configs.sh'"
      "bootstrap='10.0.0.5:9092'"
      "set_password 'tuner-policy' 'tuner-policy.password' 'the password of tuner-policy'"
      "set_password 'collector-web1' 'collector-web1.password' 'services.opencode-egress-tuner.policy.kafka.collectors.web1.passwordFile (/run/secrets/w1)'"
      "ensure_topic 'opencode.egress.blocked.web1' 3"
      "ensure_topic 'opencode.egress.dead-letter.host-state' 1"
      "kafka \"$acls\" --add --allow-principal 'User:tuner-policy' '--operation' 'Read' '--operation' 'Describe' --resource-pattern-type prefixed '--topic' 'opencode.egress.blocked.' '--topic' 'opencode.egress.host-state.' '--group' 'opencode-egress-policy' >/dev/null"
      "kafka \"$acls\" --add --allow-principal 'User:tuner-policy' '--operation' 'Write' '--operation' 'Describe' '--operation' 'Create' --resource-pattern-type literal '--topic' 'opencode.egress.dead-letter.blocked' '--topic' 'opencode.egress.dead-letter.host-state' >/dev/null"
      "kafka \"$acls\" --add --allow-principal 'User:collector-web2' '--operation' 'Write' '--operation' 'Describe' --resource-pattern-type literal '--topic' 'opencode.egress.blocked.web2' '--topic' 'opencode.egress.malformed.web2' '--topic' 'opencode.egress.host-state.web2' >/dev/null"
      "revoke_collectors 'collector-web1' 'collector-web2'"
      # The passwords go to the tools in files: the client configuration and the SCRAM file.
      "  \"$tool\" --bootstrap-server \"$bootstrap\" --command-config \"$admin\" \"$@\" > \"$work/tool.out\" 2>&1 || status=$?"
      "  printf 'SCRAM-SHA-512=iterations=8192,password=%s\\n' \"$pw\" > \"$work/scram.properties\""
      "  kafka \"$configs\" --alter --entity-type users --entity-name \"$1\" --add-config-file \"$work/scram.properties\" >/dev/null"
      "umask 077"
      "trap 'rm -rf -- \"$work\"' EXIT"
    ];
    expected = builtins.genList (_: true) 15;
  };
  testKafkaProvisionScriptOrder = {
    expr =
      let
        at = l: indexOf l provision;
      in
      {
        adminFirst = at "unset broker_pw" < at "set_password 'tuner-policy' 'tuner-policy.password' 'the password of tuner-policy'";
        accountsBeforeTopics = at "set_password 'collector-web2' 'collector-web2.password' 'the password of collector-web2'" < at "ensure_topic 'opencode.egress.dead-letter.blocked' 1";
        revokeLast = at "revoke_collectors 'collector-web1' 'collector-web2'" == builtins.length (lines provision) - 2;
        noInlinePassword = builtins.match ".*--add-config [^-].*" provision == null;
      };
    expected = { adminFirst = true; accountsBeforeTopics = true; revokeLast = true; noInlinePassword = true; };
  };

  testKafkaFormatScriptUsesAnArgumentFile = {
    expr = map (l: hasLine l format) [
      "\"kafka.tools.StorageTool\""
      "\"format\""
      "\"--cluster-id\""
      "\"b3BlbmNvZGUtZWdyZXNzLQ\""
      "\"/etc/server.properties\""
      "\"--add-scram\""
      "  printf '\"SCRAM-SHA-512=[name=tuner-broker,password=%s]\"\\n' \"$broker_pw\""
      "if ! '/jre/bin/java' -cp '/kafka/libs/*' \"@$work/format.args\" > \"$work/format.out\" 2>&1; then"
      "read_password 'tuner-controller.password' 'the password of tuner-controller' exact >/dev/null"
      "log_dirs=('/var/lib/apache-kafka')"
    ];
    expected = builtins.genList (_: true) 10;
  };
}
