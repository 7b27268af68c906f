# nix-instantiate --eval --strict --json --arg gammaUid <uid> nix/tests/host/ruleset.nix
{ gammaUid }: (import ../../lib).egressRuleset (import ./fixture.nix { inherit gammaUid; })
