# The nftables egress policy for isolated opencode instances, rendered from plain data.
#
# One table `inet opencode-egress`. Its base chain `output` sends every packet whose socket
# belongs to an instance user (`meta skuid`) to that instance's chain, which
#   1. accepts packets of established/related connections (answers on the listen port, and
#      the rest of a connection a later step let through), drops conntrack-invalid ones,
#   2. sends new TCP and UDP packets to a denied local port (`oif "lo"`: loopback and the
#      host's own addresses; `th dport` in deniedLocalPorts) to local_denied_<name>, which
#      counts them, logs a sample with the prefix "opencode-<name>-local-denied: " (not the
#      tuner's "-blocked: ", so these attempts never become blocked events), answers TCP with
#      a reset (connect fails at once, as on a closed port, instead of hanging in SYN
#      retransmissions) and drops the rest (UDP: sendto fails with EPERM),
#   3. accepts the rest of loopback (the instance talks to itself and to local services),
#   4. accepts destinations in the allowlist sets allow4_<name>/allow6_<name> (interval sets
#      with a counter per element: an entry whose counter stays 0 is unused),
#   5. records the destination in blocked4_<name>/blocked6_<name> (dynamic sets, updated
#      from the packet path, one counter per destination, entries expire after a timeout):
#      exact per-destination counts without a log flood,
#   6. logs a sample under `limit rate` with the prefix "opencode-<name>-blocked: " and the
#      socket's UID/GID (`flags skuid`), at nft's default level (warn),
#   7. drops.
# Established/related comes first so that the server's answers to a client whose port happens
# to be denied still leave; a connection to a denied port never gets established.
# Other users' packets do not match any skuid rule and leave the table with policy accept.
let
  i = import ./internal.nix;
  cidr = import ./cidr.nix;
  names = import ./names.nix;

  defaults = {
    outboundAllowCidrs = [ ];
    logRate = "5/minute";
    blockedTimeout = "7d";
    blockedSetSize = 65536;
    deniedLocalPorts = [ ];
  };

  knownAttrs = [ "user" ] ++ builtins.attrNames defaults;

  withDefaults = spec: defaults // spec;

  indent = prefix: text: i.join "\n" (map (l: if l == "" then l else prefix + l) (i.splitOn "\n" text));

  skuid = user: if builtins.isInt user then toString user else builtins.toJSON user;

  allowSet = name: family: elements: ''
    set allow${family}_${name} {
      type ${if family == "4" then "ipv4_addr" else "ipv6_addr"}
      flags interval
      counter
    ${if elements == [ ] then "  # empty: no ${if family == "4" then "IPv4" else "IPv6"} destination is allowed" else "  elements = { ${i.join ", " elements} }"}
    }'';

  blockedSet = name: family: spec: ''
    set blocked${family}_${name} {
      type ${if family == "4" then "ipv4_addr" else "ipv6_addr"}
      size ${toString spec.blockedSetSize}
      flags dynamic,timeout
      timeout ${spec.blockedTimeout}
      counter
    }'';

  # Sorted, without duplicates: the set is rendered the same whatever the order of definition.
  sortedPorts = ports: builtins.sort builtins.lessThan (i.unique ports);

  instanceBlock =
    name: spec0:
    let
      spec = withDefaults spec0;
      allow = cidr.normalize spec.outboundAllowCidrs;
      coveredNote = map (c: "# ${c.cidr} is covered by ${c.by}: counted there") allow.covered;
      denied = sortedPorts spec.deniedLocalPorts;
      deniedRule =
        if denied == [ ] then [ ]
        else [ "oif \"lo\" meta l4proto { tcp, udp } th dport { ${i.join ", " (map toString denied)} } goto local_denied_${name}" ];
      deniedChain =
        if denied == [ ] then [ ]
        else [
          ''
            chain local_denied_${name} {
              counter
              limit rate ${spec.logRate} log prefix "${names.localDeniedLogPrefix name}" flags skuid
              meta l4proto tcp reject with tcp reset
              drop
            }''
        ];
    in
    i.join "\n" (
      [ "# instance ${name}: user ${skuid spec.user}, log rate ${spec.logRate}" ]
      ++ coveredNote
      ++ [
        (allowSet name "4" allow.ipv4)
        (allowSet name "6" allow.ipv6)
        (blockedSet name "4" spec)
        (blockedSet name "6" spec)
        (
          i.join "\n" (
            [
              "chain egress_${name} {"
              "  ct state established,related accept"
              "  ct state invalid drop"
            ]
            ++ map (r: "  " + r) deniedRule
            ++ [
              "  oif \"lo\" accept"
              "  ip daddr @allow4_${name} accept"
              "  ip6 daddr @allow6_${name} accept"
              "  update @blocked4_${name} { ip daddr counter }"
              "  update @blocked6_${name} { ip6 daddr counter }"
              "  limit rate ${spec.logRate} log prefix \"${names.logPrefix name}\" flags skuid"
              "  drop"
              "}"
            ]
          )
        )
      ]
      ++ deniedChain
    );
