# Input of golden/two-instances.nft. Regenerate the golden file after an intended change:
#   nix-instantiate --eval --strict --json -E \
#     '(import ./nix/lib).egressRuleset (import ./nix/tests/lib/golden/two-instances.nix)' \
#     | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin))' \
#     > nix/tests/lib/golden/two-instances.nft
# and review the diff: it is the policy every host gets.
{
  web = {
    user = "opencode-web";
    outboundAllowCidrs = [ "192.0.2.0/24" "10.10.0.0/16" "2001:db8::/32" "10.10.3.0/24" ];
    # Unsorted, with a duplicate: rendered sorted and once.
    deniedLocalPorts = [ 9092 5432 8090 9092 ];
  };
  batch-2 = {
    user = 4711;
    outboundAllowCidrs = [ ];
    logRate = "10/second";
    blockedTimeout = "1d";
  };
}
