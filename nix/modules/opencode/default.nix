# services.opencode: several isolated opencode servers on one host, declared like
# services.nginx.virtualHosts. Per instance: a user opencode-<name>, a setup unit that
# prepares the state directory, a hardened server unit and, optionally, an nftables egress
# allowlist whose blocked attempts are logged for the egress tuner.
#
# The ruleset and the input checks come from the pure library ../../lib (builtins only).
{
  config,
  options,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib)
    mkOption
    mkEnableOption
    mkIf
    mkMerge
    mkDefault
    types
    literalExpression
    ;

  ocLib = import ../../lib;
  cfg = config.services.opencode;

  configOptions = import ./config-options.nix { inherit lib; };
  # The systemd sandbox both modules' units start from (see `hardening` below).
  sandbox = import ../hardening.nix;

  instanceModule =
    { name, ... }:
    {
      options = {
        enable = mkOption {
          type = types.bool;
          default = true;
          description = "Whether to run this instance.";
        };

        package = mkOption {
          type = types.package;
          default = pkgs.opencode;
          defaultText = literalExpression "pkgs.opencode";
          description = "The opencode package that serves this instance.";
        };

        user = mkOption {
          type = types.str;
          default = "opencode-${name}";
          readOnly = true;
          description = ''
            The dedicated user (and group) of this instance, `opencode-<name>`. Read-only: the
            egress policy, the log prefix and the tuner rely on the name.
          '';
        };

        directory = mkOption {
          type = types.str;
          example = "/srv/my-project";
          description = ''
            Project working directory. Operator-managed: the server reads and writes it, the
            setup unit never creates or changes it. Required.
          '';
        };

        stateDir = mkOption {
          type = types.str;
          default = "/var/lib/opencode/instance-state/${name}";
          defaultText = literalExpression ''"/var/lib/opencode/instance-state/''${name}"'';
          description = ''
            Persistent state of the instance and its `HOME` (opencode keeps its data in
            `$HOME/.local/share/opencode`). Mode 0700, owned by the instance user; other
            instances cannot see it.
          '';
        };

        extraGroups = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [ "postgres" ];
          description = "Supplementary groups of the instance user.";
        };

        listen = {
          address = mkOption {
            type = types.str;
            default = "127.0.0.1";
            description = "Address the server listens on (`opencode serve --hostname`).";
          };
          port = mkOption {
            type = types.port;
            default = 8080;
            description = "TCP port the server listens on; unique across instances. The only port the unit may bind.";
          };
        };

        openFirewall = mkOption {
          type = types.bool;
          default = false;
          description = "Whether to open `listen.port` in the host firewall (networking.firewall).";
        };

        environment = mkOption {
          type = types.attrsOf types.str;
          default = { };
          example = { OPENCODE_DISABLE_AUTOUPDATE = "1"; };
          description = ''
            Environment variables of the server. Stored in the Nix store: no secrets here, use
            `environmentFile`. `HOME` is always `stateDir`.
          '';
        };

        environmentFile = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "/run/secrets/opencode-my-project.env";
          description = ''
            Absolute path of a file with `NAME=value` lines read at service start (systemd
            `EnvironmentFile=`), for secrets such as API keys, e.g. from sops-nix or agenix.
            A string, not a Nix path, so the secret never enters the store. Its values override
            `environment`.
          '';
        };

        path = mkOption {
          type = types.listOf types.package;
          default = [ ];
          example = literalExpression "[ pkgs.git pkgs.ripgrep ]";
          description = "Packages added to the server's (and the setup hooks') `PATH`.";
        };

        logLevel = mkOption {
          type = types.nullOr (types.enum [ "debug" "info" "warn" "error" ]);
          default = null;
          description = "Log level (`opencode --log-level`); null leaves opencode's default.";
        };

        model = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "claude-sonnet-4-5";
          description = ''
            Default model. Written to the generated opencode.json as `model`, prefixed with
            `provider/` when `provider` is set and the value has no `/` yet. Ignored when
            `configFile` is set.
          '';
        };

        provider = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "anthropic";
          description = "Provider of `model` (see there).";
        };

        extraArgs = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [ "--mdns" ];
          description = "Extra arguments for `opencode serve` (not `--port`/`--hostname`: use `listen`).";
        };

        sandbox = {
          readWritePaths = mkOption {
            type = types.listOf types.str;
            default = [ ];
            example = [ "/srv/shared-cache" ];
            description = "Paths the server may write besides `directory` and `stateDir`.";
          };
          readOnlyPaths = mkOption {
            type = types.listOf types.str;
            default = [ ];
            example = [ "/srv/reference-docs" ];
            description = ''
              Paths the server may read that the sandbox would otherwise hide (under `/home`,
              `/root` or `/run`). The rest of the file system is read-only anyway.
            '';
          };
          unixSockets.allow = mkOption {
            type = types.listOf types.str;
            default = [ ];
            example = [ "/run/postgresql" "/nix/var/nix/daemon-socket/socket" ];
            description = ''
              Unix sockets (or directories of sockets) the server may connect to. `/run` is an
              empty file system in the sandbox except for name service and DNS
              (`/run/nscd`, `/run/systemd/resolve`) and the journal; the nix-daemon socket is
              hidden. Permissions on the socket still apply (see `extraGroups`).
            '';
          };
        };

        networkIsolation = {
          enable = mkOption {
            type = types.bool;
            default = false;
            description = ''
              Whether to confine outbound traffic of the instance user to
              `outboundAllowCidrs` (plus loopback and answers on established connections),
              with the nftables table `inet opencode-egress`. Requires
              `networking.nftables.enable`. The server does not start unless the policy is
              loaded.
            '';
          };
          outboundAllowCidrs = mkOption {
            type = types.listOf types.str;
            default = [ ];
            example = [ "10.10.0.0/16" "2001:db8:100::/48" ];
            description = ''
              Allowed destinations as canonical CIDRs (IPv4 or IPv6, host bits zero, IPv6 in
              RFC 5952 form, always with a prefix length). Lists from several modules merge,
              so a hand-written base list and an allowlist generated by the egress tuner's
              exporter coexist. Entries covered by a broader entry are rendered once (with a
              warning). DNS servers must be listed unless resolution goes through loopback.
            '';
          };
          logRate = mkOption {
            type = types.str;
            default = "5/minute";
            example = "30/minute";
            description = ''
              nft `limit rate` for the blocked-attempt log (burst 5). The log is a sample; the
              exact counts are in the sets blocked4_<name>/blocked6_<name>.
            '';
          };
          deniedLocalPorts = mkOption {
            type = types.listOf types.port;
            default = [ ];
            example = [ 6379 11211 ];
            description = ''
              Ports on this host that the instance may not reach, over TCP or UDP, on any
              local address (127.0.0.0/8, ::1 and the host's own addresses all travel over
              loopback), although loopback stays open otherwise. The ports of the egress
              tuner's parts on this host (`services.opencode-egress-tuner.localPorts`: Kafka,
              the KRaft controller, PostgreSQL, the policy API and its management port (metrics,
              health, OpenAPI), the collector's health and metrics, Prometheus and Grafana when
              the tuner feeds them) are always denied;
              list other local services the agent must not talk to here. Attempts are refused
              (TCP with a reset, as on a closed port; UDP dropped), counted, and logged under
              the prefix `opencode-<name>-local-denied: `, which the tuner does not collect.
              Only with `enable`; Unix sockets are not affected (see
              `sandbox.unixSockets.allow`).
            '';
          };
          reachOtherInstances = mkOption {
            type = types.bool;
            default = false;
            description = ''
              Whether the instance may connect to the opencode servers of the other instances on
              this host. Off by default: another instance's server runs tools as that instance,
              under its allowlist, so reaching it would cross from one sandbox into another;
              their `listen.port`s are then added to `deniedLocalPorts`.
            '';
          };
          blockedTimeout = mkOption {
            type = types.str;
            default = "7d";
            example = "30d";
            description = ''
              How long a blocked destination stays in blocked4_<name>/blocked6_<name> after its
              last attempt (nft time, e.g. `12h`, `7d`).
            '';
          };
        };

        resources = {
          memoryMax = mkOption {
            type = types.nullOr (types.strMatching "[0-9]+[KMGT]?|[0-9]+(\\.[0-9]+)?%|infinity");
            default = "4G";
            example = "8G";
            description = ''
              Hard memory limit of the server unit and everything it starts (systemd
              `MemoryMax=`): past it the kernel's OOM killer acts inside the unit, not on the
              host. opencode, its language servers and the tools it runs share it. `null`
              leaves systemd's default (no limit).
            '';
          };
          cpuWeight = mkOption {
            type = types.nullOr (types.ints.between 1 10000);
            default = 100;
            example = 50;
            description = ''
              Share of CPU time under contention (systemd `CPUWeight=`, default 100): equal
              weights give every instance the same share when the host is busy, whatever
              number of processes it runs.
            '';
          };
          cpuQuota = mkOption {
            type = types.nullOr (types.strMatching "[0-9]+%");
            default = null;
            example = "200%";
            description = ''
              Hard CPU cap (systemd `CPUQuota=`; "200%" is two CPUs' worth). `null` (the
              default) caps nothing: `cpuWeight` already keeps instances from starving each
              other, and a cap slows builds and tests even on an idle host.
            '';
          };
          tasksMax = mkOption {
            type = types.nullOr types.ints.positive;
            default = 1024;
            example = 4096;
            description = ''
              Most tasks (processes and threads) in the unit (systemd `TasksMax=`): a fork bomb
              or a runaway build stops there. The runtime, language servers and a parallel
              build fit in the default.
            '';
          };
          limitNPROC = mkOption {
            type = types.nullOr types.ints.positive;
            default = 1024;
            example = 4096;
            description = ''
              `RLIMIT_NPROC` of the server and setup units (systemd `LimitNPROC=`): the tasks the
              instance user may own. It counts across the user's units, which `tasksMax` does
              not, and the instance user runs nothing else.
            '';
          };
        };

        preInitScript = mkOption {
          type = types.nullOr types.lines;
          default = null;
          description = ''
            Shell run by the setup unit before its own steps, as the instance user, on every
            start of the instance. `OPENCODE_FIRST_INIT` is 1 when the state is still
            uninitialised. Must be idempotent; a failure keeps the server from starting.
          '';
        };

        postInitScript = mkOption {
          type = types.nullOr types.lines;
          default = null;
          description = "Like `preInitScript`, after the setup steps.";
        };

        config = mkOption {
          type = types.submodule configOptions;
          default = { };
          example = literalExpression ''
            {
              model = "anthropic/claude-sonnet-4-5";
              share = "disabled";
              provider.anthropic.options.apiKey = "{env:ANTHROPIC_API_KEY}";
            }
          '';
          description = ''
            opencode.json as Nix, typed after opencode's schema: an unknown key at a typed
            level fails evaluation naming its path. `unchecked` is the explicit escape hatch
            for fields this module does not know. Nulls are stripped and `$schema` injected.
            Linked as `$HOME/.config/opencode/opencode.json`.
          '';
        };

        configFile = mkOption {
          type = types.nullOr types.path;
          default = null;
          description = "An explicit opencode.json; overrides `config` (and `model`/`provider`) when set.";
        };
      };
    };

  # Instances with a name that breaks the rule or is reserved get an assertion in our words
  # and nothing else: no user (NixOS aborts on a group name over 31 characters before any
  # assertion is shown) and no units (a reserved name would clash with the tuner's).
  usableName = name: ocLib.instanceNameError name == null && ocLib.reservedInstanceNameError name == null;

  # The egress tuner's local ports, when its module is part of the configuration: denied to
  # every isolated instance. Read from the tuner's own option, which derives them from its
  # parts' options, so that no port is written down twice.
  tunerLocalPorts =
    if options.services ? opencode-egress-tuner then config.services.opencode-egress-tuner.localPorts else [ ];
  enabled = lib.filterAttrs (name: i: i.enable && usableName name) cfg.instances;
  isolated = lib.filterAttrs (_: i: i.networkIsolation.enable) enabled;

  generatedConfig =
    name: i:
    if i.configFile != null then
      i.configFile
    else
      let
        model =
          if i.model == null then null
          else if i.provider != null && !(lib.hasInfix "/" i.model) then "${i.provider}/${i.model}"
          else i.model;
        settings = ocLib.opencodeSettings i.config // lib.optionalAttrs (model != null) { inherit model; };
      in
      pkgs.writeText "opencode-${name}.json" (ocLib.renderOpencodeConfig settings);

  checkEgress = pkgs.writeShellApplication {
    name = "opencode-check-egress";
    runtimeInputs = [ pkgs.nftables pkgs.coreutils pkgs.gnugrep ];
    text = builtins.readFile ./check-egress.sh;
  };

  # Paths below these are hidden by the sandbox (ProtectHome=, the empty /run) and have to be
  # bound back in rather than merely allowed.
  hiddenRoots = [ "/home/" "/root/" "/run/" ];
  isHidden = p: lib.any (r: lib.hasPrefix r (p + "/")) hiddenRoots;
  # What stays visible in the empty /run: name service and DNS configuration (glibc asks nscd;
  # /etc/resolv.conf may point into /run/systemd/resolve) and the journal sockets.
  runAlwaysVisible = [ "-/run/nscd" "-/run/systemd/resolve" "-/run/systemd/journal" ];
  nixDaemonSocketDir = "/nix/var/nix/daemon-socket";

  # Hardening shared by the setup and the server unit: the sandbox of both modules
  # (../hardening.nix) and this module's additions. mkDefault throughout: a host can relax
  # one setting (e.g. SystemCallFilter) without forking the module.
  hardening =
    {
      readWrite,
      readOnly ? [ ],
      sockets ? [ ],
      inaccessible ? [ ],
    }:
    lib.mapAttrs (_: mkDefault) (
      sandbox
      // {
        # File system: everything read-only, homes and /run hidden, own paths writable.
        # "tmpfs" (an empty read-only /home) when a path below a home has to be bound in: with
        # `true` the mount point would not be traversable.
        ProtectHome =
          if lib.any (p: lib.any (r: lib.hasPrefix r (p + "/")) [ "/home/" "/root/" "/run/user/" ]) (readWrite ++ readOnly ++ sockets)
          then "tmpfs"
          else true;
        TemporaryFileSystem = [ "/run:ro" ];
        BindPaths = builtins.filter isHidden readWrite;
        ReadWritePaths = builtins.filter (p: !isHidden p) readWrite;
        BindReadOnlyPaths = runAlwaysVisible ++ builtins.filter isHidden (readOnly ++ sockets);
        ReadOnlyPaths = builtins.filter (p: !isHidden p) readOnly;
        InaccessiblePaths =
          map (p: "-" + p) inaccessible
          ++ lib.optional (!lib.any (s: lib.hasPrefix nixDaemonSocketDir s) sockets) "-${nixDaemonSocketDir}";
        PrivateMounts = true;
        # Own System V IPC objects and POSIX message queues: nothing the server or its tools
        # run shares them with other users' processes.
        PrivateIPC = true;

        # Processes and users, on purpose not restricted further: ProcSubset=pid is not set,
        # JavaScript runtimes read /proc/cpuinfo and /proc/meminfo. PrivateUsers is not set:
        # files in `directory` would show up as owned by nobody and git refuses to work in such
        # repositories ("dubious ownership").

        # System calls. The JIT of the JavaScript runtime needs writable+executable pages, so
        # MemoryDenyWriteExecute stays off. A filtered call fails with EPERM instead of killing
        # the process, so a runtime that probes degrades gracefully: ~@resources refuses
        # setrlimit, setpriority, sched_setaffinity and the like, so the instance cannot raise
        # its own limits or priority; a runtime that raises its open-files limit at start gets
        # EPERM and keeps LimitNOFILE's, which the unit already sets high.
        MemoryDenyWriteExecute = false;
        SystemCallFilter = sandbox.SystemCallFilter ++ [ "~@resources" ];

        # Network: IP for the allowlisted destinations, Unix for local sockets and the child
        # processes' stdio (socketpair), Netlink (read-only without CAP_NET_ADMIN) for
        # getifaddrs(). What may be reached over IP is the nftables policy's job.
        RestrictAddressFamilies = sandbox.RestrictAddressFamilies ++ [ "AF_NETLINK" ];
      }
    );

  # Seed 004's resource controls, for both units of an instance; `null` leaves systemd's
  # default. mkDefault like the hardening, so a host can override one with a plain value.
  resourceControls =
    r:
    lib.mapAttrs (_: mkDefault) (
      lib.filterAttrs (_: v: v != null) {
        MemoryMax = r.memoryMax;
        CPUWeight = r.cpuWeight;
        CPUQuota = r.cpuQuota;
        TasksMax = r.tasksMax;
        LimitNPROC = r.limitNPROC;
      }
    );

  instanceUnits =
    name: i:
    let
      iso = i.networkIsolation.enable;
      others = lib.filterAttrs (n: _: n != name) enabled;
      otherStates = lib.mapAttrsToList (_: o: o.stateDir) others;
      configPath = generatedConfig name i;
      # The check also insists on the denied local ports of this configuration: a table left
      # over from an older one (a reload that failed) does not let the server start.
      deniedPorts = ocLib.egressDeniedLocalPorts (egressSpec name i);
      egressCheck =
        "+${checkEgress}/bin/opencode-check-egress "
        + lib.escapeShellArgs ([ name i.user ] ++ lib.optional (deniedPorts != [ ]) (lib.concatMapStringsSep "," toString deniedPorts));
      policyUnits = lib.optional iso "nftables.service";

      setupScript = pkgs.writeShellScript "opencode-${name}-setup" ''
        set -euo pipefail
        state=${lib.escapeShellArg i.stateDir}
        marker="$state/.opencode-initialized"
        OPENCODE_FIRST_INIT=1
        if [ -e "$marker" ]; then OPENCODE_FIRST_INIT=0; fi
        export OPENCODE_FIRST_INIT

        ${lib.optionalString (i.preInitScript != null) ''
          # preInitScript
          ${i.preInitScript}
        ''}
        if [ "$OPENCODE_FIRST_INIT" = 1 ]; then
          # Only an uninitialised state is initialised; `directory` is never touched (it is
          # not even writable for this unit).
          mkdir -p "$state/.local/share/opencode" "$state/.local/state" "$state/.cache" "$state/.config/opencode"
          printf 'initialised by opencode-%s-setup.service\n' ${lib.escapeShellArg name} > "$marker"
        fi
        # The config link follows the system generation; the rest of ~/.config/opencode
        # (skills, agents, ...) belongs to the operator.
        mkdir -p "$state/.config/opencode"
        ln -sfn ${configPath} "$state/.config/opencode/opencode.json"
        ${lib.optionalString (i.postInitScript != null) ''
          # postInitScript
          ${i.postInitScript}
        ''}
      '';

      commonEnvironment = {
        HOME = i.stateDir;
        OPENCODE_INSTANCE = name;
      };
    in
    {
      "opencode-${name}-setup" = {
        description = "opencode instance ${name}: prepare the state directory";
        after = [ "systemd-tmpfiles-setup.service" ] ++ policyUnits;
        requires = policyUnits;
        before = [ "opencode-${name}.service" ];
        inherit (i) path;
        environment = commonEnvironment // {
          OPENCODE_STATE_DIR = i.stateDir;
          OPENCODE_DIRECTORY = i.directory;
        };
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
          User = i.user;
          Group = i.user;
          # The egress check needs CAP_NET_ADMIN for nft; "+" runs just this line privileged.
          ExecStartPre = lib.optional iso egressCheck;
          ExecStart = setupScript;
        }
        // hardening {
          readWrite = [ i.stateDir ];
          inaccessible = otherStates;
        }
        // resourceControls i.resources;
      };

      "opencode-${name}" = {
        description = "opencode server (instance ${name})";
        wantedBy = [ "multi-user.target" ];
        after = [ "network.target" "opencode-${name}-setup.service" ] ++ policyUnits;
        requires = [ "opencode-${name}-setup.service" ];
        # Stop with the policy (nftables.service removes the table when it stops) and restart
        # with it.
        bindsTo = policyUnits;
        partOf = policyUnits;
        restartTriggers = [ configPath ];
        inherit (i) path;
        environment = i.environment // commonEnvironment;
        serviceConfig = {
          Type = "simple";
          User = i.user;
          Group = i.user;
          SupplementaryGroups = i.extraGroups;
          WorkingDirectory = i.directory;
          EnvironmentFile = lib.optional (i.environmentFile != null) i.environmentFile;
          # Checked again here: the setup unit stays active after it ran once.
          ExecStartPre = lib.optional iso egressCheck;
          ExecStart = lib.escapeShellArgs (
            [
              "${i.package}/bin/opencode"
              "serve"
              "--hostname"
              i.listen.address
              "--port"
              (toString i.listen.port)
              "--print-logs"
            ]
            ++ lib.optionals (i.logLevel != null) [ "--log-level" (lib.toUpper i.logLevel) ]
            ++ i.extraArgs
          );
          Restart = "on-failure";
          RestartSec = "5s";
          LimitNOFILE = mkDefault 65536;
          # Inbound: the unit may bind its listen port and no other TCP port.
          SocketBindAllow = mkDefault [ "tcp:${toString i.listen.port}" ];
          SocketBindDeny = mkDefault [ "tcp" ];
        }
        // hardening {
          readWrite = [ i.directory i.stateDir ] ++ i.sandbox.readWritePaths;
          readOnly = i.sandbox.readOnlyPaths;
          sockets = i.sandbox.unixSockets.allow;
          inaccessible = otherStates;
        }
        // resourceControls i.resources;
      };
    };

  egressSpec =
    name: i:
    let
      uid = config.users.users.${i.user}.uid;
    in
    {
      # A fixed uid is used as is; otherwise nft resolves the name when the table loads.
      user = if uid != null then uid else i.user;
      inherit (i.networkIsolation) outboundAllowCidrs logRate blockedTimeout;
      deniedLocalPorts =
        i.networkIsolation.deniedLocalPorts
        ++ map (p: p.port) tunerLocalPorts
        ++ lib.optionals (!i.networkIsolation.reachOtherInstances)
          (ocLib.otherInstancePorts name (lib.mapAttrs (_: o: o.listen.port) enabled));
    };

  isAbsolute = p: lib.hasPrefix "/" p;

  instanceAssertions =
    name: i:
    let
      at = "services.opencode.instances.${name}";
      nameError = ocLib.instanceNameError name;
      reservedError = ocLib.reservedInstanceNameError name;
      egressErrors = ocLib.egressInstanceErrors name {
        user = i.user;
        inherit (i.networkIsolation) outboundAllowCidrs logRate blockedTimeout deniedLocalPorts;
      };
      # Only a running instance can clash (as for the uniqueness of listen ports).
      tunerClash = lib.optionals i.enable (builtins.filter (p: p.port == i.listen.port) tunerLocalPorts);
    in
    [
      {
        assertion = nameError == null;
        message = "${at}: ${toString nameError}";
      }
      {
        assertion = reservedError == null;
        message = "${at}: ${toString reservedError}";
      }
      {
        assertion = isAbsolute i.directory;
        message = "${at}.directory must be an absolute path, got '${i.directory}'";
      }
      {
        assertion = isAbsolute i.stateDir;
        message = "${at}.stateDir must be an absolute path, got '${i.stateDir}'";
      }
      {
        assertion =
          i.stateDir != i.directory
          && !(lib.hasPrefix (i.directory + "/") i.stateDir)
          && !(lib.hasPrefix (i.stateDir + "/") i.directory);
        message = "${at}: stateDir '${i.stateDir}' and directory '${i.directory}' must not contain each other (state is kept apart from project files)";
      }
      {
        assertion = i.environmentFile == null || (isAbsolute i.environmentFile && !(lib.hasPrefix builtins.storeDir i.environmentFile));
        message = "${at}.environmentFile must be an absolute path outside the Nix store (secrets never enter the store), got '${toString i.environmentFile}'";
      }
      {
        assertion = lib.all isAbsolute (i.sandbox.readWritePaths ++ i.sandbox.readOnlyPaths ++ i.sandbox.unixSockets.allow);
        message = "${at}.sandbox: every path must be absolute, got ${builtins.toJSON (builtins.filter (p: !isAbsolute p) (i.sandbox.readWritePaths ++ i.sandbox.readOnlyPaths ++ i.sandbox.unixSockets.allow))}";
      }
      {
        assertion = !(lib.any (a: a == "--port" || a == "--hostname" || lib.hasPrefix "--port=" a || lib.hasPrefix "--hostname=" a) i.extraArgs);
        message = "${at}.extraArgs must not set --port or --hostname; use ${at}.listen.port and .listen.address";
      }
      {
        assertion = !(builtins.elem i.listen.port i.networkIsolation.deniedLocalPorts);
        message = "${at}.networkIsolation.deniedLocalPorts contains ${toString i.listen.port}, the instance's own listen.port: its tools could not reach its server; remove it from the list";
      }
      {
        assertion = tunerClash == [ ];
        message = "${at}.listen.port ${toString i.listen.port} is also a port of the egress tuner on this host: ${lib.concatMapStringsSep ", " (p: p.part) tunerClash}; choose another listen.port";
      }
      {
        assertion = !i.networkIsolation.enable || config.networking.nftables.enable;
        message = "${at}.networkIsolation.enable requires networking.nftables.enable = true (the policy is the nftables table inet opencode-egress; it coexists with the NixOS firewall)";
      }
    ]
    ++ map (e: {
      assertion = false;
      message = e;
    }) (ocLib.opencodeConfigErrors "${at}.config" (ocLib.opencodeSettings i.config))
    # CIDRs, log rate and timeout are checked even while isolation is off, so switching it on
    # cannot fail later.
    ++ lib.optionals (nameError == null) (map (e: { assertion = false; message = "${at}: ${e}"; }) egressErrors);

  portAssertions =
    let
      byPort = lib.groupBy (n: toString enabled.${n}.listen.port) (builtins.attrNames enabled);
      clashes = lib.filterAttrs (_: names: builtins.length names > 1) byPort;
    in
    lib.mapAttrsToList (port: names: {
      assertion = false;
      message = "services.opencode.instances: listen.port ${port} is used by more than one instance (${lib.concatStringsSep ", " names}); ports must be unique";
    }) clashes;

  instanceWarnings =
    name: i:
    let
      at = "services.opencode.instances.${name}";
    in
    ocLib.egressInstanceWarnings at {
      inherit (i.networkIsolation) enable outboundAllowCidrs;
    }
    ++ lib.optional (!i.networkIsolation.enable && tunerLocalPorts != [ ])
      "${at}.networkIsolation is off: the instance can reach the egress tuner's local ports on this host (${lib.concatMapStringsSep ", " (p: toString p.port) tunerLocalPorts}); enable it to deny them"
    ++ lib.optional (i.openFirewall && lib.elem i.listen.address [ "127.0.0.1" "::1" "localhost" ])
      "${at}.openFirewall has no effect while listen.address is ${i.listen.address}"
    ++ lib.optional (i.configFile != null && ocLib.opencodeSettings i.config != { })
      "${at}.config is ignored because configFile is set";
