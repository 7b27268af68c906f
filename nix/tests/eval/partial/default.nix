# The NixOS modules evaluated with nixpkgs' own lib.evalModules and nixpkgs' own declarations
# of what they set in systemd (unit options, unit types and the unit-file rendering of
# nixos/lib/systemd-*.nix), users and groups, networking.nftables, services.postgresql and
# assertions/warnings,
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

  instance = extra: {
    services.opencode.enable = true;
    services.opencode.instances.web = { directory = "/srv/web"; } // extra;
  };

  # The tuner's monitoring host, as tests/eval/module.nix has it.
  monitored = evalHost [
    {
      networking.hostName = "tuner-host";
      services.opencode-egress-tuner = {
        collector.enable = true;
        policy.enable = true;
        grafana.postgres.passwordFile = "/run/secrets/grafana-db";
      };
      services.prometheus.enable = true;
      services.grafana.enable = true;
      services.grafana.settings.security.secret_key = "$__file{/run/secrets/grafana-secret-key}";
    }
  ];
  m = monitored.config;

  name23 = evalHost [
    {
      services.opencode.enable = true;
      services.opencode.instances.abcdefghijklmnopqrstuvw.directory = "/srv/x";
    }
  ];
  name22 = evalHost [
    {
      services.opencode.enable = true;
      services.opencode.instances.abcdefghijklmnopqrstuv.directory = "/srv/x";
    }
  ];

  reserved = evalHost [
    {
      services.opencode.enable = true;
      services.opencode.instances.egress-tuner-collector.directory = "/srv/x";
      services.opencode-egress-tuner.collector.enable = true;
    }
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
      {
        networking.nftables.enable = true;
        services.opencode.enable = true;
        services.opencode.instances.web = {
          directory = "/srv/web";
          networkIsolation.enable = true;
        };
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

  tests = {
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
        ports = (evalHost [ { networking.nftables.enable = true; } (instance { networkIsolation.enable = true; }) ]).config.services.opencode-egress-tuner.localPorts;
        rule = lib.any (lib.hasInfix "local_denied_web") (chainOf isolatedEmpty);
      };
      expected = { ports = [ ]; rule = false; };
    };
    testCollectorOnlyHostDeniesTheCollectorPort = {
      expr =
        map (p: p.port)
          (evalHost [ { services.opencode-egress-tuner.collector.enable = true; } ]).config.services.opencode-egress-tuner.localPorts;
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
        "services.opencode.instances.web.listen.port 9092 is also a port of the egress tuner on this host: Kafka PLAINTEXT listener (services.apache-kafka.settings.listeners); choose another listen.port"
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

    # 3. module.nix's monitored host: the collector holds no capability, the snapshot unit
    #    CAP_NET_ADMIN; no failed assertion once Grafana has its secret key from a file.
    testMonitoredHostHasNoFailedAssertions = { expr = evaluates monitored; expected = [ ]; };
    testHostStateSnapshotTimerForTheCollector = {
      expr = {
        timer = m.systemd.timers.opencode-egress-tuner-nft-state.timerConfig.OnUnitActiveSec;
        caps = m.systemd.services.opencode-egress-tuner-nft-state.serviceConfig.CapabilityBoundingSet;
        collector = { inherit (m.systemd.services.opencode-egress-tuner-collector.serviceConfig) AmbientCapabilities CapabilityBoundingSet; };
      };
      expected = {
        timer = "1min";
        caps = [ "CAP_NET_ADMIN" ];
        collector = { AmbientCapabilities = ""; CapabilityBoundingSet = ""; };
      };
    };

    # 4. Ordering after postgresql.target (nixpkgs with postgresql-setup.service).
    testPolicyAndRoleUnitsWaitForPostgresqlTarget = {
      expr = orderingOf (policyHost nixosFiles);
      expected = {
        policy = { after = [ "network-online.target" "apache-kafka.service" "postgresql.target" ]; requires = [ "apache-kafka.service" "postgresql.target" ]; };
        role = { after = [ "postgresql.target" "opencode-egress-tuner-policy.service" ]; requires = [ "postgresql.target" ]; };
      };
    };
    testPolicyUnitRendersTheOrdering = {
      expr = hasLine "After=network-online.target apache-kafka.service postgresql.target" (unitText (policyHost nixosFiles) "opencode-egress-tuner-policy").text;
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
        policy = { after = [ "network-online.target" "apache-kafka.service" "postgresql.service" ]; requires = [ "apache-kafka.service" "postgresql.service" ]; };
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
