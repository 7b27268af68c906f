# The instances of the host test (nix/tests/run-host-tests.sh). The script creates the users
# and the destinations 10.213.0.{10,11,20,21,30} and fd00:213::{10,11,20,21,30} in a peer
# network namespace, and listeners on 8081 and 8082 in the client namespace; the
# expectations in the script follow these allowlists and denied local ports.
{ gammaUid }:
{
  # Reaches .10/.11 and ::10/::11. 10.213.0.10/32 is covered by the /29 (rendered once);
  # the documentation ranges are never contacted, so their counters must stay 0.
  ht-alpha = {
    user = "opencode-ht-alpha";
    outboundAllowCidrs = [ "10.213.0.8/29" "10.213.0.10/32" "fd00:213::10/127" "198.51.100.0/24" "2001:db8:ffff::/48" ];
    # High enough that every blocked attempt of the test is logged.
    logRate = "10/second";
    # A listener in the client namespace (TCP and UDP) that stands for a local part of the
    # tuner: denied to this instance on every local address; 8081 stays reachable.
    deniedLocalPorts = [ 8082 ];
  };
  # Reaches .20/.21 and ::20 but not ::21 (a /128).
  ht-beta = {
    user = "opencode-ht-beta";
    outboundAllowCidrs = [ "10.213.0.20/31" "fd00:213::20/128" ];
    logRate = "10/second";
  };
  # Reaches nothing but loopback; the default log rate (5/minute) is the one under test.
  # Selected by numeric uid, the form the module uses when users.users.<name>.uid is set.
  ht-gamma = {
    user = gammaUid;
    outboundAllowCidrs = [ ];
  };
}
