# The rendered egress ruleset: a golden file for the whole text, and the properties the
# tuner and the module rely on, each as an expected/actual pair.
{ lib }:
let
  hasLine = line: text: builtins.elem line (map (l: builtins.head (builtins.match " *(.*)" l)) (builtins.filter builtins.isString (builtins.split "\n" text)));

  twoInstances = import ./golden/two-instances.nix;
  rendered = lib.egressRuleset twoInstances;
in
{
  testGoldenTwoInstances = { expr = rendered; expected = builtins.readFile ./golden/two-instances.nft; };

  testTableReplacedAtomically = {
    expr = builtins.substring 0 90 rendered;
    expected = "table inet opencode-egress\ndelete table inet opencode-egress\ntable inet opencode-egress {\n";
  };
  testDispatchByUserName = { expr = hasLine "meta skuid \"opencode-web\" goto egress_web" rendered; expected = true; };
  testDispatchByUid = { expr = hasLine "meta skuid 4711 goto egress_batch-2" rendered; expected = true; };
  testLogStatementDefaultRate = {
    expr = hasLine "limit rate 5/minute log prefix \"opencode-web-blocked: \" flags skuid" rendered;
    expected = true;
  };
  testLogStatementCustomRate = {
    expr = hasLine "limit rate 10/second log prefix \"opencode-batch-2-blocked: \" flags skuid" rendered;
    expected = true;
  };
  testDynamicSetUpdates = {
    expr = map (l: hasLine l rendered) [
      "update @blocked4_web { ip daddr counter }"
      "update @blocked6_web { ip6 daddr counter }"
    ];
    expected = [ true true ];
  };
  testDynamicSetTimeout = { expr = hasLine "timeout 1d" rendered && hasLine "timeout 7d" rendered; expected = true; };
  testAllowlistNormalised = { expr = hasLine "elements = { 10.10.0.0/16, 192.0.2.0/24 }" rendered; expected = true; };
  testAllowlistIpv6 = { expr = hasLine "elements = { 2001:db8::/32 }" rendered; expected = true; };
  testEmptyAllowlistHasNoElements = {
    expr = hasLine "# empty: no IPv4 destination is allowed" rendered;
    expected = true;
  };
  testCoveredEntryNoted = { expr = hasLine "# 10.10.3.0/24 is covered by 10.10.0.0/16: counted there" rendered; expected = true; };
  testContentIsBodyOfRuleset = {
    expr = builtins.match ".*table inet opencode-egress \\{\n  # Generated.*" rendered != null
      && builtins.match "# Generated.*" (lib.egressTableContent twoInstances) != null;
    expected = true;
  };
  testNoInstancesStillValid = {
    expr = hasLine "type filter hook output priority filter; policy accept;" (lib.egressRuleset { });
    expected = true;
  };

  # Denied local ports: matched on loopback (which also carries the host's own addresses), for
  # TCP and UDP alike (`th dport` only after `meta l4proto`, else it would read any protocol's
  # bytes), sorted and de-duplicated, after established/related so that answers still leave.
  testDeniedLocalPortsRule = {
    expr = hasLine "oif \"lo\" meta l4proto { tcp, udp } th dport { 5432, 8090, 9092 } goto local_denied_web" rendered;
    expected = true;
  };
  testDeniedLocalPortsChainCountsLogsAndRefuses = {
    expr = builtins.match ".*\n  chain local_denied_web \\{\n    counter\n    limit rate 5/minute log prefix \"opencode-web-local-denied: \" flags skuid\n    meta l4proto tcp reject with tcp reset\n    drop\n  }\n.*" rendered != null;
    expected = true;
  };
  testDeniedLocalPortsBeforeLoopbackAfterEstablished = {
    expr =
      let
        lines = map (l: builtins.head (builtins.match " *(.*)" l)) (builtins.filter builtins.isString (builtins.split "\n" rendered));
        start = builtins.head (builtins.filter (n: builtins.elemAt lines n == "chain egress_web {") (builtins.genList (n: n) (builtins.length lines)));
        rules = builtins.genList (n: builtins.elemAt lines (start + 1 + n)) 4;
      in
      rules;
    expected = [
      "ct state established,related accept"
      "ct state invalid drop"
      "oif \"lo\" meta l4proto { tcp, udp } th dport { 5432, 8090, 9092 } goto local_denied_web"
      "oif \"lo\" accept"
    ];
  };
  testNoDeniedLocalPortsNoRuleNoChain = {
    expr = {
      rule = builtins.match ".*goto local_denied_batch-2.*" rendered != null;
      chain = builtins.match ".*chain local_denied_batch-2.*" rendered != null;
    };
    expected = { rule = false; chain = false; };
  };
  testLocalDeniedPrefixIsNotABlockedPrefix = {
    expr = {
      prefix = lib.localDeniedLogPrefix "web";
      # The tuner's parser looks for "opencode-<name>-blocked:"; these lines must not match it.
      endsLikeBlocked = builtins.match ".*-blocked: " (lib.localDeniedLogPrefix "web") != null;
    };
    expected = { prefix = "opencode-web-local-denied: "; endsLikeBlocked = false; };
  };
  testDeniedLocalPortsAsRendered = {
    expr = map lib.egressDeniedLocalPorts [ twoInstances.web twoInstances.batch-2 ];
    expected = [ [ 5432 8090 9092 ] [ ] ];
  };
  testDeniedLocalPortsValid = {
    expr = lib.egressInstanceErrors "web" { user = "opencode-web"; deniedLocalPorts = [ 1 5432 65535 ]; };
    expected = [ ];
  };
  testDeniedLocalPortsErrorsNameInstanceAndValue = {
    expr = lib.egressInstanceErrors "web" { user = "opencode-web"; deniedLocalPorts = [ 0 5432 65536 "9092" ]; };
    expected = [
      "opencode instance 'web': networkIsolation.deniedLocalPorts entry 0 is not a port (an integer from 1 to 65535)"
      "opencode instance 'web': networkIsolation.deniedLocalPorts entry 65536 is not a port (an integer from 1 to 65535)"
      "opencode instance 'web': networkIsolation.deniedLocalPorts entry \"9092\" is not a port (an integer from 1 to 65535)"
    ];
  };
  testDeniedLocalPortsMustBeAList = {
    expr = lib.egressInstanceErrors "web" { user = "opencode-web"; deniedLocalPorts = 5432; };
    expected = [ "opencode instance 'web': networkIsolation.deniedLocalPorts 5432 must be a list of ports" ];
  };

  testRejectsBadInput = {
    expr = (builtins.tryEval (lib.egressRuleset { web = { user = "u"; outboundAllowCidrs = [ "10.0.0.1/8" ]; }; })).success;
    expected = false;
  };
}
