# The egress tuner's Kafka on NixOS: accounts, per-host topics and ACLs (as the Java stack's
# KafkaAccounts and TunerTopics have them), the broker's security settings, and the two shell
# scripts that need secrets: the storage format (with the broker's SCRAM account) and the
# provisioning of the other accounts, topics and ACLs with Apache Kafka's own tools.
#
# No secret passes through here: the scripts read passwords from systemd credentials
# ($CREDENTIALS_DIRECTORY/<account>.password) at run time, write them only to 0600 files in a
# private directory, and hand the tools those files, never an argument. Pure, so that bare
# nix-instantiate renders and tests them (nix/tests/lib/kafka.nix, nix/tests/kafka/run.sh).
let
  i = import ./internal.nix;
  inherit (builtins) concatStringsSep concatMap match replaceStrings stringLength toJSON;

  shellArg = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] (toString s) + "'";
  shellArgs = list: concatStringsSep " " (map shellArg list);
  # One argument of a java launcher argument file (java @file): quoted, \ and " escaped.
  argFileLine = s: "\"" + replaceStrings [ "\\" "\"" ] [ "\\\\" "\\\"" ] s + "\"";
in
rec {
  mechanism = "SCRAM-SHA-512";

  accounts = {
    # Super user: the broker's own (inter-broker) and the administrator the provisioning logs in as.
    broker = "tuner-broker";
    # Super user, PLAIN on the loopback controller listener: KRaft controllers cannot check SCRAM.
    controller = "tuner-controller";
    policy = "tuner-policy";
  };
  collectorAccount = host: "collector-${host}";

  # The systemd credential (LoadCredential=<name>:<file>) that holds an account's password.
  credentialName = account: "${account}.password";

  topicBases = {
    blocked = "opencode.egress.blocked";
    malformed = "opencode.egress.malformed";
    hostState = "opencode.egress.host-state";
  };
  # Outside the per-host prefixes, so that the policy service never reads its own dead letters.
  deadLetterTopics = [
    { name = "opencode.egress.dead-letter.blocked"; partitions = 1; }
    { name = "opencode.egress.dead-letter.host-state"; partitions = 1; }
  ];
  policyGroupPrefix = "opencode-egress-policy";

  # A host's own topics: only its collector account may write them, so the topic proves the host.
  hostTopics = host: [
    { name = "${topicBases.blocked}.${host}"; partitions = 3; }
    { name = "${topicBases.malformed}.${host}"; partitions = 1; }
    { name = "${topicBases.hostState}.${host}"; partitions = 1; }
  ];

  # The host rule of the Java side (contract HostTopics): the host is the last part of a topic
  # name, which Kafka limits to 249 characters.
  hostPattern = "[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?";
  maxHostLength = 249 - 1 - builtins.foldl' (m: b: i.max m (stringLength b)) 0 (builtins.attrValues topicBases);
  hostError =
    what: host:
    if builtins.isString host && match hostPattern host != null && match ".*\\.\\..*" host == null && stringLength host <= maxHostLength then null
    else "${what} ${toJSON host} cannot name the host's Kafka topics (${topicBases.blocked}.<host>) and account (collector-<host>): use letters, digits, '.', '_' or '-', starting and ending with a letter or digit, without '..', at most ${toString maxHostLength} characters";

  # A file with a secret: an absolute path outside the Nix store (the store is world-readable).
  secretFileError =
    what: path:
    if !(builtins.isString path) || !(i.hasPrefix "/" path) then "${what} must be an absolute path (a string, not a Nix path, which would copy the secret into the store), got ${toJSON path}"
    else if i.hasPrefix "${builtins.storeDir}/" path || path == builtins.storeDir then "${what} must be outside the Nix store (which every local user can read), got '${path}'"
    else null;

  # The KRaft cluster id the storage is formatted with: base64url of 16 bytes.
  clusterIdError = what: id: if builtins.isString id && match "[A-Za-z0-9_-]{22}" id != null then null else "${what} ${toJSON id} is not a Kafka cluster id (22 characters of base64url, e.g. from kafka-storage.sh random-uuid)";

  # The broker's security: SCRAM-SHA-512 on the client listener (also between brokers), PLAIN on
  # the controller listener, the standard authorizer with no access unless an ACL allows it.
  # Passwords are references the broker resolves at start from files in `credentialsDirectory`
  # (under systemd the unit's credentials directory), so the generated properties hold no secret.
  brokerSecurity =
    { credentialsDirectory }:
    let
      ref = account: "\${dir:${credentialsDirectory}:${credentialName account}}";
    in
    {
      "config.providers" = "dir";
      "config.providers.dir.class" = "org.apache.kafka.common.config.provider.DirectoryConfigProvider";
      "config.providers.dir.param.allowed.paths" = credentialsDirectory;
      "listener.security.protocol.map" = [ "CLIENT:SASL_PLAINTEXT" "CONTROLLER:SASL_PLAINTEXT" ];
      "sasl.enabled.mechanisms" = [ mechanism ];
      "sasl.mechanism.inter.broker.protocol" = mechanism;
      "listener.name.client.scram-sha-512.sasl.jaas.config" =
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"${accounts.broker}\" password=\"${ref accounts.broker}\";";
      "sasl.mechanism.controller.protocol" = "PLAIN";
      "listener.name.controller.sasl.enabled.mechanisms" = [ "PLAIN" ];
      "listener.name.controller.plain.sasl.jaas.config" =
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"${accounts.controller}\" password=\"${ref accounts.controller}\" user_${accounts.controller}=\"${ref accounts.controller}\";";
      "authorizer.class.name" = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
      "super.users" = "User:${accounts.broker};User:${accounts.controller}";
      "allow.everyone.if.no.acl.found" = false;
    };

  # The single-node KRaft broker (broker and controller in one process), as services.apache-kafka
  # settings: values are strings, integers, booleans or lists (rendered comma-separated).
  brokerSettings =
    {
      listenAddress,
      port ? 9092,
      controllerPort ? 9093,
      logDirs,
      credentialsDirectory,
    }:
    {
      "process.roles" = [ "broker" "controller" ];
      "node.id" = 1;
      "controller.quorum.voters" = [ "1@127.0.0.1:${toString controllerPort}" ];
      listeners = [ "CLIENT://${listenAddress}:${toString port}" "CONTROLLER://127.0.0.1:${toString controllerPort}" ];
      "advertised.listeners" = [ "CLIENT://${listenAddress}:${toString port}" ];
      "controller.listener.names" = [ "CONTROLLER" ];
      "inter.broker.listener.name" = "CLIENT";
      "log.dirs" = logDirs;
      # Topics are created on purpose (the provisioning), so a misspelt name fails instead.
      "auto.create.topics.enable" = false;
      # One broker: every internal topic has a single replica.
      "offsets.topic.replication.factor" = 1;
      "transaction.state.log.replication.factor" = 1;
      "transaction.state.log.min.isr" = 1;
      "share.coordinator.state.topic.replication.factor" = 1;
      "share.coordinator.state.topic.min.isr" = 1;
    }
    // brokerSecurity { inherit credentialsDirectory; };

  # services.apache-kafka's rendering of a value: lists comma-separated, booleans as words.
  propertyValue =
    v:
    if builtins.isList v then concatStringsSep "," (map propertyValue v)
    else if builtins.isBool v then (if v then "true" else "false")
    else toString v;

  # What the provisioning does, in order, for the policy account and the given collector hosts:
  # each account's password (SCRAM-SHA-512), the topics (dead letters, then each host's three),
  # the ACLs. Every step is idempotent. Accounts `collector-<host>` of hosts no longer listed are
  # revoked at the end (`revoke`): their password is deleted and their ACLs removed.
  provisionSteps =
    { collectorHosts }:
    let
      hosts = builtins.sort builtins.lessThan collectorHosts;
      acl = principal: patternType: operations: topics: groups: {
        step = "acl";
        principal = "User:${principal}";
        inherit patternType operations topics groups;
      };
    in
    [ { step = "account"; account = accounts.policy; } ]
    ++ map (h: { step = "account"; account = collectorAccount h; }) hosts
    ++ map (t: { step = "topic"; topic = t.name; inherit (t) partitions; }) (deadLetterTopics ++ concatMap hostTopics hosts)
    ++ [
      (acl accounts.policy "prefixed" [ "Read" "Describe" ] [ "${topicBases.blocked}." "${topicBases.hostState}." ] [ policyGroupPrefix ])
      (acl accounts.policy "literal" [ "Write" "Describe" "Create" ] (map (t: t.name) deadLetterTopics) [ ])
    ]
    ++ map (h: acl (collectorAccount h) "literal" [ "Write" "Describe" ] (map (t: t.name) (hostTopics h)) [ ]) hosts
    ++ [ { step = "revoke"; keep = map collectorAccount hosts; } ];

  # Bash: read_password CREDENTIAL WHAT [exact] prints the password in $CREDENTIALS_DIRECTORY/CREDENTIAL
  # without one final newline (with `exact`: none allowed, for files the broker reads verbatim)
  # after checking the rule the Java side has (contract KafkaLogin): 16 to 512 printable ASCII
  # characters without '"' or '\', one line. WHAT names the option in errors; the password never
  # appears in one.
  passwordFunctions = ''
    read_password() {
      local name=$1 what=$2 exact=''${3:-} file text rest
      file=$CREDENTIALS_DIRECTORY/$name
      if [ ! -f "$file" ] || [ ! -r "$file" ]; then
        echo "error: $what: the credential $name is missing or unreadable" >&2
        return 1
      fi
      text=$(cat -- "$file" && printf .)
      text=''${text%.}
      if [ -n "$exact" ]; then
        case $text in
          *$'\n')
            echo "error: $what ends with a newline, but the broker reads this file verbatim: write the password without one (printf '%s' ...)" >&2
            return 1
            ;;
        esac
      else
        text=''${text%$'\n'}
      fi
      rest=$(printf '%s' "$text" | tr -d '\041\043-\133\135-\176' && printf .)
      rest=''${rest%.}
      if [ "''${#text}" -lt 16 ] || [ "''${#text}" -gt 512 ] || [ -n "$rest" ]; then
        printf '%s\n' "error: $what does not hold one line of 16 to 512 printable ASCII characters without '\"' or '\\' (''${#text} characters found)" >&2
        return 1
      fi
      printf '%s' "$text"
    }
  '';

  # The broker's storage format (an ExecStartPre of apache-kafka.service): when no log directory
  # is formatted yet, formats it with the broker's own SCRAM account, which KRaft can only get
  # this way. The password reaches the storage tool through a java argument file (0600, in a
  # private directory, deleted after), so /proc/<pid>/cmdline shows only the file's path. Also
  # checks the controller's password, which the broker reads verbatim.
  formatScript =
    {
      java,
      classpath,
      clusterId,
      serverProperties,
      logDirs,
      describe ? { },
    }:
    let
      what = account: describe.${account} or "the password of ${account}";
      fixedArguments = [ "kafka.tools.StorageTool" "format" "--cluster-id" clusterId "--config" serverProperties "--add-scram" ];
    in
    ''
      set -euo pipefail
      umask 077
      export LC_ALL=C
      : "''${CREDENTIALS_DIRECTORY:?no credentials directory: run this as the unit with its LoadCredential= lines}"
      ${passwordFunctions}
      read_password ${shellArg (credentialName accounts.controller)} ${shellArg (what accounts.controller)} exact >/dev/null
      broker_pw=$(read_password ${shellArg (credentialName accounts.broker)} ${shellArg (what accounts.broker)} exact)
      case $broker_pw in
        *,*)
          echo ${shellArg "error: ${what accounts.broker} contains ',', which Kafka's storage format (--add-scram) cannot take: choose a password without it"} >&2
          exit 1
          ;;
      esac
      log_dirs=(${shellArgs logDirs})
      for dir in "''${log_dirs[@]}"; do
        if [ -e "$dir/meta.properties" ]; then
          # Formatted: the broker's account is in the metadata log already.
          exit 0
        fi
      done
      work=$(mktemp -d "''${RUNTIME_DIRECTORY:-''${TMPDIR:-/tmp}}/format.XXXXXX")
      trap 'rm -rf -- "$work"' EXIT
      {
        cat <<'ARGS'
      ${concatStringsSep "\n" (map argFileLine fixedArguments)}
      ARGS
        printf '"${mechanism}=[name=${accounts.broker},password=%s]"\n' "$broker_pw"
      } > "$work/format.args"
      unset broker_pw
      echo ${shellArg "formatting ${concatStringsSep " " logDirs} (cluster ${clusterId}) with the account ${accounts.broker}"}
      # The tool prints the new SCRAM record (salt and keys) on stdout: it stays in $work.
      if ! ${shellArg java} -cp ${shellArg "${classpath}/*"} "@$work/format.args" > "$work/format.out" 2>&1; then
        grep -v '^Bootstrap metadata' "$work/format.out" >&2 || true
        echo "error: formatting Kafka's storage failed" >&2
        exit 1
      fi
      grep -v '^Bootstrap metadata' "$work/format.out" || true
    '';

  # The provisioning (a oneshot unit after the broker): logs in as the broker's account with a
  # client configuration written to a 0600 file, then runs provisionSteps with Kafka's own tools
  # (`tools.configs`: kafka-configs.sh, `tools.acls`: kafka-acls.sh, `tools.topics`:
  # kafka-topics.sh). Each password goes to the tool in a 0600 file (--add-config-file).
  # `describe.<account>` names the option of each password in errors.
  provisionScript =
    {
      tools,
      bootstrap,
      collectorHosts,
      describe ? { },
      attempts ? 12,
    }:
    let
      what = account: describe.${account} or "the password of ${account}";
      render =
        s:
        if s.step == "account" then
          "set_password ${shellArg s.account} ${shellArg (credentialName s.account)} ${shellArg (what s.account)}"
        else if s.step == "topic" then
          "ensure_topic ${shellArg s.topic} ${toString s.partitions}"
        else if s.step == "acl" then
          "echo ${shellArg "ACLs of ${s.principal}: ${concatStringsSep ", " s.operations} on ${concatStringsSep ", " (s.topics ++ s.groups)} (${s.patternType})"}\n"
          + "kafka \"$acls\" --add --allow-principal ${shellArg s.principal} ${shellArgs (concatMap (o: [ "--operation" o ]) s.operations)}"
          + " --resource-pattern-type ${s.patternType} ${shellArgs (concatMap (t: [ "--topic" t ]) s.topics ++ concatMap (g: [ "--group" g ]) s.groups)} >/dev/null"
        else if s.step == "revoke" then
          "revoke_collectors ${shellArgs s.keep}"
        else throw "unknown provisioning step ${toJSON s}";
    in
    ''
      set -euo pipefail
      umask 077
      export LC_ALL=C
      configs=${shellArg tools.configs}
      acls=${shellArg tools.acls}
      topics=${shellArg tools.topics}
      bootstrap=${shellArg bootstrap}
      : "''${CREDENTIALS_DIRECTORY:?no credentials directory: run this as the unit with its LoadCredential= lines}"
      ${passwordFunctions}
      work=$(mktemp -d "''${RUNTIME_DIRECTORY:-''${TMPDIR:-/tmp}}/kafka-accounts.XXXXXX")
      trap 'rm -rf -- "$work"' EXIT
      admin=$work/admin.properties

      # kafka TOOL ARGS...: one of Kafka's tools, logged in as the broker's account; its output on
      # stdout, or on stderr with the command when it fails (the tools print their errors on stdout).
      kafka() {
        local tool=$1 status=0
        shift
        "$tool" --bootstrap-server "$bootstrap" --command-config "$admin" "$@" > "$work/tool.out" 2>&1 || status=$?
        if [ "$status" != 0 ]; then
          echo "error: ''${tool##*/} $* failed (exit status $status):" >&2
          cat "$work/tool.out" >&2
          return "$status"
        fi
        cat "$work/tool.out"
      }

      # set_password ACCOUNT CREDENTIAL WHAT: creates the account or sets its password.
      set_password() {
        local pw
        pw=$(read_password "$2" "$3")
        printf '${mechanism}=iterations=8192,password=%s\n' "$pw" > "$work/scram.properties"
        unset pw
        echo "account $1"
        kafka "$configs" --alter --entity-type users --entity-name "$1" --add-config-file "$work/scram.properties" >/dev/null
        rm -f -- "$work/scram.properties"
      }

      # ensure_topic NAME PARTITIONS: creates the topic unless it exists (its partitions stay as they are).
      ensure_topic() {
        if grep -qxF -- "$1" "$work/topics"; then
          return 0
        fi
        echo "topic $1 ($2 partitions)"
        kafka "$topics" --create --if-not-exists --topic "$1" --partitions "$2" --replication-factor 1 >/dev/null
      }

      # revoke_collectors KEEP...: every other collector-<host> account loses its password and its ACLs.
      revoke_collectors() {
        local account host keep found accounts
        kafka "$configs" --describe --entity-type users > "$work/users"
        mapfile -t accounts < <(sed -n "s/^SCRAM credential configs for user-principal '\(collector-[^']*\)' are .*/\1/p" "$work/users")
        for account in "''${accounts[@]}"; do
          found=
          for keep in "$@"; do
            if [ "$account" = "$keep" ]; then found=1; fi
          done
          if [ -n "$found" ]; then continue; fi
          host=''${account#collector-}
          echo "revoking $account: its host is no longer configured"
          kafka "$configs" --alter --entity-type users --entity-name "$account" --delete-config ${mechanism} >/dev/null
          kafka "$acls" --remove --force --allow-principal "User:$account" --operation Write --operation Describe \
            --topic "${topicBases.blocked}.$host" --topic "${topicBases.malformed}.$host" --topic "${topicBases.hostState}.$host" >/dev/null
        done
      }

      broker_pw=$(read_password ${shellArg (credentialName accounts.broker)} ${shellArg (what accounts.broker)} exact)
      {
        printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=${mechanism}\n'
        printf 'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${accounts.broker}" password="%s";\n' "$broker_pw"
        printf 'default.api.timeout.ms=20000\nrequest.timeout.ms=10000\n'
      } > "$admin"
      unset broker_pw

      # The broker's unit is up before the broker answers: wait for it (and learn the topics).
      for attempt in $(seq 1 ${toString attempts}); do
        if "$topics" --bootstrap-server "$bootstrap" --command-config "$admin" --list > "$work/topics" 2> "$work/list.err"; then
          break
        fi
        cat "$work/topics" >> "$work/list.err"
        if grep -q -E 'SaslAuthenticationException|Authentication failed' "$work/list.err"; then
          echo ${shellArg "error: the broker refused the account ${accounts.broker}: ${what accounts.broker} differs from the password the storage was formatted with"} >&2
          exit 1
        fi
        if [ "$attempt" = ${toString attempts} ]; then
          echo "error: no answer from the broker at $bootstrap after $attempt attempts:" >&2
          tail -n 5 "$work/list.err" >&2
          exit 1
        fi
        sleep 2
      done

      ${concatStringsSep "\n" (map render (provisionSteps { inherit collectorHosts; }))}
    '';
}