in
{
  options.services.opencode = {
    enable = mkEnableOption "opencode server instances (services.opencode.instances)";

    instances = mkOption {
      type = types.attrsOf (types.submodule instanceModule);
      default = { };
      example = literalExpression ''
        {
          my-project = {
            directory = "/srv/my-project";
            listen.port = 8787;
            networkIsolation = {
              enable = true;
              outboundAllowCidrs = [ "10.10.0.0/16" ];
            };
          };
        }
      '';
      description = ''
        opencode instances by name. The name must match
        `${ocLib.instanceNamePattern}` (${ocLib.instanceNameRule}): it becomes the user
        and group `opencode-<name>` (NixOS allows 31 characters), the units
        `opencode-<name>.service` and `opencode-<name>-setup.service` and the log prefix
        `opencode-<name>-blocked: `. Reserved, because their units are the egress tuner's:
        ${lib.concatMapStringsSep ", " (n: "`${n}`") ocLib.reservedInstanceNames}.
      '';
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      assertions = lib.concatLists (lib.mapAttrsToList instanceAssertions cfg.instances) ++ portAssertions;
      warnings = lib.concatLists (lib.mapAttrsToList instanceWarnings enabled);

      users.users = lib.mapAttrs' (
        name: i:
        lib.nameValuePair i.user {
          isSystemUser = true;
          group = i.user;
          inherit (i) extraGroups;
          home = i.stateDir;
          createHome = false; # systemd-tmpfiles below, with mode 0700
          description = "opencode instance ${name}";
        }
      ) enabled;
      users.groups = lib.mapAttrs' (_: i: lib.nameValuePair i.user { }) enabled;

      systemd.tmpfiles.rules = [
        "d /var/lib/opencode 0755 root root - -"
        "d /var/lib/opencode/instance-state 0755 root root - -"
      ]
      ++ lib.mapAttrsToList (_: i: "d '${i.stateDir}' 0700 ${i.user} ${i.user} - -") enabled;

      systemd.services = mkMerge (lib.mapAttrsToList instanceUnits enabled);

      networking.firewall.allowedTCPPorts = lib.concatLists (
        lib.mapAttrsToList (_: i: lib.optional i.openFirewall i.listen.port) enabled
      );
    }

    (mkIf (isolated != { }) {
      # `opencode-check-egress <name> opencode-<name>`: the check the units run, for operators.
      environment.systemPackages = [ checkEgress ];
      networking.nftables.tables.${ocLib.egressTable.name} = {
        inherit (ocLib.egressTable) family;
        content = ocLib.egressTableContent (lib.mapAttrs egressSpec isolated);
      };
      # nft resolves the user names when the table loads: users must exist by then, also when
      # they are created by systemd-sysusers or userborn instead of the activation script.
      systemd.services.nftables.after = [ "systemd-sysusers.service" "userborn.service" ];
      # The build-time `nft --check` runs in a sandbox without the instance users: check with
      # a uid instead of the names (nix/tests/run-host-tests.sh uses the same substitution).
      networking.nftables.preCheckRuleset = ''
        sed -E 's/meta skuid "[^"]+"/meta skuid 65534/' -i ruleset.conf
      '';
    })
  ]);
}
