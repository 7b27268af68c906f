# NixOS VM tests (need KVM and nixpkgs; they cannot run on the project's CI machines).
#   nix build .#checks.x86_64-linux.network-policy -L
{ pkgs, self }:
{
  multi-instance = import ./multi-instance.nix { inherit pkgs self; };
  sandbox-isolation = import ./sandbox-isolation.nix { inherit pkgs self; };
  setup-idempotence = import ./setup-idempotence.nix { inherit pkgs self; };
  env-and-config = import ./env-and-config.nix { inherit pkgs self; };
  network-policy = import ./network-policy.nix { inherit pkgs self; };
  postgres-socket = import ./postgres-socket.nix { inherit pkgs self; };
}
