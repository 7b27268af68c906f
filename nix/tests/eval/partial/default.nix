# The NixOS modules evaluated with nixpkgs' own lib.evalModules and nixpkgs' own declarations
# of what they set in systemd (unit options, unit types and the unit-file rendering of
# nixos/lib/systemd-*.nix), users and groups, networking.nftables, services.postgresql,
# services.apache-kafka and assertions/warnings,
# loaded from `nixosFiles` (a nixpkgs checkout, or a directory with just those files at their
# nixpkgs paths). Everything else comes from ./stand-ins.nix. Run by ../run-with-nixpkgs.sh:
#   nix-instantiate --eval --strict --json nix/tests/eval/partial \
#     --arg lib 'import <nixpkgs>/lib' --arg nixosFiles <nixpkgs> [--arg nixosFilesOld <older nixpkgs>]
# prints [ ] when every test passes, else the failures.
#
# `nixosFilesOld`, when given, holds a nixos/modules/services/databases/postgresql.nix of a
# release without postgresql.target (25.05 and older), for the ordering fallback; the other
# files still come from `nixosFiles`.
{
  lib,
  nixosFiles,
  nixosFilesOld ? null,
}:
let
  ocLib = import ../../../lib;
  inherit (import ../hosts.nix) instance namedInstance kafkaPasswords monitoredHost;
  standIns = import ./stand-ins.nix { inherit lib nixosFiles; };
  inherit (standIns) pkgs self;

  evalWith =
    postgresFiles: modules:
    lib.evalModules {
      modules =
        standIns.modules
        ++ standIns.nixpkgsModules { inherit postgresFiles; }
        ++ [ self.nixosModules.default self.nixosModules.egress-tuner ]
        ++ modules;
    };
  evalHost = evalWith nixosFiles;

  failedAssertions = host: map (a: a.message) (builtins.filter (a: !a.assertion) host.config.assertions);

  systemdLib = host: host._module.args.utils.systemdUtils.lib;
  unitText = host: name: (systemdLib host).serviceToUnit host.config.systemd.services.${name};
  # Renders every unit and the nftables tables: forces every systemd definition (a conflict
  # between two modules surfaces here) and every value nftables would write.
  rendered =
    host:
    let
      c = host.config;
      l = systemdLib host;
    in
    lib.mapAttrs (_: s: (l.serviceToUnit s).text) c.systemd.services
    // lib.mapAttrs' (n: t: lib.nameValuePair "${n}.timer" (l.timerToUnit t).text) c.systemd.timers
    // lib.mapAttrs' (n: t: lib.nameValuePair "${n}.target" (l.targetToUnit t).text) c.systemd.targets
    // lib.mapAttrs' (n: t: lib.nameValuePair "nft:${n}" t.content) c.networking.nftables.tables
    // lib.mapAttrs' (
      n: i: lib.nameValuePair "opencode.json:${n}" (ocLib.renderOpencodeConfig (ocLib.opencodeSettings i.config))
    ) c.services.opencode.instances;
  # "no failed assertion, and everything renders"
  evaluates =
    host:
    let
      failed = failedAssertions host;
    in
    if failed != [ ] then failed else builtins.deepSeq (rendered host) [ ];

  hasLine = line: text: builtins.elem line (lib.splitString "\n" text);

  # Every example host and every VM test's machines.
  examples = {
    single-instance = ../../../examples/single-instance.nix;
    multi-instance-host = ../../../examples/multi-instance-host;
    egress-tuner-host = ../../../examples/egress-tuner-host.nix;
    egress-tuner-collector-host = ../../../examples/egress-tuner-collector-host.nix;
  };
  vmTests = lib.genAttrs [
    "multi-instance"
    "sandbox-isolation"
    "setup-idempotence"
    "env-and-config"
    "network-policy"
    "postgres-socket"
    "egress-tuner"
  ] (name: import ../../vm/${name}.nix { inherit pkgs self; });
  vmMachines = lib.concatMapAttrs (
    test: t: lib.mapAttrs' (node: m: lib.nameValuePair "${test}/${node}" m) t.nodes
  ) vmTests;

  exampleTests = lib.mapAttrs' (
    name: m: lib.nameValuePair "testExample-${name}-evaluates" { expr = evaluates (evalHost [ m ]); expected = [ ]; }
  ) examples;
  vmTestsEvaluate = lib.mapAttrs' (
    name: m: lib.nameValuePair "testVmMachine-${name}-evaluates" { expr = evaluates (evalHost [ m ]); expected = [ ]; }
  ) vmMachines;

  # The tuner's monitoring host, as tests/eval/module.nix has it.
  monitored = evalHost [ monitoredHost ];
  m = monitored.config;

  name23 = evalHost [ (namedInstance "abcdefghijklmnopqrstuvw" { }) ];
  name22 = evalHost [ (namedInstance "abcdefghijklmnopqrstuv" { }) ];

  reserved = evalHost [
    kafkaPasswords
    (namedInstance "egress-tuner-collector" { })
    { services.opencode-egress-tuner.collector.enable = true; }
  ];

  isolatedEmpty = evalHost [
    { networking.nftables.enable = true; }
    (instance { networkIsolation.enable = true; })
  ];

  web = evalHost [ (instance { }) ];
  webUnit = web.config.systemd.services.opencode-web;
  tuned = evalHost [ (instance { resources = { cpuQuota = "200%"; memoryMax = null; tasksMax = 4096; }; }) ];

  badConfig = extra: evalHost [ (instance { config = extra; }) ];
  configRejected = host: !(builtins.tryEval (builtins.deepSeq (rendered host) true)).success;

  policyHost = files: evalWith files [
    kafkaPasswords
    {
      services.opencode-egress-tuner.policy.enable = true;
      services.grafana.enable = true;
      services.grafana.settings.security.secret_key = "$__file{/run/secrets/grafana-secret-key}";
      services.opencode-egress-tuner.grafana.postgres.passwordFile = "/run/secrets/grafana-db";
    }
  ];
  orderingOf = host: {
    policy = { inherit (host.config.systemd.services.opencode-egress-tuner-policy) after requires; };
    role = { inherit (host.config.systemd.services.opencode-egress-tuner-grafana-role) after requires; };
  };

  # 10. Denied local ports: the tuner's ports follow its options (and nixpkgs' for PostgreSQL,
  #     Prometheus and Grafana), whatever they are set to.
  tunerHost =
    extra:
    evalHost [
      kafkaPasswords
      { networking.nftables.enable = true; }
      (instance { networkIsolation.enable = true; })
      {
        services.opencode-egress-tuner = {
          collector.enable = true;
          policy.enable = true;
          grafana.postgres.passwordFile = "/run/secrets/grafana-db";
        };
        services.grafana.enable = true;
        services.grafana.settings.security.secret_key = "$__file{/run/secrets/grafana-secret-key}";
      }
      extra
    ];
  movedPorts = tunerHost {
    services.opencode-egress-tuner = {
      collector.metricsPort = 9501;
      policy.listen.port = 8443;
      policy.managementPort = 9422;
      policy.kafka.listenAddress = "10.0.0.5";
    };
    services.apache-kafka.settings.listeners = lib.mkForce [
      "SASL_PLAINTEXT://10.0.0.5:9094"
      "CONTROLLER://127.0.0.1:9095"
    ];
    services.postgresql.settings.port = 5433;
    services.prometheus = {
      enable = true;
      port = 9091;
    };
    services.grafana.settings.server.http_port = 3001;
  };
  chainOf = host: lib.splitString "\n" host.config.networking.nftables.tables.opencode-egress.content;
  # Only the opencode module: the tuner's module is not imported at all.
  opencodeOnly = lib.evalModules {
    modules =
      standIns.modules
      ++ standIns.nixpkgsModules { }
      ++ [
        self.nixosModules.default
        { networking.nftables.enable = true; }
        (instance {
          networkIsolation = {
            enable = true;
            deniedLocalPorts = [ 6379 ];
          };
        })
      ];
  };

  # 11. Kafka logins: the policy host of the examples (its own collector, web1 and web2 listed),
  #     the collector host web1, and hosts that get a password file wrong.
  fleetTuner = evalHost [ ../../../examples/egress-tuner-host.nix ];
  ft = fleetTuner.config;
  fleetWeb1 = evalHost [ ../../../examples/egress-tuner-collector-host.nix ];
  fw = fleetWeb1.config;
  # The text a unit's scripts and properties files hold (the stand-ins keep what a build writes).
  propertiesOf = host: unit: (builtins.head host.config.systemd.services.${unit}.restartTriggers).text;
  credentialSources = unit: map (c: builtins.elemAt (lib.splitString ":" c) 1) (lib.toList unit.serviceConfig.LoadCredential);
  tunerKafka =
    extra:
    evalHost [
      kafkaPasswords
      {
        networking.hostName = "tuner";
        services.opencode-egress-tuner = {
          collector.enable = true;
          policy.enable = true;
          policy.database.provision = false;
        };
      }
      extra
    ];
  failedKafkaAssertions = host: builtins.filter (m: lib.hasInfix "kafka" (lib.toLower m)) (failedAssertions host);

  tests = {
    # 11. Kafka logins.
    testKafkaBrokerReadsItsPasswordsAsCredentials = {
      expr = {
        inherit (ft.systemd.services.apache-kafka.serviceConfig) LoadCredential RuntimeDirectory RuntimeDirectoryMode User;
        formatLogDirs = ft.services.apache-kafka.formatLogDirs;
        rendered = map (l: hasLine l (unitText fleetTuner "apache-kafka").text) [
          "LoadCredential=tuner-broker.password:/run/secrets/egress-tuner/kafka-broker"
          "LoadCredential=tuner-controller.password:/run/secrets/egress-tuner/kafka-controller"
        ];
      };
      expected = {
        LoadCredential = [
          "tuner-broker.password:/run/secrets/egress-tuner/kafka-broker"
          "tuner-controller.password:/run/secrets/egress-tuner/kafka-controller"
        ];
        RuntimeDirectory = "apache-kafka";
        RuntimeDirectoryMode = "0700";
        User = "apache-kafka";
        formatLogDirs = false;
        rendered = [ true true ];
      };
    };
    testKafkaBrokerPropertiesReferenceTheCredentialsDirectory = {
      expr =
        let
          text = ft.services.apache-kafka.configFiles.serverProperties.text;
          d = "/run/credentials/apache-kafka.service";
        in
        map (l: hasLine l text) [
          "config.providers=dir"
          "config.providers.dir.param.allowed.paths=${d}"
          "listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"tuner-broker\" password=\"\${dir:${d}:tuner-broker.password}\";"
          "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"tuner-controller\" password=\"\${dir:${d}:tuner-controller.password}\" user_tuner-controller=\"\${dir:${d}:tuner-controller.password}\";"
          "listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
          "listeners=CLIENT://10.0.0.5:9092,CONTROLLER://127.0.0.1:9093"
          "advertised.listeners=CLIENT://10.0.0.5:9092"
          "super.users=User:tuner-broker;User:tuner-controller"
          "allow.everyone.if.no.acl.found=false"
          "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer"
          "auto.create.topics.enable=false"
        ];
      expected = builtins.genList (_: true) 11;
    };
    testKafkaBrokerFormatsWithItsAccountBeforeItStarts = {
      expr =
        let
          pre = ft.systemd.services.apache-kafka.preStart;
        in
        {
          argumentFile = hasLine "\"kafka.tools.StorageTool\"" pre && hasLine "\"--add-scram\"" pre;
          theirFormatIsOff = !(lib.hasInfix "kafka-storage.sh" pre);
          clusterId = hasLine "\"b3BlbmNvZGUtZWdyZXNzLQ\"" pre;
          execStartPre = builtins.length ft.systemd.services.apache-kafka.serviceConfig.ExecStartPre;
        };
      expected = { argumentFile = true; theirFormatIsOff = true; clusterId = true; execStartPre = 1; };
    };
    testKafkaAccountsUnitOrderAndCredentials = {
      expr = {
        inherit (ft.systemd.services.opencode-egress-tuner-kafka-accounts) after requires partOf before wantedBy;
        inherit (ft.systemd.services.opencode-egress-tuner-kafka-accounts.serviceConfig)
          Type RemainAfterExit DynamicUser User LoadCredential RuntimeDirectory RuntimeDirectoryMode PrivateTmp;
        policyAfter = builtins.elem "opencode-egress-tuner-kafka-accounts.service" ft.systemd.services.opencode-egress-tuner-policy.after;
        policyWants = ft.systemd.services.opencode-egress-tuner-policy.wants;
        collectorAfter = builtins.elem "opencode-egress-tuner-kafka-accounts.service" ft.systemd.services.opencode-egress-tuner-collector.after;
        rendered = map (l: hasLine l (unitText fleetTuner "opencode-egress-tuner-kafka-accounts").text) [
          "After=apache-kafka.service"
          "Before=opencode-egress-tuner-policy.service opencode-egress-tuner-collector.service"
          "PartOf=apache-kafka.service"
          "Requires=apache-kafka.service"
          "RemainAfterExit=true"
        ];
      };
      expected = {
        after = [ "apache-kafka.service" ];
        requires = [ "apache-kafka.service" ];
        partOf = [ "apache-kafka.service" ];
        before = [ "opencode-egress-tuner-policy.service" "opencode-egress-tuner-collector.service" ];
        wantedBy = [ "multi-user.target" ];
        Type = "oneshot";
        RemainAfterExit = true;
        DynamicUser = true;
        User = "opencode-egress-tuner-kafka";
        LoadCredential = [
          "tuner-broker.password:/run/secrets/egress-tuner/kafka-broker"
          "tuner-policy.password:/run/secrets/egress-tuner/kafka-policy"
          "collector-tuner.password:/run/secrets/egress-tuner/kafka-collector-tuner"
          "collector-web1.password:/run/secrets/egress-tuner/kafka-collector-web1"
          "collector-web2.password:/run/secrets/egress-tuner/kafka-collector-web2"
        ];
        RuntimeDirectory = "opencode-egress-tuner-kafka-accounts";
        RuntimeDirectoryMode = "0700";
        PrivateTmp = true;
        policyAfter = true;
        policyWants = [ "network-online.target" "opencode-egress-tuner-kafka-accounts.service" ];
        collectorAfter = true;
        rendered = [ true true true true true ];
      };
    };
    testKafkaAccountsScriptCoversEveryHost = {
      expr = map (l: hasLine l ft.systemd.services.opencode-egress-tuner-kafka-accounts.script) [
        "set_password 'tuner-policy' 'tuner-policy.password' 'services.opencode-egress-tuner.policy.kafka.passwordFile (/run/secrets/egress-tuner/kafka-policy)'"
        "set_password 'collector-tuner' 'collector-tuner.password' 'services.opencode-egress-tuner.collector.kafkaPasswordFile (/run/secrets/egress-tuner/kafka-collector-tuner)'"
        "set_password 'collector-web1' 'collector-web1.password' 'services.opencode-egress-tuner.policy.kafka.collectors.web1.passwordFile (/run/secrets/egress-tuner/kafka-collector-web1)'"
        "ensure_topic 'opencode.egress.blocked.web2' 3"
        "revoke_collectors 'collector-tuner' 'collector-web1' 'collector-web2'"
        "bootstrap='10.0.0.5:9092'"
        "configs='${pkgs.apacheKafka}/bin/kafka-configs.sh'"
      ];
      expected = builtins.genList (_: true) 7;
    };
    testKafkaClientsReadTheirPasswordFromTheCredentialsDirectory = {
      expr = {
        web1 = {
          properties = map (l: hasLine l (propertiesOf fleetWeb1 "opencode-egress-tuner-collector")) [
            "tuner.collector.host=web1"
            "tuner.collector.kafka.username=collector-web1"
            "tuner.collector.kafka.password-file=\${CREDENTIALS_DIRECTORY}/kafka.password"
            "tuner.collector.kafka.bootstrap-servers=10.0.0.5:9092"
          ];
          inherit (fw.systemd.services.opencode-egress-tuner-collector.serviceConfig) LoadCredential;
          noBrokerHere = fw.systemd.services ? apache-kafka || fw.systemd.services ? opencode-egress-tuner-kafka-accounts;
        };
        tunerCollector = map (l: hasLine l (propertiesOf fleetTuner "opencode-egress-tuner-collector")) [
          "tuner.collector.host=tuner"
          "tuner.collector.kafka.bootstrap-servers=10.0.0.5:9092"
        ];
        policy = {
          properties = map (l: hasLine l (propertiesOf fleetTuner "opencode-egress-tuner-policy")) [
            "tuner.policy.kafka.username=tuner-policy"
            "tuner.policy.kafka.password-file=\${CREDENTIALS_DIRECTORY}/kafka.password"
          ];
          credential = builtins.elem "kafka.password:/run/secrets/egress-tuner/kafka-policy" ft.systemd.services.opencode-egress-tuner-policy.serviceConfig.LoadCredential;
        };
      };
      expected = {
        web1 = {
          properties = [ true true true true ];
          LoadCredential = [ "kafka.password:/run/agenix/egress-tuner-kafka-collector" ];
          noBrokerHere = false;
        };
        tunerCollector = [ true true ];
        policy = { properties = [ true true ]; credential = true; };
      };
    };
    testNoPasswordFileInTheStoreOrInAPropertiesFile = {
      expr =
        let
          units = [ ft.systemd.services.apache-kafka ft.systemd.services.opencode-egress-tuner-kafka-accounts ft.systemd.services.opencode-egress-tuner-collector ft.systemd.services.opencode-egress-tuner-policy fw.systemd.services.opencode-egress-tuner-collector ];
          texts = [
            (propertiesOf fleetTuner "opencode-egress-tuner-collector")
            (propertiesOf fleetTuner "opencode-egress-tuner-policy")
            (propertiesOf fleetWeb1 "opencode-egress-tuner-collector")
            ft.services.apache-kafka.configFiles.serverProperties.text
          ];
        in
        {
          sourcesOutsideTheStore = builtins.all (f: !(lib.hasPrefix builtins.storeDir f)) (lib.concatMap credentialSources units);
          noSecretPathInProperties = builtins.all (t: !(lib.hasInfix "/run/secrets" t || lib.hasInfix "/run/agenix" t)) texts;
        };
      expected = { sourcesOutsideTheStore = true; noSecretPathInProperties = true; };
    };
    testKafkaPasswordFilesAreRequired = {
      expr = failedKafkaAssertions (evalHost [ { services.opencode-egress-tuner = { collector.enable = true; policy.enable = true; policy.database.provision = false; }; } ]);
      expected = map (o: "services.opencode-egress-tuner.${o} must be set: the Kafka broker accepts only authenticated clients (SASL/SCRAM). Put a password in a file outside the Nix store, e.g. head -c 32 /dev/urandom | base64 | tr -d '/+=\\n' > /run/secrets/<name> (docs/nixos.md, \"Kafka accounts and passwords\")") [
        "collector.kafkaPasswordFile"
        "policy.kafka.passwordFile"
        "policy.kafka.brokerPasswordFile"
        "policy.kafka.controllerPasswordFile"
      ];
    };
    testKafkaPasswordFilesMustBeOutsideTheStore = {
      expr = failedKafkaAssertions (tunerKafka {
        services.opencode-egress-tuner.policy.kafka = {
          brokerPasswordFile = lib.mkForce "${builtins.storeDir}/0000000000000000000000000000000-pw";
          collectors.web1.passwordFile = "relative/pw";
        };
      });
      expected = [
        "services.opencode-egress-tuner.policy.kafka.brokerPasswordFile must be outside the Nix store (which every local user can read), got '${builtins.storeDir}/0000000000000000000000000000000-pw'"
        "services.opencode-egress-tuner.policy.kafka.collectors.web1.passwordFile must be an absolute path (a string, not a Nix path, which would copy the secret into the store), got \"relative/pw\""
      ];
    };
    testKafkaHostNamesFollowTheTopicRule = {
      expr = failedKafkaAssertions (tunerKafka {
        services.opencode-egress-tuner.collector.host = "tuner..1";
        services.opencode-egress-tuner.policy.kafka.collectors."web 2".passwordFile = "/run/secrets/w2";
      });
      expected = [
        (ocLib.kafkaHostError "services.opencode-egress-tuner.collector.host" "tuner..1")
        "${ocLib.kafkaHostError "services.opencode-egress-tuner.policy.kafka.collectors" "web 2"} (an attribute name of policy.kafka.collectors)"
      ];
    };
    testKafkaLocalCollectorListedWithAnotherFile = {
      expr = {
        other = failedKafkaAssertions (tunerKafka { services.opencode-egress-tuner.policy.kafka.collectors.tuner.passwordFile = "/run/secrets/other"; });
        same = failedKafkaAssertions (tunerKafka { services.opencode-egress-tuner.policy.kafka.collectors.tuner.passwordFile = "/run/secrets/kafka-collector"; });
      };
      expected = {
        other = [
          "services.opencode-egress-tuner.policy.kafka.collectors.tuner.passwordFile (/run/secrets/other) differs from collector.kafkaPasswordFile (/run/secrets/kafka-collector), which this host's collector logs in with: drop the entry (this host's collector is provisioned anyway) or name the same file"
        ];
        same = [ ];
      };
    };
    testKafkaNixpkgsFormatAndBadClusterIdRefused = {
      expr = failedKafkaAssertions (tunerKafka {
        services.apache-kafka.formatLogDirs = true;
        services.opencode-egress-tuner.policy.kafka.clusterId = "not-an-id";
      });
      expected = [
        "services.apache-kafka.formatLogDirs must stay false with services.opencode-egress-tuner.policy.kafka.provision: the tuner formats the storage itself, with the broker's SCRAM account, which nixpkgs' format cannot add"
        (ocLib.kafkaClusterIdError "services.opencode-egress-tuner.policy.kafka.clusterId" "not-an-id")
      ];
    };
    testKafkaCollectorsWithoutProvisionWarn = {
      expr = builtins.filter (lib.hasInfix "kafka") (tunerKafka {
        services.opencode-egress-tuner.policy.kafka.provision = false;
        services.opencode-egress-tuner.policy.kafka.collectors.web1.passwordFile = "/run/secrets/w1";
      }).config.warnings;
      expected = [ "services.opencode-egress-tuner.policy.kafka.collectors is ignored: policy.kafka.provision is off, so no broker here creates the accounts of web1" ];
    };

    # 10. Denied local ports.
    testDeniedPortsFollowTheTunerOptions = {
      expr = map (p: p.port) movedPorts.config.services.opencode-egress-tuner.localPorts;
      expected = [ 9501 8443 9422 9094 9095 5433 9091 3001 ];
    };
    testDeniedPortsNameTheirPartAndOption = {
      expr = map (p: p.part) movedPorts.config.services.opencode-egress-tuner.localPorts;
      expected = [
        "collector health and metrics (services.opencode-egress-tuner.collector.settings.\"quarkus.http.port\")"
        "policy UI and API (services.opencode-egress-tuner.policy.settings.\"quarkus.http.port\")"
        "policy UI and API, management interface (services.opencode-egress-tuner.policy.settings.\"quarkus.management.port\")"
        "Kafka SASL_PLAINTEXT listener (services.apache-kafka.settings.listeners)"
        "Kafka CONTROLLER listener (services.apache-kafka.settings.listeners)"
        "PostgreSQL (services.postgresql.settings.port)"
        "Prometheus (services.prometheus.port)"
        "Grafana (services.grafana.settings.server.http_port)"
      ];
    };
    testMovedPortsRenderedInTheInstanceChain = {
      expr = builtins.elem "  oif \"lo\" meta l4proto { tcp, udp } th dport { 3001, 5433, 8443, 9091, 9094, 9095, 9422, 9501 } goto local_denied_web" (chainOf movedPorts);
      expected = true;
    };
    testMovedPortsHostEvaluates = { expr = evaluates movedPorts; expected = [ ]; };
    testNothingOfTheTunerEnabledDeniesNothing = {
      expr = {
        ports = isolatedEmpty.config.services.opencode-egress-tuner.localPorts;
        rule = lib.any (lib.hasInfix "local_denied_web") (chainOf isolatedEmpty);
      };
      expected = { ports = [ ]; rule = false; };
    };
    testCollectorOnlyHostDeniesTheCollectorPort = {
      expr =
        map (p: p.port)
          (evalHost [ kafkaPasswords { services.opencode-egress-tuner.collector.enable = true; } ]).config.services.opencode-egress-tuner.localPorts;
      expected = [ 9401 ];
    };
    testOpencodeModuleWithoutTheTunerModule = {
      expr = {
        evaluates = evaluates opencodeOnly;
        rule = builtins.elem "  oif \"lo\" meta l4proto { tcp, udp } th dport { 6379 } goto local_denied_web" (chainOf opencodeOnly);
      };
      expected = { evaluates = [ ]; rule = true; };
    };
    testUnisolatedInstanceBesideTheTunerWarns = {
      expr = builtins.filter (lib.hasInfix "networkIsolation is off") (tunerHost { services.opencode.instances.web.networkIsolation.enable = lib.mkForce false; }).config.warnings;
      expected = [
        "services.opencode.instances.web.networkIsolation is off: the instance can reach the egress tuner's local ports on this host (9401, 8090, 9421, 9092, 9093, 5432, 3000); enable it to deny them"
      ];
    };
    testDisabledInstanceOnTheTunerPortIsNoClash = {
      expr = failedAssertions (tunerHost { services.opencode.instances.web = { enable = false; listen.port = 9092; }; });
      expected = [ ];
    };
    testListenPortOfTheTunerFailsWithOurMessage = {
      expr = failedAssertions (tunerHost { services.opencode.instances.web.listen.port = 9092; });
      expected = [
        "services.opencode.instances.web.listen.port 9092 is also a port of the egress tuner on this host: Kafka CLIENT listener (services.apache-kafka.settings.listeners); choose another listen.port"
      ];
    };

    # 1. Names: 22 characters is the limit; a longer one fails with our message, and nothing
    #    of it (no user, no units) reaches NixOS' own checks.
    testName23FailsWithOurMessage = {
      expr = failedAssertions name23;
      expected = [ "services.opencode.instances.abcdefghijklmnopqrstuvw: ${ocLib.instanceNameError "abcdefghijklmnopqrstuvw"}" ];
    };
    testName23GetsNoUserAndNoUnits = {
      expr = name23.config.users.users ? opencode-abcdefghijklmnopqrstuvw || name23.config.systemd.services ? opencode-abcdefghijklmnopqrstuvw;
      expected = false;
    };
    testName22Evaluates = { expr = evaluates name22; expected = [ ]; };
    testName22UserAndGroupAre31Characters = {
      expr = map builtins.stringLength [ name22.config.users.users.opencode-abcdefghijklmnopqrstuv.group ];
      expected = [ 31 ];
    };

    # 3. module.nix's monitored host: no failed assertion once Grafana has its secret key from
    #    a file, and every unit renders. (module.nix's own cases on it, such as the collector
    #    holding no capability and the snapshot unit CAP_NET_ADMIN, run in module-nix.nix.)
    testMonitoredHostHasNoFailedAssertions = { expr = evaluates monitored; expected = [ ]; };

    # 4. Ordering after postgresql.target (nixpkgs with postgresql-setup.service).
    testPolicyAndRoleUnitsWaitForPostgresqlTarget = {
      expr = orderingOf (policyHost nixosFiles);
      expected = {
        policy = {
          after = [ "network-online.target" "apache-kafka.service" "postgresql.target" "opencode-egress-tuner-kafka-accounts.service" ];
          requires = [ "apache-kafka.service" "postgresql.target" ];
        };
        role = { after = [ "postgresql.target" "opencode-egress-tuner-policy.service" ]; requires = [ "postgresql.target" ]; };
      };
    };
    testPolicyUnitRendersTheOrdering = {
      expr = hasLine "After=network-online.target apache-kafka.service postgresql.target opencode-egress-tuner-kafka-accounts.service" (unitText (policyHost nixosFiles) "opencode-egress-tuner-policy").text;
      expected = true;
    };

    # 5. The tuner's pg_hba line merges with nixpkgs' lines, before the catch-all ones.
    testPgHbaLineMergedBeforeTheDefaults = {
      expr =
        let
          lines = lib.splitString "\n" m.services.postgresql.authentication;
          index = l: lib.lists.findFirstIndex (x: lib.hasPrefix l x) (-1) lines;
          ours = index "local egress_tuner egress_tuner peer";
          reject = index "local egress_tuner all reject";
        in
        {
          ours = ours >= 0;
          beforeDefaults = ours >= 0 && ours < index "local all all";
          # Every other role is rejected for the tuner's database before the catch-all lines
          # (postgres' own and "local all all peer") could let it in.
          rejectAfterOursBeforeDefaults = ours < reject && reject < index "local all postgres" && reject < index "local all all";
        };
      expected = { ours = true; beforeDefaults = true; rejectAfterOursBeforeDefaults = true; };
    };

    # 6. Reserved names: our assertion, no "conflicting definition values".
    testReservedNameFailsWithOurMessage = {
      expr = failedAssertions reserved;
      expected = [ "services.opencode.instances.egress-tuner-collector: ${ocLib.reservedInstanceNameError "egress-tuner-collector"}" ];
    };
    testReservedNameLeavesTheTunerUnitIntact = {
      expr = hasLine "Restart=always" (unitText reserved "opencode-egress-tuner-collector").text;
      expected = true;
    };
    testEveryTunerUnitIsReserved = {
      expr =
        let
          units = lib.attrNames m.systemd.services ++ lib.attrNames m.systemd.timers;
          tunerUnits = lib.unique (builtins.filter (lib.hasPrefix "opencode-egress-tuner-") units);
        in
        builtins.filter (u: !(builtins.elem (lib.removePrefix "opencode-" u) ocLib.reservedInstanceNames)) tunerUnits;
      expected = [ ];
    };

    # 7. Isolation with an empty allowlist warns.
    testEmptyAllowlistWarns = {
      expr = isolatedEmpty.config.warnings;
      expected = ocLib.egressInstanceWarnings "services.opencode.instances.web" { enable = true; outboundAllowCidrs = [ ]; };
    };
    testEmptyAllowlistHasNoFailedAssertions = { expr = evaluates isolatedEmpty; expected = [ ]; };

    # 8. Seed 004's resource controls, PrivateIPC, SystemCallFilter ~@resources.
    testResourceControlDefaults = {
      expr =
        lib.genAttrs [ "MemoryMax" "CPUWeight" "TasksMax" "LimitNPROC" "PrivateIPC" "SystemCallFilter" ] (
          k: webUnit.serviceConfig.${k} or null
        )
        // { quota = webUnit.serviceConfig ? CPUQuota; };
      expected = {
        MemoryMax = "4G";
        CPUWeight = 100;
        TasksMax = 1024;
        LimitNPROC = 1024;
        PrivateIPC = true;
        SystemCallFilter = [ "@system-service" "~@privileged" "~@resources" ];
        quota = false;
      };
    };
    testResourceControlsRendered = {
      expr = map (l: hasLine l (unitText web "opencode-web").text) [
        "MemoryMax=4G" "CPUWeight=100" "TasksMax=1024" "LimitNPROC=1024" "PrivateIPC=true"
        "SystemCallFilter=~@resources"
      ];
      expected = [ true true true true true true ];
    };
    testSetupUnitHasTheSameLimits = {
      expr = lib.genAttrs [ "MemoryMax" "TasksMax" "LimitNPROC" ] (
        k: web.config.systemd.services.opencode-web-setup.serviceConfig.${k} or null
      );
      expected = { MemoryMax = "4G"; TasksMax = 1024; LimitNPROC = 1024; };
    };
    testResourceControlsConfigurable = {
      expr =
        let
          sc = tuned.config.systemd.services.opencode-web.serviceConfig;
        in
        {
          CPUQuota = sc.CPUQuota or null;
          TasksMax = sc.TasksMax or null;
          memory = sc ? MemoryMax;
        };
      expected = { CPUQuota = "200%"; TasksMax = 4096; memory = false; };
    };
    testResourceControlOverridableByTheHost = {
      expr =
        (evalHost [
          (instance { })
          { systemd.services.opencode-web.serviceConfig.MemoryMax = "16G"; }
        ]).config.systemd.services.opencode-web.serviceConfig.MemoryMax;
      expected = "16G";
    };

    # 9. The typed config inside the NixOS module.
    testSeedExampleAgentsIsRejected = { expr = configRejected (badConfig { agents.rust-expert.model = "a/b"; }); expected = true; };
    testSeedExampleSkillsIsRejected = { expr = configRejected (badConfig { skills.deploy.instructions = "x"; }); expected = true; };
    testSeedExampleMcpServersIsRejected = {
      expr = configRejected (badConfig { mcp.servers.github.command = "mcp-github"; });
      expected = true;
    };
    testMcpServerWithoutTypeFailsAnAssertion = {
      expr = failedAssertions (badConfig { mcp.github.command = [ "mcp-github" ]; });
      expected = ocLib.opencodeConfigErrors "services.opencode.instances.web.config" { mcp.github.command = [ "mcp-github" ]; };
    };
    testTypedConfigEvaluates = {
      expr = evaluates (badConfig {
        agent.reviewer = { mode = "subagent"; prompt = "Review."; permission.edit = "deny"; };
        mcp.fs = { type = "local"; command = [ "mcp-fs" ]; };
        unchecked.fallbacks = { };
      });
      expected = [ ];
    };
  }
  // lib.optionalAttrs (nixosFilesOld != null) {
    # 4. Fallback: without postgresql.target, postgresql.service (which creates the
    #    databases itself there).
    testPolicyAndRoleUnitsWaitForPostgresqlServiceWithoutTheTarget = {
      expr = orderingOf (policyHost nixosFilesOld);
      expected = {
        policy = {
          after = [ "network-online.target" "apache-kafka.service" "postgresql.service" "opencode-egress-tuner-kafka-accounts.service" ];
          requires = [ "apache-kafka.service" "postgresql.service" ];
        };
        role = { after = [ "postgresql.service" "opencode-egress-tuner-policy.service" ]; requires = [ "postgresql.service" ]; };
      };
    };
    testOlderPostgresqlModuleEvaluates = { expr = evaluates (policyHost nixosFilesOld); expected = [ ]; };
    testOlderPostgresqlPortIsDenied = {
      expr = builtins.elem 5432 (map (p: p.port) (policyHost nixosFilesOld).config.services.opencode-egress-tuner.localPorts);
      expected = true;
    };
  }
  // exampleTests
  // vmTestsEvaluate;
in
# lib.runTests, except that a test whose expression fails to evaluate (a module-system error
# such as "conflicting definition values" is a throw) is reported as a failure of its own
# instead of ending the run.
lib.runTests (
  lib.mapAttrs (
    _: t:
    t
    // {
      expr =
        let
          r = builtins.tryEval (builtins.deepSeq t.expr t.expr);
        in
        if r.success then r.value else "evaluation failed (run the expression alone to see the error)";
    }
  ) tests
)
