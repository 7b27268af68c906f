# Rules for the names that end up in user names, unit names, nft identifiers and the log
# prefix. The instance-name rule is shared with the Java parser of the log prefix
# (policy/core InstanceName.PATTERN): keep the two identical.
let
  inherit (builtins) isInt isString match stringLength;
in
rec {
  # Anchored (builtins.match matches the whole string). At most 23 characters, so that the
  # user `opencode-<name>` fits the 32-character user name limit; no trailing hyphen.
  instanceNamePattern = "[a-z]([a-z0-9-]{0,21}[a-z0-9])?";
  instanceNameRule = "a lowercase letter, then lowercase letters, digits or '-', not ending in '-', at most 23 characters";

  isValidInstanceName = name: isString name && match instanceNamePattern name != null;

  instanceNameError =
    name:
    if isValidInstanceName name then null
    else "opencode instance name '${if isString name then name else builtins.toJSON name}' is invalid: expected ${instanceNameRule} (it becomes the user opencode-<name>, the units opencode-<name>.service and opencode-<name>-setup.service, and the log prefix \"opencode-<name>-blocked: \")";

  # What the tuner's parser looks for; the trailing space separates it from IN=.
  logPrefix = name: "opencode-${name}-blocked: ";

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
