# Rules for the names that end up in user names, unit names, nft identifiers and the log
# prefix. The instance-name rule is shared with the Java parser of the log prefix
# (contract InstanceName.PATTERN): keep the two identical.
let
  inherit (builtins) isInt isString match stringLength;
in
rec {
  # Anchored (builtins.match matches the whole string). At most 22 characters, so that the
  # user and group `opencode-<name>` stay within the 31 characters NixOS allows for user and
  # group names (users.users.<name>.name and .group); no trailing hyphen.
  instanceNameMaxLength = 22;
  instanceNamePattern = "[a-z]([a-z0-9-]{0,20}[a-z0-9])?";
  instanceNameRule = "a lowercase letter, then lowercase letters, digits or '-', not ending in '-', at most 22 characters";

  isValidInstanceName = name: isString name && match instanceNamePattern name != null;

  instanceNameError =
    name:
    if isValidInstanceName name then null
    else "opencode instance name '${if isString name then name else builtins.toJSON name}' is invalid: expected ${instanceNameRule} (it becomes the user and group opencode-<name>, which NixOS limits to 31 characters, the units opencode-<name>.service and opencode-<name>-setup.service, and the log prefix \"opencode-<name>-blocked: \")";

  # Names an instance must not take: instance <name> owns the units and the user
  # opencode-<name>, and these are the egress tuner's own (nix/modules/egress-tuner). Two
  # modules defining one unit would otherwise fail deep inside the systemd options with
  # "conflicting definition values". egress-tuner-kafka is the dynamic user of the Kafka
  # provisioning unit opencode-egress-tuner-kafka-accounts (systemd would run the unit as an
  # instance's static user of that name); the unit's own name is longer than an instance name
  # may be, and is listed with the other units.
  reservedInstanceNames = [
    "egress-tuner-collector"
    "egress-tuner-grafana-role"
    "egress-tuner-kafka"
    "egress-tuner-kafka-accounts"
    "egress-tuner-nft-state"
    "egress-tuner-policy"
  ];

  reservedInstanceNameError =
    name:
    if builtins.elem name reservedInstanceNames then
      "opencode instance name '${name}' is reserved: opencode-${name} is a unit of the egress tuner (services.opencode-egress-tuner); reserved names: ${builtins.concatStringsSep ", " reservedInstanceNames}"
    else null;

  # What the tuner's parser looks for; the trailing space separates it from IN=.
  logPrefix = name: "opencode-${name}-blocked: ";

  # The log prefix of attempts to reach a denied local port. Deliberately not ending in
  # "-blocked: ": these lines must never become blocked events (the tuner would suggest
  # loopback destinations), the parser treats them as unrelated kernel messages.
  localDeniedLogPrefix = name: "opencode-${name}-local-denied: ";

  # networkIsolation.deniedLocalPorts: a list of ports 1-65535 (port 0 is never a destination).
  deniedLocalPortsErrors =
    instance: ports:
    let
      bad = "opencode instance '${instance}': networkIsolation.deniedLocalPorts";
    in
    if !(builtins.isList ports) then [ "${bad} ${builtins.toJSON ports} must be a list of ports" ]
    else
      map (p: "${bad} entry ${builtins.toJSON p} is not a port (an integer from 1 to 65535)") (
        builtins.filter (p: !(isInt p && p >= 1 && p <= 65535)) ports
      );

  # POSIX-ish user name as useradd and NixOS accept it, or a numeric uid. root is refused:
  # confining uid 0 would cut the host off.
  userError =
    instance: user:
    let
      bad = reason: "opencode instance '${instance}': user ${builtins.toJSON user} ${reason}";
    in
    if isInt user then (if user <= 0 then bad "is not allowed (uid must be a positive integer, not root)" else null)
    else if !(isString user) then bad "must be a user name or a numeric uid"
    else if user == "root" then bad "is not allowed (confining root would cut the host off)"
    else if match "[a-z_][a-z0-9_-]*" user == null || stringLength user > 32 then
      bad "is not a valid user name (lowercase letters, digits, '_' and '-', starting with a letter or '_', at most 32 characters)"
    else null;

  # nft `limit rate` as used for the log statement: "<n>/<unit>".
  logRateError =
    instance: rate:
    if isString rate && match "[1-9][0-9]*/(second|minute|hour|day|week)" rate != null then null
    else "opencode instance '${instance}': networkIsolation.logRate ${builtins.toJSON rate} is invalid: expected <count>/<second|minute|hour|day|week>, e.g. \"5/minute\"";

  # nft time for the dynamic sets' element timeout, e.g. "7d", "12h", "1d12h".
  timeoutError =
    instance: timeout:
    if isString timeout && match "([1-9][0-9]*[dhms])+" timeout != null then null
    else "opencode instance '${instance}': networkIsolation.blockedTimeout ${builtins.toJSON timeout} is invalid: expected an nft time such as \"7d\", \"12h\" or \"1d12h\"";
}
