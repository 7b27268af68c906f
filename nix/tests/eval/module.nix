# Evaluation checks of the NixOS modules against nixpkgs, without a VM: the units, the
# hardening, the nftables table (must equal the pure library's output), merged allowlists,
# and the assertion messages for bad input. Runs in `nix flake check` on any Linux system.
#
# `evalConfig` replaces nixpkgs' eval-config.nix where all of nixpkgs is not at hand
# (partial/module-nix.nix runs these tests with nixpkgs' lib, a few NixOS files and stand-ins).
{
  nixpkgs,
  pkgs,
  self,
  system,
  evalConfig ? import "${nixpkgs}/nixos/lib/eval-config.nix",
}:
let
  inherit (nixpkgs) lib;
  ocLib = import ../../lib;
  inherit (import ./hosts.nix) instance namedInstance kafkaPasswords monitoredHost;

  evalHost =
    modules:
    evalConfig {
      inherit system;
      modules = [
        self.nixosModules.default
        self.nixosModules.egress-tuner
        {
          boot.loader.grub.enable = false;
          fileSystems."/".device = "none";
          system.stateVersion = "25.05";
        }
      ]
      ++ modules;
    };

  failedAssertions = host: map (a: a.message) (builtins.filter (a: !a.assertion) host.config.assertions);

  goodHost = {
      networking.nftables.enable = true;
      services.opencode = {
        enable = true;
        instances.web = {
          directory = "/srv/web";
          listen.port = 8081;
          networkIsolation = {
            enable = true;
            outboundAllowCidrs = [ "10.0.0.0/8" "2001:db8::/32" ];
          };
        };
        instances.batch = {
          directory = "/home/batch/project";
          listen.port = 8082;
          sandbox.unixSockets.allow = [ "/run/postgresql" ];
        };
      };
    };
  good = evalHost [ goodHost ];
  c = good.config;
  web = c.systemd.services.opencode-web;
  batch = c.systemd.services.opencode-batch;

  merged = evalHost [ ../../examples/multi-instance-host ];

  # The tuner's monitoring: scrape jobs, rules and Grafana provisioning (dashboards/README.md).
  monitored = evalHost [ monitoredHost ];
  m = monitored.config;

  # The tuner's parts and an isolated instance on one host: the instance is denied the tuner's
  # local ports (read from the tuner's options) and the operator's.
  sharedHost = evalHost [
    monitoredHost
    { networking.nftables.enable = true; }
    (instance {
      networkIsolation = {
        enable = true;
        outboundAllowCidrs = [ "10.0.0.0/8" ];
        deniedLocalPorts = [ 6379 ];
      };
    })
  ];
  s = sharedHost.config;

  # The UI's session key and TLS files, as systemd credentials (docs/api.md, "Logins and sessions").
  secured = evalHost [
    kafkaPasswords
    {
      services.opencode-egress-tuner.policy = {
        enable = true;
        sessionKeyFile = "/run/secrets/tuner-session-key";
        tls = {
          certificateFile = "/var/lib/acme/tuner/fullchain.pem";
          keyFile = "/var/lib/acme/tuner/key.pem";
        };
        openFirewall = true;
      };
    }
  ];
  policyUnit = secured.config.systemd.services.opencode-egress-tuner-policy;

  tests = {
    testTheHttpsPortIsATunerLocalPort = {
      expr = builtins.filter (p: lib.hasInfix "HTTPS" p.part) secured.config.services.opencode-egress-tuner.localPorts;
      expected = [ {
        port = secured.config.services.opencode-egress-tuner.policy.tls.port;
        part = "policy UI and API, HTTPS (services.opencode-egress-tuner.policy.tls.port)";
      } ];
    };
    testNoFailedAssertions = { expr = failedAssertions good; expected = [ ]; };
    testMonitoredHostHasNoFailedAssertions = { expr = failedAssertions monitored; expected = [ ]; };
    testScrapeJobsAreWhatTheRulesQuery = {
      expr = map (j: j.job_name) m.services.prometheus.scrapeConfigs;
      expected = [ "opencode-egress-collector" "opencode-egress-policy" ];
    };
    testPolicyIsScrapedOnItsLoopbackManagementPortNotItsApiPort = {
      expr = {
        targets = (builtins.head (lib.last m.services.prometheus.scrapeConfigs).static_configs).targets;
        host = m.services.opencode-egress-tuner.policy.settings."quarkus.management.host";
        port = m.services.opencode-egress-tuner.policy.settings."quarkus.management.port";
      };
      expected = { targets = [ "127.0.0.1:9421" ]; host = "127.0.0.1"; port = 9421; };
    };
    testCollectorTargetCarriesTheHostLabel = {
      expr = (builtins.head (builtins.head m.services.prometheus.scrapeConfigs).static_configs).labels.host;
      expected = "tuner-host";
    };
    testRulesAreLoaded = {
      expr = map (f: baseNameOf (toString f)) m.services.prometheus.ruleFiles;
      expected = [ "opencode-egress-tuner.rules.yml" ];
    };
    testDatasourcesProvisionedWithThePasswordFromAFile = {
      expr = map (d: d.type) m.services.grafana.provision.datasources.settings.datasources;
      expected = [ "prometheus" "grafana-postgresql-datasource" ];
    };
    testSecuredHostHasNoFailedAssertions = { expr = failedAssertions secured; expected = [ ]; };
    testPolicySecretsAreCredentialsAndOnlyTheirPathsReachTheEnvironment = {
      expr = {
        inherit (policyUnit.serviceConfig) LoadCredential;
        inherit (policyUnit.environment)
          TUNER_POLICY_AUTH_SESSION_KEY_FILE QUARKUS_HTTP_SSL_CERTIFICATE_FILES QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES
          QUARKUS_HTTP_SSL_PORT;
        firewall = secured.config.networking.firewall.allowedTCPPorts;
      };
      expected = {
        LoadCredential = [
          "session-key:/run/secrets/tuner-session-key"
          "tls-certificate:/var/lib/acme/tuner/fullchain.pem"
          "tls-key:/var/lib/acme/tuner/key.pem"
          "kafka.password:/run/secrets/kafka-policy"
        ];
        TUNER_POLICY_AUTH_SESSION_KEY_FILE = "%d/session-key";
        QUARKUS_HTTP_SSL_CERTIFICATE_FILES = "%d/tls-certificate";
        QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES = "%d/tls-key";
        QUARKUS_HTTP_SSL_PORT = "8443";
        # openFirewall opens the UI and API, never the management port (9421).
        firewall = [ 8090 8443 ];
      };
    };
    testThePolicyServicesOnlyDefaultCredentialIsItsKafkaPassword = {
      expr = m.systemd.services.opencode-egress-tuner-policy.serviceConfig.LoadCredential;
      expected = [ "kafka.password:/run/secrets/kafka-policy" ];
    };
    # Kafka logins: the broker's passwords and every account's as credentials, the provisioning
    # unit between the broker and the services, the applications reading the credential.
    testKafkaPasswordsAreCredentials = {
      expr = {
        broker = m.systemd.services.apache-kafka.serviceConfig.LoadCredential;
        accounts = m.systemd.services.opencode-egress-tuner-kafka-accounts.serviceConfig.LoadCredential;
        collector = m.systemd.services.opencode-egress-tuner-collector.serviceConfig.LoadCredential;
      };
      expected = {
        broker = [ "tuner-broker.password:/run/secrets/kafka-broker" "tuner-controller.password:/run/secrets/kafka-controller" ];
        accounts = [
          "tuner-broker.password:/run/secrets/kafka-broker"
          "tuner-policy.password:/run/secrets/kafka-policy"
          "collector-tuner-host.password:/run/secrets/kafka-collector"
        ];
        collector = [ "kafka.password:/run/secrets/kafka-collector" ];
      };
    };
    testKafkaAccountsUnitRunsBetweenTheBrokerAndTheServices = {
      expr = {
        inherit (m.systemd.services.opencode-egress-tuner-kafka-accounts) requires after partOf before;
        inherit (m.systemd.services.opencode-egress-tuner-kafka-accounts.serviceConfig) Type RemainAfterExit;
        policy = builtins.elem "opencode-egress-tuner-kafka-accounts.service" m.systemd.services.opencode-egress-tuner-policy.after;
        collector = builtins.elem "opencode-egress-tuner-kafka-accounts.service" m.systemd.services.opencode-egress-tuner-collector.after;
      };
      expected = {
        requires = [ "apache-kafka.service" ];
        after = [ "apache-kafka.service" ];
        partOf = [ "apache-kafka.service" ];
        before = [ "opencode-egress-tuner-policy.service" "opencode-egress-tuner-collector.service" ];
        Type = "oneshot";
        RemainAfterExit = true;
        policy = true;
        collector = true;
      };
    };
    testKafkaBrokerFormatsItselfWithItsAccount = {
      expr = {
        nixpkgsFormat = m.services.apache-kafka.formatLogDirs;
        ours = lib.hasInfix "\"kafka.tools.StorageTool\"" m.systemd.services.apache-kafka.preStart;
        client = m.services.apache-kafka.settings."listener.security.protocol.map";
        jaas = m.services.apache-kafka.settings."listener.name.client.scram-sha-512.sasl.jaas.config";
      };
      expected = {
        nixpkgsFormat = false;
        ours = true;
        client = [ "CLIENT:SASL_PLAINTEXT" "CONTROLLER:SASL_PLAINTEXT" ];
        jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"tuner-broker\" password=\"\${dir:/run/credentials/apache-kafka.service:tuner-broker.password}\";";
      };
    };
    testKafkaLoginsInTheApplicationsSettings = {
      expr = {
        collector = lib.getAttrs [ "tuner.collector.host" "tuner.collector.kafka.username" "tuner.collector.kafka.password-file" ] m.services.opencode-egress-tuner.collector.settings;
        policy = lib.getAttrs [ "tuner.policy.kafka.username" "tuner.policy.kafka.password-file" ] m.services.opencode-egress-tuner.policy.settings;
      };
      expected = {
        collector = {
          "tuner.collector.host" = "tuner-host";
          "tuner.collector.kafka.username" = "collector-tuner-host";
          "tuner.collector.kafka.password-file" = "\${CREDENTIALS_DIRECTORY}/kafka.password";
        };
        policy = {
          "tuner.policy.kafka.username" = "tuner-policy";
          "tuner.policy.kafka.password-file" = "\${CREDENTIALS_DIRECTORY}/kafka.password";
        };
      };
    };
    testGrafanaRoleUnitReadsThePasswordAsACredential = {
      expr = m.systemd.services.opencode-egress-tuner-grafana-role.serviceConfig.LoadCredential;
      expected = "password:/run/secrets/grafana-db";
    };
    testHostStateSnapshotTimerForTheCollector = {
      expr = {
        timer = m.systemd.timers.opencode-egress-tuner-nft-state.timerConfig.OnUnitActiveSec;
        caps = m.systemd.services.opencode-egress-tuner-nft-state.serviceConfig.CapabilityBoundingSet;
        # The hardening empties both sets: the collector holds no capability at all.
        collector = { inherit (m.systemd.services.opencode-egress-tuner-collector.serviceConfig) AmbientCapabilities CapabilityBoundingSet; };
      };
      expected = { timer = "1min"; caps = [ "CAP_NET_ADMIN" ]; collector = { AmbientCapabilities = ""; CapabilityBoundingSet = ""; }; };
    };
    testSharedHostHasNoFailedAssertions = { expr = failedAssertions sharedHost; expected = [ ]; };
    testTunerLocalPortsFromItsOptions = {
      # collector, policy (API, management), Kafka broker and controller, PostgreSQL, Prometheus, Grafana
      expr = map (p: p.port) s.services.opencode-egress-tuner.localPorts;
      expected = [ 9401 8090 9421 9092 9093 5432 9090 3000 ];
    };
    testTunerAndOperatorPortsDeniedToTheInstance = {
      expr = s.networking.nftables.tables.opencode-egress.content;
      expected = ocLib.egressTableContent {
        web = {
          user = "opencode-web";
          outboundAllowCidrs = [ "10.0.0.0/8" ];
          deniedLocalPorts = [ 6379 9401 8090 9421 9092 9093 5432 9090 3000 ];
        };
      };
    };
    testEgressCheckInsistsOnTheDeniedPorts = {
      expr = map (u: lib.hasSuffix "/bin/opencode-check-egress web opencode-web 3000,5432,6379,8090,9090,9092,9093,9401,9421" (builtins.head s.systemd.services.${u}.serviceConfig.ExecStartPre)) [ "opencode-web" "opencode-web-setup" ];
      expected = [ true true ];
    };
    testUnits = {
      expr = builtins.all (n: c.systemd.services ? ${n}) [ "opencode-web" "opencode-web-setup" "opencode-batch" "opencode-batch-setup" ];
      expected = true;
    };
    testUser = { expr = { inherit (c.users.users.opencode-web) isSystemUser group home; }; expected = { isSystemUser = true; group = "opencode-web"; home = "/var/lib/opencode/instance-state/web"; }; };
    testHome = { expr = web.environment.HOME; expected = "/var/lib/opencode/instance-state/web"; };
    testHardening = {
      expr = {
        inherit (web.serviceConfig)
          ProtectSystem ProtectHome PrivateTmp PrivateDevices NoNewPrivileges CapabilityBoundingSet ProtectProc UMask;
      };
      expected = {
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        NoNewPrivileges = true;
        CapabilityBoundingSet = "";
        ProtectProc = "invisible";
        UMask = "0077";
      };
    };
    testWritablePaths = { expr = web.serviceConfig.ReadWritePaths; expected = [ "/srv/web" "/var/lib/opencode/instance-state/web" ]; };
    testOtherStateInaccessible = { expr = builtins.elem "-/var/lib/opencode/instance-state/batch" web.serviceConfig.InaccessiblePaths; expected = true; };
    testHomePathBoundIn = {
      expr = { inherit (batch.serviceConfig) ProtectHome BindPaths; };
      expected = { ProtectHome = "tmpfs"; BindPaths = [ "/home/batch/project" ]; };
    };
    testSocketBoundIn = { expr = builtins.elem "/run/postgresql" batch.serviceConfig.BindReadOnlyPaths; expected = true; };
    testOnlyListenPortBindable = { expr = web.serviceConfig.SocketBindAllow; expected = [ "tcp:8081" ]; };
    testTableFromPureLibrary = {
      expr = c.networking.nftables.tables.opencode-egress.content;
      expected = ocLib.egressTableContent {
        web = {
          user = "opencode-web";
          outboundAllowCidrs = [ "10.0.0.0/8" "2001:db8::/32" ];
          logRate = "5/minute";
          blockedTimeout = "7d";
          # The other instance's opencode server (batch, not isolated itself) is out of reach.
          deniedLocalPorts = [ 8082 ];
        };
      };
    };
    testOtherInstancesServersReachableOnlyWhenAllowed = {
      expr = (evalHost [
        goodHost
        { services.opencode.instances.web.networkIsolation.reachOtherInstances = true; }
      ]).config.networking.nftables.tables.opencode-egress.content;
      expected = ocLib.egressTableContent {
        web = {
          user = "opencode-web";
          outboundAllowCidrs = [ "10.0.0.0/8" "2001:db8::/32" ];
          logRate = "5/minute";
          blockedTimeout = "7d";
        };
      };
    };
    testTableFamily = { expr = c.networking.nftables.tables.opencode-egress.family; expected = "inet"; };
    testPolicyBeforeSetup = {
      expr = builtins.all (u: builtins.elem "nftables.service" u) [ c.systemd.services.opencode-web-setup.requires web.bindsTo web.after ];
      expected = true;
    };
    testNoPolicyDependencyWithoutIsolation = { expr = batch.bindsTo; expected = [ ]; };
    testCheckRunsPrivileged = { expr = lib.hasPrefix "+" (builtins.head web.serviceConfig.ExecStartPre); expected = true; };
    testPreCheckSubstitution = { expr = lib.hasInfix "meta skuid 65534" c.networking.nftables.preCheckRuleset; expected = true; };

    # The example host: a hand-written base list and a generated one merge.
    testExampleListsMerge = {
      expr = lib.sort lib.lessThan merged.config.services.opencode.instances.web.networkIsolation.outboundAllowCidrs;
      expected = lib.sort lib.lessThan (
        (import ../../examples/multi-instance-host/allowlist-base.nix).services.opencode.instances.web.networkIsolation.outboundAllowCidrs
        ++ (import ../../examples/multi-instance-host/allowlist-generated.nix).services.opencode.instances.web.networkIsolation.outboundAllowCidrs
      );
    };
    testExampleHasNoFailedAssertions = { expr = failedAssertions merged; expected = [ ]; };

    # Every example host evaluates with no failed assertion.
    testExamplesHaveNoFailedAssertions = {
      expr = lib.mapAttrs (_: e: failedAssertions (evalHost [ e ])) {
        single = ../../examples/single-instance.nix;
        multi = ../../examples/multi-instance-host;
        tuner = ../../examples/egress-tuner-host.nix;
        collector = ../../examples/egress-tuner-collector-host.nix;
      };
      expected = { single = [ ]; multi = [ ]; tuner = [ ]; collector = [ ]; };
    };

    # PostgreSQL: wait for postgresql.target (database and roles exist), and the pg_hba lines
    # merge with nixpkgs' own lines, before the catch-all ones.
    testPolicyWaitsForPostgresqlTarget = {
      expr = { inherit (m.systemd.services.opencode-egress-tuner-policy) requires; role = m.systemd.services.opencode-egress-tuner-grafana-role.requires; };
      expected = { requires = [ "apache-kafka.service" "postgresql.target" ]; role = [ "postgresql.target" ]; };
    };
    testPgHbaLineMerged = {
      expr =
        let
          lines = lib.splitString "\n" m.services.postgresql.authentication;
          index = p: lib.lists.findFirstIndex (lib.hasPrefix p) (-1) lines;
        in
        {
          ours = index "local egress_tuner egress_tuner peer" >= 0 && index "local egress_tuner egress_tuner peer" < index "local all all";
          # Every other role is refused the tuner's database over the socket, before the
          # catch-all "local all all peer" could let it in.
          othersRejected =
            index "local egress_tuner egress_tuner peer" < index "local egress_tuner all reject"
            && index "local egress_tuner all reject" < index "local all all";
        };
      expected = { ours = true; othersRejected = true; };
    };

    # Seed 004's resource controls.
    testResourceControls = {
      expr = { inherit (web.serviceConfig) MemoryMax CPUWeight TasksMax LimitNPROC PrivateIPC SystemCallFilter; };
      expected = {
        MemoryMax = "4G";
        CPUWeight = 100;
        TasksMax = 1024;
        LimitNPROC = 1024;
        PrivateIPC = true;
        SystemCallFilter = [ "@system-service" "~@privileged" "~@resources" ];
      };
    };

    # Isolation with an empty allowlist warns.
    testEmptyAllowlistWarns = {
      # Other NixOS modules may warn too: the test only asks for ours.
      expr =
        let
          warnings = (evalHost [
            {
              networking.nftables.enable = true;
              services.opencode.enable = true;
              services.opencode.instances.lonely = {
                directory = "/srv/lonely";
                networkIsolation.enable = true;
              };
            }
          ]).config.warnings;
        in
        builtins.filter (w: lib.hasPrefix "services.opencode." w) warnings;
      expected = ocLib.egressInstanceWarnings "services.opencode.instances.lonely" { enable = true; };
    };
  };

  # Each bad host must fail with an assertion containing `message`.
  rejections = {
    bad-cidr = {
      message = "services.opencode.instances.web: opencode instance 'web': outboundAllowCidrs entry '10.0.0.1/8' is not in canonical form (host bits are set); write '10.0.0.0/8'";
      host = {
        imports = [ (instance { networkIsolation.outboundAllowCidrs = [ "10.0.0.1/8" ]; }) ];
        networking.nftables.enable = true;
      };
    };
    name-too-long = {
      # opencode-<23 characters> would be 32: NixOS refuses user and group names over 31.
      message = "services.opencode.instances.abcdefghijklmnopqrstuvw: opencode instance name 'abcdefghijklmnopqrstuvw' is invalid";
      host = namedInstance "abcdefghijklmnopqrstuvw" { };
    };
    reserved-name = {
      message = "services.opencode.instances.egress-tuner-collector: opencode instance name 'egress-tuner-collector' is reserved";
      host = {
        imports = [ (namedInstance "egress-tuner-collector" { }) ];
        services.opencode-egress-tuner.collector.enable = true;
      };
    };
    mcp-without-type = {
      message = "services.opencode.instances.web.config.mcp.github: set type";
      host = instance { config.mcp.github.command = [ "mcp-github" ]; };
    };
    bad-name = {
      message = "services.opencode.instances.Bad_Name: opencode instance name 'Bad_Name' is invalid";
      host = namedInstance "Bad_Name" { };
    };
    duplicate-port = {
      message = "services.opencode.instances: listen.port 8080 is used by more than one instance (a, b); ports must be unique";
      host = {
        services.opencode.enable = true;
        services.opencode.instances.a.directory = "/srv/a";
        services.opencode.instances.b.directory = "/srv/b";
      };
    };
    nftables-off = {
      message = "services.opencode.instances.web.networkIsolation.enable requires networking.nftables.enable = true";
      host = instance { networkIsolation.enable = true; };
    };
    grafana-password-missing = {
      message = "services.opencode-egress-tuner.grafana.postgres.passwordFile must be set";
      host = {
        services.opencode-egress-tuner.policy.enable = true;
        services.grafana.enable = true;
      };
    };
    session-key-in-store = {
      message = "services.opencode-egress-tuner.policy.sessionKeyFile must be outside the Nix store";
      host = {
        services.opencode-egress-tuner.policy.enable = true;
        services.opencode-egress-tuner.policy.sessionKeyFile = "${builtins.storeDir}/0000000000000000000000000000000-key";
      };
    };
    tls-key-without-certificate = {
      message = "services.opencode-egress-tuner.policy.tls: set both certificateFile and keyFile, or neither";
      host = {
        services.opencode-egress-tuner.policy.enable = true;
        services.opencode-egress-tuner.policy.tls.keyFile = "/run/secrets/tls-key.pem";
      };
    };
    grafana-password-in-store = {
      message = "services.opencode-egress-tuner.grafana.postgres.passwordFile must be outside the Nix store";
      host = {
        services.opencode-egress-tuner.policy.enable = true;
        services.opencode-egress-tuner.grafana.postgres.passwordFile = "${builtins.storeDir}/0000000000000000000000000000000-pw";
        services.grafana.enable = true;
      };
    };
    secret-in-store = {
      message = "services.opencode.instances.web.environmentFile must be an absolute path outside the Nix store";
      host = instance { environmentFile = "${builtins.storeDir}/0000000000000000000000000000000-secrets.env"; };
    };
    denied-own-listen-port = {
      message = "services.opencode.instances.web.networkIsolation.deniedLocalPorts contains 8080, the instance's own listen.port";
      host = instance { networkIsolation.deniedLocalPorts = [ 8080 ]; };
    };
    denied-port-zero = {
      message = "services.opencode.instances.web: opencode instance 'web': networkIsolation.deniedLocalPorts entry 0 is not a port (an integer from 1 to 65535)";
      host = instance { networkIsolation.deniedLocalPorts = [ 0 ]; };
    };
    listen-port-of-the-tuner = {
      message = "services.opencode.instances.web.listen.port 8090 is also a port of the egress tuner on this host: policy UI and API (services.opencode-egress-tuner.policy.settings.\"quarkus.http.port\"); choose another listen.port";
      host = {
        imports = [ (instance { listen.port = 8090; }) ];
        services.opencode-egress-tuner.policy.enable = true;
        services.opencode-egress-tuner.policy.database.provision = false;
      };
    };
    kafka-password-missing = {
      message = "services.opencode-egress-tuner.collector.kafkaPasswordFile must be set: the Kafka broker accepts only authenticated clients";
      host = { services.opencode-egress-tuner.collector.enable = true; };
    };
    kafka-broker-password-in-store = {
      message = "services.opencode-egress-tuner.policy.kafka.brokerPasswordFile must be outside the Nix store";
      host = {
        imports = [ kafkaPasswords ];
        services.opencode-egress-tuner.policy.enable = true;
        services.opencode-egress-tuner.policy.kafka.brokerPasswordFile = lib.mkForce "${builtins.storeDir}/0000000000000000000000000000000-pw";
      };
    };
    kafka-collector-host-name = {
      message = "services.opencode-egress-tuner.collector.host \"web_1.\" cannot name the host's Kafka topics";
      host = {
        imports = [ kafkaPasswords ];
        services.opencode-egress-tuner.collector = {
          enable = true;
          host = "web_1.";
        };
      };
    };
    kafka-nixpkgs-format = {
      message = "services.apache-kafka.formatLogDirs must stay false with services.opencode-egress-tuner.policy.kafka.provision";
      host = {
        imports = [ kafkaPasswords ];
        services.opencode-egress-tuner.policy.enable = true;
        services.apache-kafka.formatLogDirs = true;
      };
    };
    state-inside-directory = {
      message = "services.opencode.instances.web: stateDir '/srv/web/.state' and directory '/srv/web' must not contain each other";
      host = instance { stateDir = "/srv/web/.state"; };
    };
  };

  rejectionTests = lib.mapAttrs' (
    name: r:
    lib.nameValuePair "testRejects-${name}" {
      expr = lib.any (m: lib.hasInfix r.message m) (failedAssertions (evalHost [ r.host ]));
      expected = true;
    }
  ) rejections;

  failures = lib.runTests (tests // rejectionTests);
in
pkgs.runCommand "opencode-module-eval" { } (
  if failures == [ ] then
    "echo ${toString (builtins.length (builtins.attrNames (tests // rejectionTests)))} module eval tests passed > $out"
  else
    throw "opencode module eval tests failed:\n${builtins.toJSON failures}"
)
