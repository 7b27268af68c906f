# services.opencode-egress-tuner: this project's own services.
#   - collector: on every host with isolated opencode instances; reads the kernel's
#     "opencode-<name>-blocked: " lines from the journal and sends blocked events to Kafka.
#   - policy: on one host; consumes the events, keeps aggregates and decisions in PostgreSQL,
#     serves the review UI and exports accepted allowlists (pull requests to the forge).
# By default the policy host provisions Kafka (KRaft, single node, SASL/SCRAM logins and ACLs:
# each host's collector may write only that host's topics) and PostgreSQL (peer
# authentication over the Unix socket) locally. Grafana dashboards and Prometheus scrape jobs
# are added when those services are enabled on the host.
{
  config,
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
  cfg = config.services.opencode-egress-tuner;
  share = "${cfg.package}/share/opencode-egress-tuner";

  propertyValue = types.oneOf [ types.str types.int types.bool ];

  # Java .properties, sorted by key; backslashes and line breaks escaped.
  renderProperties =
    name: settings:
    pkgs.writeText "${name}.properties" (
      lib.concatStrings (
        lib.mapAttrsToList (
          k: v:
          let
            s = if builtins.isBool v then lib.boolToString v else toString v;
          in
          "${k}=${lib.replaceStrings [ "\\" "\n" ] [ "\\\\" "\\n" ] s}\n"
        ) settings
      )
    );

  # Hardening for the JVM services: the sandbox of both modules (../hardening.nix), mkDefault
  # so a host can relax one setting.
  javaHardening = lib.mapAttrs (_: mkDefault) (
    import ../hardening.nix
    // {
      # The JVM's JIT needs writable+executable memory.
      MemoryDenyWriteExecute = false;
    }
  );

  javaCommand =
    app: jvmOptions: settingsFile:
    lib.escapeShellArgs (
      [ "${cfg.jre}/bin/java" ]
      ++ jvmOptions
      ++ [
        "-Dquarkus.config.locations=${settingsFile}"
        "-jar"
        "${share}/${app}/quarkus-run.jar"
      ]
    );

  # The unit that stands for "PostgreSQL is up and its ensureDatabases/ensureUsers exist".
  # Since NixOS 25.11 a separate postgresql-setup.service creates them after
  # postgresql.service is up, and postgresql.target requires both; releases without the target
  # (25.05 and older) create them in postgresql.service's own postStart, so the service
  # itself is the point to wait for there.
  postgresReady = if config.systemd.targets ? postgresql then "postgresql.target" else "postgresql.service";

  localKafka = cfg.policy.enable && cfg.policy.kafka.provision;
  localPostgres = cfg.policy.enable && cfg.policy.database.provision;
  kafkaAddress = cfg.policy.kafka.listenAddress;

  # The full name of an option of this module, as the assertions name it.
  optionName = name: "services.opencode-egress-tuner.${name}";
  # The assertion of a check of the pure library that returns null or its message.
  errorAssertion = e: { assertion = e == null; message = toString e; };
  # "<option> must be outside the Nix store": a file with secrets that the option names by a
  # string, null when unset.
  outsideStoreAssertion = option: file: {
    assertion = file == null || !(lib.hasPrefix builtins.storeDir file);
    message = "${optionName option} must be outside the Nix store, got '${toString file}'";
  };

  # Kafka logins: every password is a file outside the store, handed to the unit as a systemd
  # credential. The applications read it through their password-file keys, which name the
  # credentials directory with a SmallRye expression (${CREDENTIALS_DIRECTORY} is in the service's
  # environment; systemd's %d is expanded in unit files only, not in this properties file).
  kafkaPasswordCredential = "kafka.password";
  kafkaPasswordFileSetting = "\${CREDENTIALS_DIRECTORY}/${kafkaPasswordCredential}";
  # The broker resolves its own passwords (${dir:...}) from its unit's credentials directory.
  kafkaCredentialsDirectory = "/run/credentials/apache-kafka.service";
  # The password file of this host's collector, and its option.
  collectorSecret = {
    passwordFile = cfg.collector.kafkaPasswordFile;
    option = optionName "collector.kafkaPasswordFile";
  };
  # The collector hosts whose account, topics and ACLs the local broker provisions: those
  # listed, and this host's own collector.
  listedCollectors = lib.mapAttrs (host: c: {
    inherit (c) passwordFile;
    option = optionName "policy.kafka.collectors.${host}.passwordFile";
  }) cfg.policy.kafka.collectors;
  kafkaCollectors =
    listedCollectors
    // lib.optionalAttrs (cfg.collector.enable && cfg.collector.kafkaPasswordFile != null) {
      ${cfg.collector.host} = collectorSecret;
    };
  # The password file of each account the provisioning and the broker read, and its option.
  kafkaSecrets =
    {
      ${ocLib.kafkaAccounts.broker} = { passwordFile = cfg.policy.kafka.brokerPasswordFile; option = optionName "policy.kafka.brokerPasswordFile"; };
      ${ocLib.kafkaAccounts.controller} = { passwordFile = cfg.policy.kafka.controllerPasswordFile; option = optionName "policy.kafka.controllerPasswordFile"; };
      ${ocLib.kafkaAccounts.policy} = { passwordFile = cfg.policy.kafka.passwordFile; option = optionName "policy.kafka.passwordFile"; };
    }
    // lib.mapAttrs' (host: c: lib.nameValuePair (ocLib.kafkaCollectorAccount host) c) kafkaCollectors;
  kafkaCredential = account: "${ocLib.kafkaCredentialName account}:${toString kafkaSecrets.${account}.passwordFile}";
  # How the scripts name a password in their errors: the option and the file.
  kafkaDescribe = lib.mapAttrs (_: s: "${s.option} (${toString s.passwordFile})") kafkaSecrets;
  # "<option> must be ...": a missing or misplaced password file.
  kafkaSecretAssertions =
    secrets:
    lib.concatMap (
      s:
      [
        {
          assertion = s.passwordFile != null;
          message = "${s.option} must be set: the Kafka broker accepts only authenticated clients (SASL/SCRAM). Put a password in a file outside the Nix store, e.g. head -c 32 /dev/urandom | base64 | tr -d '/+=\\n' > /run/secrets/<name> (docs/nixos.md, \"Kafka accounts and passwords\")";
        }
      ]
      ++ lib.optional (s.passwordFile != null) (errorAssertion (ocLib.secretFileError s.option s.passwordFile))
    ) secrets;
  # A Kafka client of the tuner (the collector, the policy service): after the local
  # provisioning, with its password as the credential that its password-file key names.
  kafkaClient = passwordFile: {
    wants = lib.mkAfter (lib.optional localKafka "opencode-egress-tuner-kafka-accounts.service");
    after = lib.mkAfter (lib.optional localKafka "opencode-egress-tuner-kafka-accounts.service");
    serviceConfig.LoadCredential = lib.mkAfter (lib.optional (passwordFile != null) "${kafkaPasswordCredential}:${passwordFile}");
  };

  collectorSettings = renderProperties "opencode-egress-tuner-collector" cfg.collector.settings;
  policyTls = cfg.policy.tls.certificateFile != null && cfg.policy.tls.keyFile != null;
  policySettings = renderProperties "opencode-egress-tuner-policy" cfg.policy.settings;

  # The ports a Quarkus application of the tuner listens on, read from its settings (what the
  # application is started with): HTTP, HTTPS when a port is set for it, and the management
  # interface when the application is built with one (the policy service) or it is enabled
  # (on Quarkus' default port 9000 unless one is set).
  quarkusPorts =
    what: at: managementBuiltIn: settings:
    builtins.filter (p: p.port != null) (
      [ { port = ocLib.propertyPort settings."quarkus.http.port"; part = "${what} (${at}.settings.\"quarkus.http.port\")"; } ]
      ++ lib.optional (settings ? "quarkus.http.ssl-port") {
        port = ocLib.propertyPort settings."quarkus.http.ssl-port";
        part = "${what}, HTTPS (${at}.settings.\"quarkus.http.ssl-port\")";
      }
      ++ lib.optional (managementBuiltIn || lib.elem (settings."quarkus.management.enabled" or false) [ true "true" ]) {
        port = ocLib.propertyPort (settings."quarkus.management.port" or 9000);
        part = "${what}, management interface (${at}.settings.\"quarkus.management.port\")";
      }
    );

  # The port of each listener of the provisioned broker ("NAME://host:port"): the client
  # listeners and the KRaft controller, whatever they are called.
  kafkaListenerPorts = map (l: {
    inherit (l) port;
    part = "Kafka ${l.name} listener (services.apache-kafka.settings.listeners)";
  }) (ocLib.kafkaListeners (config.services.apache-kafka.settings.listeners or [ ]));

  settingsOption =
    { description, defaults }:
    mkOption {
      type = types.submodule {
        freeformType = types.attrsOf propertyValue;
        options = lib.mapAttrs (
          _: d:
          mkOption {
            type = propertyValue;
            inherit (d) default description;
          }
          // lib.optionalAttrs (d ? defaultText) { inherit (d) defaultText; }
        ) defaults;
      };
      default = { };
      inherit description;
    };
