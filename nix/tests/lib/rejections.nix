# Inputs the pure library must refuse. Each case is evaluated on its own by
# nix/tests/run-host-tests.sh: evaluating `run` must fail, and the error output must contain
# `message`, which names the instance and the offending value.
let
  lib = import ../../lib;
in
{
  bad-cidr = {
    message = "opencode instance 'web': outboundAllowCidrs entry '10.0.0.0/40' has an invalid prefix length '40' (IPv4 allows 0 to 32)";
    run = lib.egressRuleset { web = { user = "opencode-web"; outboundAllowCidrs = [ "10.0.0.0/8" "10.0.0.0/40" ]; }; };
  };
  not-a-cidr = {
    message = "opencode instance 'web': outboundAllowCidrs entry 'api.example.com' is not an IPv4 or IPv6 CIDR";
    run = lib.egressRuleset { web = { user = "opencode-web"; outboundAllowCidrs = [ "api.example.com" ]; }; };
  };
  non-canonical-ipv4 = {
    message = "opencode instance 'web': outboundAllowCidrs entry '10.1.2.3/16' is not in canonical form (host bits are set); write '10.1.0.0/16'";
    run = lib.egressRuleset { web = { user = "opencode-web"; outboundAllowCidrs = [ "10.1.2.3/16" ]; }; };
  };
  non-canonical-ipv6 = {
    message = "opencode instance 'batch': outboundAllowCidrs entry '2001:DB8:0:0::/64' is not in canonical form; write '2001:db8::/64'";
    run = lib.egressRuleset { batch = { user = "opencode-batch"; outboundAllowCidrs = [ "2001:DB8:0:0::/64" ]; }; };
  };
  bad-instance-name-prefix = {
    # A space or colon would end the log prefix early; the parser could not find the instance.
    message = "opencode instance name 'web: x' is invalid";
    run = lib.egressRuleset { "web: x" = { user = "opencode-web"; }; };
  };
  bad-instance-name-trailing-hyphen = {
    message = "opencode instance name 'web-' is invalid";
    run = lib.egressRuleset { "web-" = { user = "opencode-web"; }; };
  };
  bad-instance-name-too-long = {
    # opencode-<23 characters> is 32 characters: over NixOS' user and group name limit (31).
    message = "opencode instance name 'abcdefghijklmnopqrstuvw' is invalid";
    run = lib.egressRuleset { abcdefghijklmnopqrstuvw = { user = "opencode-x"; }; };
  };
  check-instance-name = {
    message = "opencode instance name 'My_Project' is invalid";
    run = lib.checkInstanceName "My_Project";
  };
  check-cidr = {
    message = "opencode instance 'web': outboundAllowCidrs entry 'fd00::1/8' is not in canonical form (host bits are set); write 'fd00::/8'";
    run = lib.checkCidr "web" "fd00::1/8";
  };
  bad-log-rate = {
    message = "opencode instance 'web': networkIsolation.logRate \"lots\" is invalid";
    run = lib.egressRuleset { web = { user = "opencode-web"; logRate = "lots"; }; };
  };
  bad-denied-local-port = {
    message = "opencode instance 'web': networkIsolation.deniedLocalPorts entry 70000 is not a port (an integer from 1 to 65535)";
    run = lib.egressRuleset { web = { user = "opencode-web"; deniedLocalPorts = [ 5432 70000 ]; }; };
  };
  root-user = {
    message = "opencode instance 'web': user \"root\" is not allowed";
    run = lib.egressRuleset { web = { user = "root"; }; };
  };
}
