# overlays.default: the tuner's package and pkgs.lib.opencode (mkOpenCodeConfig,
# wrapOpenCode, and the pure library as pkgs.lib.opencode.pure).
final: prev: {
  opencode-egress-tuner = final.callPackage ./pkgs/opencode-egress-tuner.nix { };
  lib = prev.lib.extend (_: libPrev: {
    opencode = import ./pkgs/opencode-lib.nix {
      pkgs = final;
      lib = libPrev;
    };
  });
}