in
rec {
  tableName = "opencode-egress";

  # The denied local ports of one instance's spec as the ruleset has them: sorted, once each.
  deniedLocalPorts = spec: sortedPorts (spec.deniedLocalPorts or [ ]);
  tableFamily = "inet";

  # Every problem with one instance's spec, as messages naming the instance and the value.
  instanceErrors =
    name: spec0:
    let
      spec = withDefaults spec0;
      nameError = names.instanceNameError name;
      unknown = builtins.filter (a: !(builtins.elem a knownAttrs)) (builtins.attrNames spec0);
      cidrErrors =
        if !(builtins.isList spec.outboundAllowCidrs) then
          [ "opencode instance '${name}': outboundAllowCidrs must be a list of CIDR strings" ]
        else
          builtins.concatMap (
            c:
            let
              r = cidr.parseCidr c;
            in
            if r.valid then [ ] else [ "opencode instance '${name}': outboundAllowCidrs entry '${r.text}' ${r.error}" ]
          ) spec.outboundAllowCidrs;
      sizeOk = builtins.isInt spec.blockedSetSize && spec.blockedSetSize > 0;
      portErrors = names.deniedLocalPortsErrors name spec.deniedLocalPorts;
    in
    if nameError != null then [ nameError ]
    else
      builtins.filter (e: e != null) (
        [
          (if spec0 ? user then names.userError name spec.user else "opencode instance '${name}': user is required")
          (names.logRateError name spec.logRate)
          (names.timeoutError name spec.blockedTimeout)
          (if sizeOk then null else "opencode instance '${name}': blockedSetSize ${builtins.toJSON spec.blockedSetSize} must be a positive integer")
        ]
        ++ map (a: "opencode instance '${name}': unknown attribute '${a}' (known: ${i.join ", " knownAttrs})") unknown
      )
      ++ cidrErrors
      ++ portErrors;

  # What the module warns about for one instance (`at` is its option path, e.g.
  # "services.opencode.instances.web"): allowlist entries covered by a broader one, a default
  # route in an active allowlist, and an active policy with nothing on the allowlist.
  instanceWarnings =
    at: spec0:
    let
      spec = { enable = true; outboundAllowCidrs = [ ]; } // spec0;
      cidrs = spec.outboundAllowCidrs;
      allValid = builtins.all cidr.isValidCidr cidrs;
      covered = if allValid then (cidr.normalize cidrs).covered else [ ];
    in
    map (c: "${at}.networkIsolation.outboundAllowCidrs: ${c.cidr} is covered by ${c.by}; it is rendered once and counted under ${c.by}") covered
    ++ (
      if spec.enable && builtins.any (c: c == "0.0.0.0/0" || c == "::/0") cidrs then
        [ "${at}.networkIsolation.outboundAllowCidrs contains a default route (0.0.0.0/0 or ::/0): that family is not confined" ]
      else [ ]
    )
    ++ (
      if spec.enable && cidrs == [ ] then
        [ "${at}.networkIsolation is enabled with an empty outboundAllowCidrs: the instance may reach loopback (and answer connections made to it) and nothing else; every other destination is dropped and logged. Add the destinations it needs, or let the egress tuner suggest them from the blocked attempts." ]
      else [ ]
    );

  errors = instances: builtins.concatLists (builtins.attrValues (builtins.mapAttrs instanceErrors instances));

  # Throws with every problem if there is one; otherwise returns `value`.
  checked =
    instances: value:
    let
      es = errors instances;
    in
    if es == [ ] then value else throw (i.join "\n" es);

  # What lies between `table inet opencode-egress {` and `}`: the form the NixOS option
  # networking.nftables.tables.<name>.content wants.
  tableContent =
    instances:
    checked instances (
      let
        sorted = builtins.attrNames instances;
      in
      ''
        # Generated by nix/lib (egressRuleset); edit the NixOS options, not this text.
        ${i.join "\n\n" (map (name: instanceBlock name instances.${name}) sorted)}

        chain output {
          type filter hook output priority filter; policy accept;
        ${i.join "\n" (map (name: "  meta skuid ${skuid instances.${name}.user} goto egress_${name}") sorted)}
        }''
    );

  # A complete nft script. `nft -f` loads it atomically and reloading replaces the table
  # (the empty declaration makes the delete succeed when the table does not exist yet);
  # tables of other owners are left alone.
  ruleset = instances: ''
    table ${tableFamily} ${tableName}
    delete table ${tableFamily} ${tableName}
    table ${tableFamily} ${tableName} {
    ${indent "  " (tableContent instances)}
    }
  '';
}
