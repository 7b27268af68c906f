{
  description = "opencode on NixOS: isolated multi-instance servers with an nftables egress allowlist, and the egress tuner's own services";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems =
        f:
        lib.genAttrs systems (
          system:
          f system (
            import nixpkgs {
              inherit system;
              overlays = [ self.overlays.default ];
            }
          )
        );
    in
    {
      # The builtins-only library: egressRuleset, CIDR and instance-name checks, stripNulls, ...
      lib = import ./lib;

      overlays.default = import ./overlay.nix;

      nixosModules = {
        opencode = ./modules/opencode;
        default = self.nixosModules.opencode;
        egress-tuner =
          { pkgs, ... }:
          {
            imports = [ ./modules/egress-tuner ];
            services.opencode-egress-tuner.package =
              lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.opencode-egress-tuner;
          };
      };

      packages = forAllSystems (
        _: pkgs: {
          inherit (pkgs) opencode-egress-tuner;
          default = pkgs.opencode-egress-tuner;
        }
      );

      # Example hosts, evaluable with e.g.
      #   nix eval .#nixosConfigurations.example-multi-instance.config.system.build.toplevel.drvPath
      nixosConfigurations = lib.mapAttrs (
        _: host:
        lib.nixosSystem {
          system = "x86_64-linux";
          modules = [
            self.nixosModules.default
            self.nixosModules.egress-tuner
            {
              boot.loader.grub.enable = false;
              fileSystems."/".device = "none";
              system.stateVersion = "25.05";
            }
            host
          ];
        }
      ) {
        example-single-instance = ./examples/single-instance.nix;
        example-multi-instance = ./examples/multi-instance-host;
        example-egress-tuner = ./examples/egress-tuner-host.nix;
        example-egress-tuner-collector = ./examples/egress-tuner-collector-host.nix;
      };

      checks = forAllSystems (
        system: pkgs:
        {
          # The pure library's eval tests (the same ones nix/tests/run-host-tests.sh runs).
          lib-tests =
            let
              failures = import ./tests/lib;
            in
            pkgs.runCommand "opencode-lib-tests" { } (
              if failures == [ ] then "touch $out" else throw "lib tests failed: ${builtins.toJSON failures}"
            );
          module-eval = import ./tests/eval/module.nix { inherit nixpkgs pkgs self system; };
          # The typed opencode.json options against the flake's nixpkgs lib (what
          # tests/eval/run-with-nixpkgs.sh runs first on machines without nixpkgs). Its other
          # suites are not repeated here: module-eval and examples-eval evaluate the modules
          # with all of nixpkgs, and tests/eval/partial's stand-ins were written for the NixOS
          # files listed in docs/testing.md, not for every nixpkgs revision.
          config-eval =
            let
              failures = import ./tests/eval/config.nix { inherit lib; };
            in
            pkgs.runCommand "opencode-config-eval" { } (
              if failures == [ ] then "touch $out" else throw "config eval tests failed: ${builtins.toJSON failures}"
            );
          # Evaluating the drvPath forces every assertion of the example hosts.
          examples-eval = pkgs.writeText "opencode-examples-eval" (
            lib.concatMapStringsSep "\n" (
              name: builtins.unsafeDiscardStringContext self.nixosConfigurations.${name}.config.system.build.toplevel.drvPath
            ) (builtins.attrNames self.nixosConfigurations)
          );
        }
        # NixOS VM tests: need KVM.
        // import ./tests/vm { inherit pkgs self; }
      );

      # VM test that needs the real tuner package (and so its Maven hash, see docs/nixos.md).
      nixosTests = forAllSystems (
        _: pkgs: {
          egress-tuner = import ./tests/vm/egress-tuner.nix { inherit pkgs self; };
        }
      );
    };
}
