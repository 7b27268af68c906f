# Runs ../module.nix (the flake's module-eval check, written for all of nixpkgs) with nixpkgs'
# lib.evalModules, the NixOS files of ./default.nix and ./stand-ins.nix in place of nixpkgs'
# eval-config.nix. Evaluates to [ ] when every test passes; module.nix throws the failures.
#   nix-instantiate --eval --strict --json nix/tests/eval/partial/module-nix.nix \
#     --arg lib 'import <nixpkgs>/lib' --argstr nixosFiles <nixpkgs>
{ lib, nixosFiles }:
let
  standIns = import ./stand-ins.nix { inherit lib nixosFiles; };
  result = import ../module.nix {
    nixpkgs = { inherit lib; };
    # module.nix's last step is a derivation whose build script reports the count.
    pkgs = standIns.pkgs // { runCommand = _name: _env: script: script; };
    inherit (standIns) self;
    system = "x86_64-linux";
    evalConfig =
      { modules, ... }:
      lib.evalModules {
        modules =
          standIns.modules
          ++ standIns.nixpkgsModules { }
          ++ modules;
      };
  };
in
builtins.seq result [ ]