in
{
  options.services.opencode-egress-tuner = {
    package = mkOption {
      type = types.package;
      default = pkgs.opencode-egress-tuner;
      defaultText = literalExpression "pkgs.opencode-egress-tuner";
      description = ''
        The tuner's Java applications (nix/pkgs/opencode-egress-tuner.nix). The flake's
        nixosModules.egress-tuner sets it to its own package; with the overlay it is
        `pkgs.opencode-egress-tuner`.
      '';
    };

    jre = mkOption {
      type = types.package;
      default = pkgs.jdk21_headless;
      defaultText = literalExpression "pkgs.jdk21_headless";
      description = "Java runtime of the services (21 or newer).";
    };

    collector = {
      enable = mkEnableOption ''
        the journal collector. Run it on every host with isolated opencode instances: it reads
        the kernel's blocked-attempt lines from the journal (as a member of `systemd-journal`,
        with a dynamic user) and sends them to Kafka; its journal cursor lives in its state
        directory and advances only after Kafka acknowledged the events
      '';

      kafkaBootstrapServers = mkOption {
        type = types.str;
        default = if localKafka then cfg.policy.kafka.bootstrapServers else "127.0.0.1:9092";
        defaultText = literalExpression ''if policy.enable && policy.kafka.provision then policy.kafka.bootstrapServers else "127.0.0.1:9092"'';
        example = "tuner.example.internal:9092";
        description = ''
          Kafka bootstrap servers (`tuner.collector.kafka.bootstrap-servers`): on a collector
          host, the policy host's broker (its `policy.kafka.listenAddress`).
        '';
      };

      host = mkOption {
        type = types.str;
        default = config.networking.hostName;
        defaultText = literalExpression "config.networking.hostName";
        example = "web1";
        description = ''
          The host this collector speaks for (`tuner.collector.host`). Its records go to the
          topics `opencode.egress.blocked.<host>`, `opencode.egress.malformed.<host>` and
          `opencode.egress.host-state.<host>`, which only the Kafka account `collector-<host>`
          may write: the topic a record comes from proves its host. The policy host lists it in
          `policy.kafka.collectors`. Letters, digits, `.`, `_` and `-`, starting and ending with
          a letter or digit.
        '';
      };

      kafkaPasswordFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/run/secrets/egress-tuner-kafka-collector";
        description = ''
          Required: the file holding the password of this host's Kafka account
          `collector-<host>` (one line of 16 to 512 printable ASCII characters without `"` or
          `\`; a final newline is ignored). A path outside the Nix store, as a string; systemd
          hands it to the service as a credential (LoadCredential), so it may stay readable by
          root only. The policy host's broker must know the same password:
          `policy.kafka.collectors.<host>.passwordFile` there (on the policy host itself this
          file is used for the local collector's account automatically).
        '';
      };

      hostState.enable = mkOption {
        type = types.bool;
        default = true;
        description = ''
          Whether the collector publishes what this host's nftables egress table holds: the allowlist in
          force with a counter per entry (unused entries, `deployed` suggestions) and the exactly counted
          blocked destinations. A root timer unit snapshots the table to /run every minute.
        '';
      };

      metricsPort = mkOption {
        type = types.port;
        default = 9401;
        description = "Port of the collector's HTTP endpoints (health, `/q/metrics`), on 127.0.0.1.";
      };

      jvmOptions = mkOption {
        type = types.listOf types.str;
        default = [
          "-Xms16m"
          "-Xmx40m"
          "-XX:+UseSerialGC"
          "-XX:MaxMetaspaceSize=96m"
          "-XX:ReservedCodeCacheSize=32m"
          "-XX:TieredStopAtLevel=1"
          "-Xss512k"
        ];
        description = ''
          JVM options of the collector. The default is what the pipeline benchmark measures (docs/benchmarks.md, "Pipeline"):
          a small heap and the C1 compiler only, which keeps the peak RSS near 170 MiB while reading a big journal.
        '';
      };

      environmentFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/run/secrets/egress-tuner-collector.env";
        description = ''
          Secrets as environment variables (Quarkus maps e.g. `KAFKA_SASL_JAAS_CONFIG` to
          `kafka.sasl.jaas.config`). Outside the Nix store.
        '';
      };

      settings = settingsOption {
        description = ''
          The collector's configuration (`tuner.collector.*` and Quarkus keys), rendered to a
          .properties file passed with `-Dquarkus.config.locations`. Freeform: keys the
          module does not know are passed through. No secrets here (see `environmentFile`).
        '';
        defaults = {
          "tuner.collector.kafka.bootstrap-servers" = {
            default = cfg.collector.kafkaBootstrapServers;
            defaultText = literalExpression "config.services.opencode-egress-tuner.collector.kafkaBootstrapServers";
            description = "Kafka bootstrap servers.";
          };
          "tuner.collector.host" = {
            default = cfg.collector.host;
            defaultText = literalExpression "config.services.opencode-egress-tuner.collector.host";
            description = "The host whose topics the collector writes.";
          };
          "tuner.collector.kafka.username" = {
            default = ocLib.kafkaCollectorAccount cfg.collector.host;
            defaultText = literalExpression ''"collector-''${config.services.opencode-egress-tuner.collector.host}"'';
            description = "The collector's Kafka account.";
          };
          "tuner.collector.kafka.password-file" = {
            default = kafkaPasswordFileSetting;
            description = ''
              Where the collector reads its Kafka password: the systemd credential made from
              `kafkaPasswordFile` (the path only; `''${CREDENTIALS_DIRECTORY}` is expanded by
              the application from its environment).
            '';
          };
          "tuner.collector.state-directory" = {
            default = "/var/lib/opencode-egress-tuner-collector";
            description = "Where the collector keeps its journal cursor.";
          };
          "tuner.collector.host-state.enabled" = {
            default = cfg.collector.hostState.enable;
            defaultText = literalExpression "config.services.opencode-egress-tuner.collector.hostState.enable";
            description = "Publish this host's nftables egress table (allowlist counters, exact blocked counts).";
          };
          "tuner.collector.host-state.command" = {
            default = "${pkgs.coreutils}/bin/cat /run/opencode-egress-tuner-nft/state.json";
            defaultText = literalExpression ''"''${pkgs.coreutils}/bin/cat /run/opencode-egress-tuner-nft/state.json"'';
            description = ''
              What prints the table as JSON. By default the snapshot that the root timer unit
              `opencode-egress-tuner-nft-state` writes every minute, so that the collector itself never
              holds `CAP_NET_ADMIN`.
            '';
          };
          "quarkus.http.host" = {
            default = "127.0.0.1";
            description = "Address of the HTTP endpoints.";
          };
          "quarkus.http.port" = {
            default = cfg.collector.metricsPort;
            defaultText = literalExpression "config.services.opencode-egress-tuner.collector.metricsPort";
            description = "Port of the HTTP endpoints.";
          };
        };
      };
    };

    policy = {
      enable = mkEnableOption ''
        the policy service with its exporter (on one host): consumes blocked events from Kafka,
        stores aggregates and decisions in PostgreSQL, serves the review UI and API and
        exports accepted allowlists as Nix modules
      '';

      listen = {
        address = mkOption {
          type = types.str;
          default = "127.0.0.1";
          description = "Address of the UI and API.";
        };
        port = mkOption {
          type = types.port;
          default = 8090;
          description = "Port of the UI and API (health, metrics and OpenAPI are on `managementPort`).";
        };
      };

      managementPort = mkOption {
        type = types.port;
        default = 9421;
        description = ''
          Port of the management interface (Quarkus' `quarkus.management.port`): `/q/metrics`,
          `/q/health` and `/q/openapi`, plain HTTP without accounts, on 127.0.0.1 only (settings
          `quarkus.management.host`), never on `listen.port`. The Prometheus job scrapes it;
          `openFirewall` never opens it; isolated instances are denied it (`localPorts`).
        '';
      };

      openFirewall = mkOption {
        type = types.bool;
        default = false;
        description = "Whether to open `listen.port` (and `tls.port` with TLS) in the host firewall; never `managementPort`.";
      };

      jvmOptions = mkOption {
        type = types.listOf types.str;
        default = [ "-Xmx512m" ];
        description = "JVM options of the policy service.";
      };

      environmentFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/run/secrets/egress-tuner-policy.env";
        description = ''
          Secrets as environment variables, e.g. a database password when PostgreSQL is not
          local (`TUNER_POLICY_DATABASE_PASSWORD`). Outside the Nix store. The exporter's
          tokens are files named in `settings` (`tuner.policy.export.forge.token-file`,
          `tuner.policy.export.https-token-file`, and for SSH `tuner.policy.export.ssh-key-file`),
          also outside the store. Not secrets, and so fine in the store: the SSH server's
          `tuner.policy.export.known-hosts-file` and the CA file `tuner.policy.export.https-ca-file`
          of a forge whose HTTPS certificate comes from a private CA.
        '';
      };

      sessionKeyFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/run/secrets/egress-tuner-session-key";
        description = ''
          The key of the review UI's session cookies (at least 32 characters, e.g.
          `head -c 32 /dev/urandom | base64`), outside the Nix store, handed to the service as a
          systemd credential (LoadCredential). Give several policy hosts behind one address the
          same file. Null: the service creates one at first start in its state directory (0600)
          and keeps it. Whoever reads it can log in to the UI as anyone.
        '';
      };

      tls = {
        certificateFile = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "/var/lib/acme/tuner.example.org/fullchain.pem";
          description = ''
            PEM certificate chain: with `keyFile`, the service also serves HTTPS on `tls.port`
            (UI, API and session cookies marked Secure). Handed over as a systemd credential.
          '';
        };
        keyFile = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "/var/lib/acme/tuner.example.org/key.pem";
          description = ''
            PEM private key of `certificateFile`, outside the Nix store; read by systemd
            (LoadCredential), so it may stay readable by root only.
          '';
        };
        port = mkOption {
          type = types.port;
          default = 8443;
          description = ''
            HTTPS port (on `listen.address`). Plain HTTP stays on `listen.port` for local clients
            (`./tuner`): keep `listen.address` on loopback when reviewers come over the network.
            The management interface (`managementPort`) stays plain HTTP on loopback.
          '';
        };
      };

      kafka = {
        provision = mkOption {
          type = types.bool;
          default = true;
          description = ''
            Whether to run a single-node Kafka in KRaft mode on this host
            (services.apache-kafka). Off: point `bootstrapServers` at an existing cluster.
          '';
        };
        bootstrapServers = mkOption {
          type = types.str;
          default = "${kafkaAddress}:9092";
          defaultText = literalExpression ''"''${listenAddress}:9092"'';
          description = "Kafka bootstrap servers of the policy service.";
        };
        listenAddress = mkOption {
          type = types.str;
          default = "127.0.0.1";
          example = "10.0.0.5";
          description = ''
            Address the provisioned broker listens on and advertises. Collectors on other
            hosts need an address they can reach (and `openFirewall`).
          '';
        };
        clusterId = mkOption {
          type = types.str;
          default = "b3BlbmNvZGUtZWdyZXNzLQ";
          description = "KRaft cluster id of the provisioned broker (22 characters, base64 of 16 bytes).";
        };
        passwordFile = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "/run/secrets/egress-tuner-kafka-policy";
          description = ''
            Required with `policy.enable`: the file holding the password of the policy service's
            Kafka account `tuner-policy` (one line of 16 to 512 printable ASCII characters
            without `"` or `\`; a final newline is ignored), outside the Nix store, handed to the
            service as a systemd credential. With `provision`, the local broker gets the account
            with this password.
          '';
        };
        brokerPasswordFile = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "/run/secrets/egress-tuner-kafka-broker";
          description = ''
            Required with `provision`: the password of the broker's own account `tuner-broker`, a
            super user (between brokers, and the administrator the provisioning logs in as).
            Outside the Nix store; the broker reads it from its credentials directory at start,
            verbatim, so the file must hold the password without a final newline, and without
            `,` (Kafka's storage format cannot take it). It is written into the broker's storage
            when the storage is formatted (first start): changing it later takes the steps in
            docs/nixos.md ("Rotating passwords").
          '';
        };
        controllerPasswordFile = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "/run/secrets/egress-tuner-kafka-controller";
          description = ''
            Required with `provision`: the password of `tuner-controller` (SASL PLAIN on the
            loopback controller listener; KRaft controllers cannot check SCRAM). Outside the Nix
            store, read by the broker verbatim: no final newline. Only the broker uses it.
          '';
        };
        collectors = mkOption {
          type = types.attrsOf (
            types.submodule {
              options.passwordFile = mkOption {
                type = types.str;
                example = "/run/secrets/egress-tuner-kafka-web1";
                description = ''
                  The password of `collector-<host>`: the same password as that host's
                  `collector.kafkaPasswordFile`, in a file on this host, outside the Nix store.
                '';
              };
            }
          );
          default = { };
          example = literalExpression ''
            {
              web1.passwordFile = "/run/secrets/egress-tuner-kafka-web1";
              web2.passwordFile = "/run/secrets/egress-tuner-kafka-web2";
            }
          '';
          description = ''
            The collector hosts (their `collector.host`) whose account `collector-<host>`, topics
            and ACLs the provisioned broker creates (unit `opencode-egress-tuner-kafka-accounts`).
            This host's own collector is included automatically. A host removed from here loses
            its account and its ACLs at the next run of that unit; its topics and records stay.
          '';
        };
        openFirewall = mkOption {
          type = types.bool;
          default = false;
          description = "Whether to open the broker port 9092 in the host firewall.";
        };
      };

      database = {
        provision = mkOption {
          type = types.bool;
          default = true;
          description = ''
            Whether to create a local PostgreSQL database and role `name` (services.postgresql)
            that the service reaches over the Unix socket with peer authentication: no password
            exists anywhere.
          '';
        };
        name = mkOption {
          type = types.str;
          default = "egress_tuner";
          description = "Database, role and system user name (peer authentication needs them equal).";
        };
        jdbcUrl = mkOption {
          type = types.str;
          default =
            "jdbc:postgresql://localhost/${cfg.policy.database.name}"
            + "?socketFactory=org.newsclub.net.unix.AFUNIXSocketFactory$FactoryArg"
            + "&socketFactoryArg=/run/postgresql/.s.PGSQL.5432";
          defaultText = literalExpression ''"jdbc:postgresql://localhost/<name>?socketFactory=...AFUNIXSocketFactory$FactoryArg&socketFactoryArg=/run/postgresql/.s.PGSQL.5432"'';
          description = ''
            JDBC URL. The default connects over the Unix socket (junixsocket's socket factory,
            which the policy application must ship) so that peer authentication applies.
          '';
        };
      };

      settings = settingsOption {
        description = ''
          The policy service's configuration (`tuner.policy.*` and Quarkus keys), rendered to a
          .properties file passed with `-Dquarkus.config.locations`. Freeform; no secrets here.
        '';
        defaults = {
          "tuner.policy.kafka.bootstrap-servers" = {
            default = cfg.policy.kafka.bootstrapServers;
            defaultText = literalExpression "config.services.opencode-egress-tuner.policy.kafka.bootstrapServers";
            description = "Kafka bootstrap servers.";
          };
          "tuner.policy.kafka.username" = {
            default = ocLib.kafkaAccounts.policy;
            description = "The policy service's Kafka account.";
          };
          "tuner.policy.kafka.password-file" = {
            default = kafkaPasswordFileSetting;
            description = ''
              Where the service reads its Kafka password: the systemd credential made from
              `kafka.passwordFile` (the path only; `''${CREDENTIALS_DIRECTORY}` is expanded by
              the application from its environment).
            '';
          };
          "tuner.policy.database.url" = {
            default = cfg.policy.database.jdbcUrl;
            defaultText = literalExpression "config.services.opencode-egress-tuner.policy.database.jdbcUrl";
            description = "JDBC URL of the database.";
          };
          "tuner.policy.database.user" = {
            default = cfg.policy.database.name;
            defaultText = literalExpression "config.services.opencode-egress-tuner.policy.database.name";
            description = "Database role.";
          };
          "quarkus.http.host" = {
            default = cfg.policy.listen.address;
            defaultText = literalExpression "config.services.opencode-egress-tuner.policy.listen.address";
            description = "Address of the UI and API.";
          };
          "quarkus.http.port" = {
            default = cfg.policy.listen.port;
            defaultText = literalExpression "config.services.opencode-egress-tuner.policy.listen.port";
            description = "Port of the UI and API.";
          };
          "quarkus.management.host" = {
            default = "127.0.0.1";
            description = ''
              Address of the management interface (metrics, health, OpenAPI; no accounts). The
              metrics name hosts and instances: keep it on loopback.
            '';
          };
          "quarkus.management.port" = {
            default = cfg.policy.managementPort;
            defaultText = literalExpression "config.services.opencode-egress-tuner.policy.managementPort";
            description = "Port of the management interface.";
          };
          "tuner.policy.state-directory" = {
            default = "/var/lib/opencode-egress-tuner-policy";
            description = "Accounts file, first admin password, and the exporter's working directory.";
          };
        };
      };
    };

    grafana = {
      enable = mkOption {
        type = types.bool;
        default = config.services.grafana.enable;
        defaultText = literalExpression "config.services.grafana.enable";
        description = ''
          Whether to provision the tuner's Grafana dashboards and their two datasources
          (Prometheus, and PostgreSQL through the read-only role) into services.grafana.
        '';
      };
      dashboardsPath = mkOption {
        type = types.path;
        default = "${share}/dashboards/grafana";
        defaultText = literalExpression ''"''${package}/share/opencode-egress-tuner/dashboards/grafana"'';
        description = "Directory of dashboard JSON files (the repository's dashboards/grafana, packaged).";
      };
      prometheusUrl = mkOption {
        type = types.str;
        default = "http://127.0.0.1:${toString config.services.prometheus.port}";
        defaultText = literalExpression ''"http://127.0.0.1:''${toString config.services.prometheus.port}"'';
        description = "URL of the Prometheus datasource (the dashboards' `\${datasource}`).";
      };
      postgres = {
        enable = mkOption {
          type = types.bool;
          default = cfg.grafana.enable && localPostgres;
          defaultText = literalExpression "grafana.enable && policy.enable && policy.database.provision";
          description = ''
            Whether to create the read-only role `role` in the policy database (SELECT on its
            tables, also those later migrations create; read-only transactions) and to provision
            the PostgreSQL datasource of the dashboards' SQL panels (`''${postgres}`) with it.
            Needs `passwordFile`.
          '';
        };
        role = mkOption {
          type = types.str;
          default = "tuner_grafana";
          description = "The read-only role Grafana connects as.";
        };
        address = mkOption {
          type = types.str;
          default = "127.0.0.1:5432";
          description = "host:port Grafana connects to (TCP, password authentication).";
        };
        passwordFile = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "/run/secrets/opencode-egress-grafana-db-password";
          description = ''
            File holding the role's password, outside the Nix store, readable by root (the role
            is set up with it through systemd's LoadCredential) and by the `grafana` user (the
            datasource reads it at start with `$__file{...}`): it never enters the store.
          '';
        };
      };
    };

    localPorts = mkOption {
      type = types.listOf (
        types.submodule {
          options = {
            port = mkOption {
              type = types.port;
              description = "The port (TCP).";
            };
            part = mkOption {
              type = types.str;
              description = "Which part of the tuner listens on it, and the option it comes from.";
            };
          };
        }
      );
      readOnly = true;
      default =
        lib.optionals cfg.collector.enable (
          quarkusPorts "collector health and metrics" "services.opencode-egress-tuner.collector" false cfg.collector.settings
        )
        ++ lib.optionals cfg.policy.enable (
          quarkusPorts "policy UI and API" "services.opencode-egress-tuner.policy" true cfg.policy.settings
          ++ lib.optional policyTls {
            port = cfg.policy.tls.port;
            part = "policy UI and API, HTTPS (services.opencode-egress-tuner.policy.tls.port)";
          }
        )
        ++ lib.optionals localKafka kafkaListenerPorts
        ++ lib.optional localPostgres {
          port = config.services.postgresql.settings.port;
          part = "PostgreSQL (services.postgresql.settings.port)";
        }
        ++ lib.optional (cfg.prometheus.enable && config.services.prometheus.enable) {
          port = config.services.prometheus.port;
          part = "Prometheus (services.prometheus.port)";
        }
        ++ lib.optional (cfg.grafana.enable && config.services.grafana.enable) {
          port = config.services.grafana.settings.server.http_port or 3000;
          part = "Grafana (services.grafana.settings.server.http_port)";
        };
      defaultText = literalExpression "the ports of the tuner's parts enabled on this host, read from their options";
      description = ''
        The local ports of the tuner's parts that run on this host, derived from their
        options: the collector's and the policy service's HTTP ports, the policy service's
        management port (metrics, health, OpenAPI without accounts) and its HTTPS port when
        configured, every listener of the provisioned Kafka (clients and the KRaft
        controller), the provisioned PostgreSQL, and Prometheus and Grafana when the tuner
        feeds them. `services.opencode` denies them to every isolated instance on the same
        host (`networkIsolation.deniedLocalPorts` adds to them). Read-only.
      '';
    };

    prometheus = {
      enable = mkOption {
        type = types.bool;
        default = config.services.prometheus.enable;
        defaultText = literalExpression "config.services.prometheus.enable";
        description = ''
          Whether to add scrape jobs for the enabled tuner services (`opencode-egress-collector`,
          labelled with `host` = networking.hostName, and `opencode-egress-policy`) and the
          tuner's recording and alerting rules to services.prometheus.
        '';
      };
      rulesFile = mkOption {
        type = types.path;
        default = "${share}/dashboards/prometheus/opencode-egress-tuner.rules.yml";
        defaultText = literalExpression ''"''${package}/share/opencode-egress-tuner/dashboards/prometheus/opencode-egress-tuner.rules.yml"'';
        description = "The rules file (dashboards/README.md has a runbook for every alert).";
      };
    };
  };

  config = mkMerge [
    (mkIf cfg.collector.enable {
      assertions = [ (outsideStoreAssertion "collector.environmentFile" cfg.collector.environmentFile) ];

      systemd.services.opencode-egress-tuner-collector = {
        description = "opencode egress tuner: journal collector";
        wantedBy = [ "multi-user.target" ];
        wants = [ "network-online.target" ];
        after = [ "network-online.target" "systemd-journald.service" ] ++ lib.optional localKafka "apache-kafka.service";
        restartTriggers = [ collectorSettings ];
        serviceConfig = {
          Type = "simple";
          DynamicUser = true;
          User = "opencode-egress-tuner-collector";
          # Reading the system journal (kernel messages included) needs this group.
          SupplementaryGroups = [ "systemd-journal" ];
          StateDirectory = "opencode-egress-tuner-collector";
          StateDirectoryMode = "0700";
          EnvironmentFile = lib.optional (cfg.collector.environmentFile != null) cfg.collector.environmentFile;
          # Two malloc arenas: the JVM's native allocations stay within tens of MiB (see the benchmark).
          Environment = [ "MALLOC_ARENA_MAX=2" ];
          # jna.library.path: libsystemd for the JNA binding of sd_journal. jna.tmpdir: JNA unpacks its
          # native stub there; the state directory is private and not mounted noexec (unlike some /tmp).
          ExecStart = javaCommand "collector" (
            cfg.collector.jvmOptions
            ++ [
              "-Djna.library.path=${lib.getLib pkgs.systemd}/lib"
              "-Djna.tmpdir=%S/opencode-egress-tuner-collector/jna"
              "--enable-native-access=ALL-UNNAMED"
            ]
          ) collectorSettings;
          Restart = "always";
          RestartSec = "5s";
        }
        // javaHardening
        // {
          # The journal is read-only anyway (ProtectSystem=strict); ProtectKernelLogs only
          # concerns /dev/kmsg and syslog(2), which the collector does not use.
          ReadOnlyPaths = mkDefault [ "/var/log/journal" "-/run/log/journal" ];
        };
      };
    })

    (mkIf (cfg.collector.enable && cfg.collector.hostState.enable) {
      # Listing nftables needs CAP_NET_ADMIN, which may change the firewall: a small root unit holds it
      # for one command and leaves a snapshot the unprivileged collector reads.
      systemd.services.opencode-egress-tuner-nft-state = {
        description = "opencode egress tuner: snapshot of the nftables egress table for the collector";
        serviceConfig = {
          Type = "oneshot";
          RuntimeDirectory = "opencode-egress-tuner-nft";
          RuntimeDirectoryMode = "0755";
          RuntimeDirectoryPreserve = "yes";
          CapabilityBoundingSet = [ "CAP_NET_ADMIN" ];
          NoNewPrivileges = true;
          ProtectSystem = "strict";
          ProtectHome = true;
          PrivateTmp = true;
          ReadWritePaths = [ "/run/opencode-egress-tuner-nft" ];
        };
        # A missing table leaves nft's error in the file: the collector publishes it as a problem.
        script = ''
          ${pkgs.nftables}/bin/nft -j list table inet opencode-egress \
            > /run/opencode-egress-tuner-nft/state.json.new 2>&1 || true
          chmod 0644 /run/opencode-egress-tuner-nft/state.json.new
          mv /run/opencode-egress-tuner-nft/state.json.new /run/opencode-egress-tuner-nft/state.json
        '';
      };
      systemd.timers.opencode-egress-tuner-nft-state = {
        wantedBy = [ "timers.target" ];
        timerConfig = {
          OnBootSec = "30s";
          OnUnitActiveSec = "1min";
        };
      };
    })

    (mkIf cfg.policy.enable {
      assertions = [
        (outsideStoreAssertion "policy.environmentFile" cfg.policy.environmentFile)
        (outsideStoreAssertion "policy.sessionKeyFile" cfg.policy.sessionKeyFile)
        (outsideStoreAssertion "policy.tls.keyFile" cfg.policy.tls.keyFile)
        {
          assertion = (cfg.policy.tls.certificateFile == null) == (cfg.policy.tls.keyFile == null);
          message = "services.opencode-egress-tuner.policy.tls: set both certificateFile and keyFile, or neither (got certificateFile = ${builtins.toJSON cfg.policy.tls.certificateFile}, keyFile = ${builtins.toJSON cfg.policy.tls.keyFile})";
        }
        {
          assertion = builtins.match "[a-z_][a-z0-9_]*" cfg.policy.database.name != null;
          message = "services.opencode-egress-tuner.policy.database.name '${cfg.policy.database.name}' must be a plain SQL identifier (lowercase letters, digits, '_'): it is also the system user for peer authentication";
        }
      ];

      users.users.${cfg.policy.database.name} = {
        isSystemUser = true;
        group = cfg.policy.database.name;
        description = "opencode egress tuner policy service";
      };
      users.groups.${cfg.policy.database.name} = { };

      systemd.services.opencode-egress-tuner-policy = {
        description = "opencode egress tuner: policy service and exporter";
        wantedBy = [ "multi-user.target" ];
        wants = [ "network-online.target" ];
        after =
          [ "network-online.target" ]
          ++ lib.optional localKafka "apache-kafka.service"
          ++ lib.optional localPostgres postgresReady;
        requires = lib.optional localKafka "apache-kafka.service" ++ lib.optional localPostgres postgresReady;
        restartTriggers = [ policySettings ];
        # The exporter commits and pushes the generated allowlist modules.
        path = [ pkgs.git pkgs.openssh ];
        # Secrets arrive as systemd credentials: only their paths (%d, the credentials directory)
        # reach the environment, never their contents; not in the store, not in the arguments.
        environment =
          lib.optionalAttrs (cfg.policy.sessionKeyFile != null) {
            TUNER_POLICY_AUTH_SESSION_KEY_FILE = "%d/session-key";
          }
          // lib.optionalAttrs policyTls {
            QUARKUS_HTTP_SSL_CERTIFICATE_FILES = "%d/tls-certificate";
            QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES = "%d/tls-key";
            QUARKUS_HTTP_SSL_PORT = toString cfg.policy.tls.port;
          };
        serviceConfig = {
          Type = "simple";
          User = cfg.policy.database.name;
          Group = cfg.policy.database.name;
          StateDirectory = "opencode-egress-tuner-policy";
          StateDirectoryMode = "0700";
          EnvironmentFile = lib.optional (cfg.policy.environmentFile != null) cfg.policy.environmentFile;
          LoadCredential =
            lib.optional (cfg.policy.sessionKeyFile != null) "session-key:${cfg.policy.sessionKeyFile}"
            ++ lib.optionals policyTls [
              "tls-certificate:${cfg.policy.tls.certificateFile}"
              "tls-key:${cfg.policy.tls.keyFile}"
            ];
          ExecStart = javaCommand "policy" cfg.policy.jvmOptions policySettings;
          Restart = "always";
          RestartSec = "5s";
        }
        // javaHardening;
      };

      networking.firewall.allowedTCPPorts =
        lib.optional cfg.policy.openFirewall cfg.policy.listen.port
        ++ lib.optional (cfg.policy.openFirewall && policyTls) cfg.policy.tls.port
        ++ lib.optional (localKafka && cfg.policy.kafka.openFirewall) 9092;
    })

    # Kafka logins of the collector and the policy service: the password as a systemd
    # credential, read through the password-file key; after the local provisioning.
    (mkIf cfg.collector.enable {
      assertions =
        kafkaSecretAssertions [ collectorSecret ]
        ++ [ (errorAssertion (ocLib.kafkaHostError (optionName "collector.host") cfg.collector.host)) ];
      systemd.services.opencode-egress-tuner-collector = kafkaClient cfg.collector.kafkaPasswordFile;
    })

    (mkIf cfg.policy.enable {
      assertions = kafkaSecretAssertions [ kafkaSecrets.${ocLib.kafkaAccounts.policy} ];
      warnings = lib.optional (!cfg.policy.kafka.provision && cfg.policy.kafka.collectors != { }) (
        "services.opencode-egress-tuner.policy.kafka.collectors is ignored: policy.kafka.provision is off, so no broker here creates the accounts of "
        + lib.concatStringsSep ", " (lib.attrNames cfg.policy.kafka.collectors)
      );
      systemd.services.opencode-egress-tuner-policy = kafkaClient cfg.policy.kafka.passwordFile;
    })

    (mkIf localKafka (
      let
        kafka = config.services.apache-kafka;
        collectorHosts = lib.attrNames kafkaCollectors;
        local = cfg.collector.host;
        listed = cfg.policy.kafka.collectors;
      in
      {
        assertions =
          kafkaSecretAssertions [
            kafkaSecrets.${ocLib.kafkaAccounts.broker}
            kafkaSecrets.${ocLib.kafkaAccounts.controller}
          ]
          ++ kafkaSecretAssertions (lib.attrValues listedCollectors)
          ++ map (
            host:
            let
              e = ocLib.kafkaHostError (optionName "policy.kafka.collectors") host;
            in
            { assertion = e == null; message = "${toString e} (an attribute name of policy.kafka.collectors)"; }
          ) (lib.attrNames listed)
          ++ [
            {
              assertion = !(cfg.collector.enable && listed ? ${local}) || listed.${local}.passwordFile == cfg.collector.kafkaPasswordFile;
              message = "services.opencode-egress-tuner.policy.kafka.collectors.${local}.passwordFile (${toString (listed.${local}.passwordFile or null)}) differs from collector.kafkaPasswordFile (${toString cfg.collector.kafkaPasswordFile}), which this host's collector logs in with: drop the entry (this host's collector is provisioned anyway) or name the same file";
            }
            {
              assertion = !kafka.formatLogDirs;
              message = "services.apache-kafka.formatLogDirs must stay false with services.opencode-egress-tuner.policy.kafka.provision: the tuner formats the storage itself, with the broker's SCRAM account, which nixpkgs' format cannot add";
            }
            (errorAssertion (ocLib.kafkaClusterIdError (optionName "policy.kafka.clusterId") cfg.policy.kafka.clusterId))
          ];

        services.apache-kafka = {
          enable = true;
          clusterId = mkDefault cfg.policy.kafka.clusterId;
          # Formatted by the ExecStartPre below, with the broker's SCRAM account.
          formatLogDirs = mkDefault false;
          # Every setting mkDefault, so a host can change one (docs/nixos.md says what SASL_SSL
          # would need besides).
          settings = lib.mapAttrs (_: mkDefault) (
            ocLib.kafkaBrokerSettings {
              listenAddress = kafkaAddress;
              logDirs = [ "/var/lib/apache-kafka" ];
              credentialsDirectory = kafkaCredentialsDirectory;
            }
          );
        };

        systemd.services.apache-kafka = {
          # Formats the storage with the broker's account on the first start (an ExecStartPre,
          # run as the broker's user).
          preStart = ocLib.kafkaFormatScript {
            java = "${kafka.jre}/bin/java";
            classpath = "${kafka.package}/libs";
            clusterId = cfg.policy.kafka.clusterId;
            serverProperties = "${kafka.configFiles.serverProperties}";
            logDirs = kafka.settings."log.dirs";
            describe = kafkaDescribe;
          };
          serviceConfig = {
            # The broker reads its passwords from here at start (${dir:...} in server.properties).
            LoadCredential = map kafkaCredential [ ocLib.kafkaAccounts.broker ocLib.kafkaAccounts.controller ];
            # The format's argument file (with the broker's password) lives here, 0600, briefly.
            RuntimeDirectory = "apache-kafka";
            RuntimeDirectoryMode = "0700";
          };
        };

        # The accounts of the policy service and of every collector host, their topics and ACLs,
        # with Kafka's own tools, logged in as the broker's account. Idempotent; runs after every
        # start of the broker and when the configuration changes (a new host, a new file); after
        # a password file's content changed, restart it (docs/nixos.md).
        systemd.services.opencode-egress-tuner-kafka-accounts = {
          description = "opencode egress tuner: Kafka accounts, topics and ACLs of the policy service and the collectors";
          wantedBy = [ "multi-user.target" ];
          requires = [ "apache-kafka.service" ];
          after = [ "apache-kafka.service" ];
          partOf = [ "apache-kafka.service" ];
          before = [ "opencode-egress-tuner-policy.service" ] ++ lib.optional cfg.collector.enable "opencode-egress-tuner-collector.service";
          # mktemp, cat, tr, grep, sed, seq for the script (also on NixOS' default PATH).
          path = [ pkgs.coreutils pkgs.gnugrep pkgs.gnused ];
          script = ocLib.kafkaProvisionScript {
            tools = {
              configs = "${kafka.package}/bin/kafka-configs.sh";
              acls = "${kafka.package}/bin/kafka-acls.sh";
              topics = "${kafka.package}/bin/kafka-topics.sh";
            };
            bootstrap = cfg.policy.kafka.bootstrapServers;
            inherit collectorHosts;
            describe = kafkaDescribe;
          };
          serviceConfig =
            {
              Type = "oneshot";
              RemainAfterExit = true;
              DynamicUser = true;
              User = "opencode-egress-tuner-kafka";
              LoadCredential = map kafkaCredential ([ ocLib.kafkaAccounts.broker ocLib.kafkaAccounts.policy ] ++ map ocLib.kafkaCollectorAccount collectorHosts);
              # The client configuration and the SCRAM files live here, 0600, while the unit runs.
              RuntimeDirectory = "opencode-egress-tuner-kafka-accounts";
              RuntimeDirectoryMode = "0700";
              # The broker may take a while to answer after its unit started; each tool is a JVM.
              TimeoutStartSec = "15min";
            }
            // javaHardening;
        };
      }
    ))

    (mkIf localPostgres {
      services.postgresql = {
        enable = true;
        ensureDatabases = [ cfg.policy.database.name ];
        ensureUsers = [
          {
            name = cfg.policy.database.name;
            ensureDBOwnership = true;
          }
        ];
        # Peer authentication for the service (and postgres, for the Grafana role unit) over
        # the Unix socket, every other role rejected for this database: nftables cannot
        # filter the socket, so this keeps the instances (and any other local user) out even
        # when they can reach it. A plain definition, so that it merges with nixpkgs' own
        # lines (mkBefore header, mkAfter defaults) and lands before their catch-all ones: a
        # mkDefault would lose to those normal-priority definitions and vanish.
        authentication = ocLib.tunerDatabaseHba {
          database = cfg.policy.database.name;
          user = cfg.policy.database.name;
        };
      };
    })

    (mkIf cfg.prometheus.enable {
      services.prometheus.ruleFiles = [ cfg.prometheus.rulesFile ];
      services.prometheus.scrapeConfigs =
        lib.optional cfg.collector.enable {
          # Job names and the host label are what the rules and dashboards query.
          job_name = "opencode-egress-collector";
          metrics_path = "/q/metrics";
          static_configs = [
            {
              targets = [ "127.0.0.1:${toString cfg.collector.metricsPort}" ];
              labels.host = config.networking.hostName;
            }
          ];
        }
        ++ lib.optional cfg.policy.enable {
          # The management interface, not the API port: that one has no /q/metrics.
          job_name = "opencode-egress-policy";
          metrics_path = "/q/metrics";
          static_configs = [
            {
              targets = [
                "${
                  let
                    host = toString cfg.policy.settings."quarkus.management.host";
                  in
                  if host == "0.0.0.0" then "127.0.0.1" else host
                }:${toString cfg.policy.settings."quarkus.management.port"}"
              ];
            }
          ];
        };
    })

    (mkIf cfg.grafana.enable {
      services.grafana.provision = {
        enable = true;
        dashboards.settings.providers = [
          {
            name = "opencode-egress-tuner";
            type = "file";
            folder = "opencode egress tuner";
            disableDeletion = true;
            allowUiUpdates = false;
            options.path = cfg.grafana.dashboardsPath;
          }
        ];
        # The dashboards choose their datasources through variables; these are the defaults offered.
        datasources.settings.datasources =
          [
            {
              name = "opencode-egress Prometheus";
              uid = "opencode-egress-prometheus";
              type = "prometheus";
              access = "proxy";
              url = cfg.grafana.prometheusUrl;
            }
          ]
          ++ lib.optional cfg.grafana.postgres.enable {
            name = "opencode-egress PostgreSQL";
            uid = "opencode-egress-postgres";
            type = "grafana-postgresql-datasource";
            access = "proxy";
            url = cfg.grafana.postgres.address;
            user = cfg.grafana.postgres.role;
            jsonData = {
              database = cfg.policy.database.name;
              sslmode = "disable";
            };
            # Read by Grafana at start; the password never enters the Nix store.
            secureJsonData.password = "$__file{${toString cfg.grafana.postgres.passwordFile}}";
          };
      };
    })

    (mkIf cfg.grafana.postgres.enable {
      assertions = [
        {
          assertion = cfg.grafana.postgres.passwordFile != null;
          message = "services.opencode-egress-tuner.grafana.postgres.passwordFile must be set when grafana.postgres.enable is true (the read-only role's password)";
        }
        (outsideStoreAssertion "grafana.postgres.passwordFile" cfg.grafana.postgres.passwordFile)
        {
          assertion = builtins.match "[a-z_][a-z0-9_]*" cfg.grafana.postgres.role != null;
          message = "services.opencode-egress-tuner.grafana.postgres.role '${cfg.grafana.postgres.role}' must be a plain SQL identifier (lowercase letters, digits, '_')";
        }
        {
          assertion = localPostgres;
          message = "services.opencode-egress-tuner.grafana.postgres.enable creates the role in the local database: it needs policy.enable and policy.database.provision (for another server, run the GRANTs of dashboards/README.md there)";
        }
      ];

      # The statements of dashboards/README.md ("the read-only role"), at every boot; idempotent.
      # The password reaches psql as a variable (:'pw' quotes it), never as SQL text.
      systemd.services.opencode-egress-tuner-grafana-role = {
        description = "opencode egress tuner: read-only PostgreSQL role for Grafana";
        wantedBy = [ "multi-user.target" ];
        after = [ postgresReady ] ++ lib.optional cfg.policy.enable "opencode-egress-tuner-policy.service";
        requires = [ postgresReady ];
        before = lib.optional config.services.grafana.enable "grafana.service";
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
          User = "postgres";
          LoadCredential = "password:${toString cfg.grafana.postgres.passwordFile}";
        };
        script =
          let
            role = cfg.grafana.postgres.role;
            db = cfg.policy.database.name;
          in
          ''
            ${config.services.postgresql.package}/bin/psql -v ON_ERROR_STOP=1 -d ${db} \
              -v pw="$(cat "$CREDENTIALS_DIRECTORY/password")" <<'SQL'
            SELECT 'CREATE ROLE ${role}' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') \gexec
            ALTER ROLE ${role} WITH LOGIN PASSWORD :'pw';
            ALTER ROLE ${role} SET default_transaction_read_only = on;
            GRANT CONNECT ON DATABASE ${db} TO ${role};
            GRANT USAGE ON SCHEMA public TO ${role};
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role};
            ALTER DEFAULT PRIVILEGES FOR ROLE ${db} IN SCHEMA public GRANT SELECT ON TABLES TO ${role};
            SQL
          '';
      };
    })
  ];
}
