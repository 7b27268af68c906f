# Ports read from other services' configuration, for the ports the egress tuner's parts listen
# on (services.opencode-egress-tuner.localPorts). Pure, so that bare nix-instantiate tests the
# parsing the module relies on.
let
  i = import ./internal.nix;

  inRange = n: if n >= 1 && n <= 65535 then n else null;
in
rec {
  # A port from a .properties value: an integer, or a string of digits; null for anything else
  # (also for 0 and numbers past 65535).
  propertyPort =
    v:
    if builtins.isInt v then inRange v
    else if builtins.isString v && builtins.match "[0-9]{1,5}" v != null then inRange (i.fromDecimal v)
    else null;

  # One Kafka listener, "NAME://host:port" (host may be empty, a name, an IPv4 address or a
  # bracketed IPv6 address), as { name; port; }; null when it is not of that form.
  kafkaListener =
    text:
    let
      m = if builtins.isString text then builtins.match "([A-Za-z0-9_]+)://([^ ]*):([0-9]{1,5})" text else null;
      port = if m == null then null else inRange (i.fromDecimal (builtins.elemAt m 2));
    in
    if port == null then null else { name = builtins.elemAt m 0; inherit port; };

  # Kafka's `listeners` setting, as a list (services.apache-kafka.settings) or as the
  # comma-separated string of server.properties, -> [ { name; port; } ... ].
  kafkaListeners =
    listeners:
    let
      list = if builtins.isList listeners then listeners else map (s: builtins.head (builtins.match " *(.*[^ ]) *" s)) (builtins.filter (s: builtins.match " *" s == null) (i.splitOn "," listeners));
    in
    builtins.filter (l: l != null) (map kafkaListener list);

  # The listen ports of the other instances of a host ({ <name> = port; ... } of the enabled ones),
  # sorted and without duplicates: an instance's opencode server runs tools as that instance, so
  # reaching it would cross from one sandbox into another.
  otherInstancePorts =
    name: listenPorts:
    let
      others = builtins.filter (n: n != name) (builtins.attrNames listenPorts);
      ports = map (n: listenPorts.${n}) others;
    in
    builtins.sort builtins.lessThan (builtins.foldl' (acc: p: if builtins.elem p acc then acc else acc ++ [ p ]) [ ] ports);
}
