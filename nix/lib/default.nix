# The pure library of the opencode NixOS modules: builtins only, so that
#   nix-instantiate --eval --strict -E '(import ./nix/lib).egressRuleset { ... }'
# works on any machine with Nix, without nixpkgs. The modules use it for the ruleset and
# for their assertions; nix/tests/lib tests it.
let
  cidr = import ./cidr.nix;
  names = import ./names.nix;
  egress = import ./egress.nix;
  config = import ./config.nix;
  database = import ./database.nix;
  ports = import ./ports.nix;
  kafka = import ./kafka.nix;
  internal = import ./internal.nix;
in
{
  # egressRuleset { <name> = { user = "opencode-<name>"; outboundAllowCidrs = [ ... ];
  #                            logRate = "5/minute"; blockedTimeout = "7d";
  #                            deniedLocalPorts = [ 5432 9092 ]; }; }
  # -> the complete nft script (string); throws naming the instance and value on bad input.
  egressRuleset = egress.ruleset;
  # The same policy as the body of `table inet opencode-egress { ... }`, for
  # networking.nftables.tables."opencode-egress".content.
  egressTableContent = egress.tableContent;
  # [ "message naming instance and value" ... ]: empty when the input is valid.
  egressErrors = egress.errors;
  egressInstanceErrors = egress.instanceErrors;
  # egressInstanceWarnings "services.opencode.instances.web" { enable; outboundAllowCidrs; }
  # -> [ "warning naming the option path" ... ] (the module's warnings).
  egressInstanceWarnings = egress.instanceWarnings;
  # egressDeniedLocalPorts { deniedLocalPorts = [ 9092 5432 9092 ]; ... } -> [ 5432 9092 ]:
  # the ports as the ruleset renders them (and opencode-check-egress expects them).
  egressDeniedLocalPorts = egress.deniedLocalPorts;
  egressTable = { name = egress.tableName; family = egress.tableFamily; };
  egressChainName = name: "egress_${name}";
  blockedSetNames = name: { ipv4 = "blocked4_${name}"; ipv6 = "blocked6_${name}"; };
  allowSetNames = name: { ipv4 = "allow4_${name}"; ipv6 = "allow6_${name}"; };

  inherit (names)
    instanceNameMaxLength
    instanceNamePattern
    instanceNameRule
    reservedInstanceNames
    reservedInstanceNameError
    isValidInstanceName
    instanceNameError
    logPrefix
    localDeniedLogPrefix
    deniedLocalPortsErrors
    ;

  # Throws "opencode instance name '<name>' is invalid: ..." or returns the name.
  checkInstanceName = name: let e = names.instanceNameError name; in if e == null then name else throw e;

  inherit (cidr) parseCidr isValidCidr canonicalCidr;
  normalizeCidrs = cidr.normalize;

  # null when valid, else "opencode instance '<instance>': outboundAllowCidrs entry '<value>' <reason>".
  cidrError =
    instance: text:
    let
      r = cidr.parseCidr text;
    in
    if r.valid then null else "opencode instance '${instance}': outboundAllowCidrs entry '${r.text}' ${r.error}";

  # Throws the message above, or returns the CIDR.
  checkCidr =
    instance: text:
    let
      r = cidr.parseCidr text;
    in
    if r.valid then text else throw "opencode instance '${instance}': outboundAllowCidrs entry '${r.text}' ${r.error}";

  # tunerDatabaseHba { database; user; superuser ? "postgres"; } -> pg_hba.conf lines: the
  # policy service's user and the superuser by peer over the Unix socket, every other role
  # rejected for that database.
  inherit (database) tunerDatabaseHba;

  # propertyPort value -> port or null; kafkaListener "NAME://host:port" -> { name; port; } or
  # null; kafkaListeners (list, or comma-separated string) -> [ { name; port; } ... ].
  inherit (ports) propertyPort kafkaListener kafkaListeners otherInstancePorts;

  # The tuner's Kafka (nix/lib/kafka.nix): accounts, per-host topics and ACLs, the broker's
  # security settings, and the storage-format and provisioning scripts, which read passwords
  # from systemd credentials only at run time.
  kafkaAccounts = kafka.accounts;
  kafkaCollectorAccount = kafka.collectorAccount;
  kafkaCredentialName = kafka.credentialName;
  kafkaTopicBases = kafka.topicBases;
  kafkaHostTopics = kafka.hostTopics;
  kafkaDeadLetterTopics = kafka.deadLetterTopics;
  kafkaHostError = kafka.hostError;
  kafkaClusterIdError = kafka.clusterIdError;
  kafkaBrokerSecurity = kafka.brokerSecurity;
  kafkaBrokerSettings = kafka.brokerSettings;
  kafkaPropertyValue = kafka.propertyValue;
  kafkaProvisionSteps = kafka.provisionSteps;
  kafkaProvisionScript = kafka.provisionScript;
  kafkaFormatScript = kafka.formatScript;
  # secretFileError "<option>" path -> null, or why the path cannot hold a secret (relative, or
  # in the world-readable Nix store).
  inherit (kafka) secretFileError;

  inherit (config) schemaUrl stripNulls opencodeSettings opencodeConfigErrors opencodeConfig renderOpencodeConfig;

  inherit (internal) runTests;
}
