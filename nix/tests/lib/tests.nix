# Every eval test of the pure library, merged (names are unique across the files).
let
  lib = import ../../lib;
in
import ./cidr.nix { inherit lib; }
// import ./names.nix { inherit lib; }
// import ./ruleset.nix { inherit lib; }
// import ./config.nix { inherit lib; }
// import ./database.nix { inherit lib; }
// import ./ports.nix { inherit lib; }
// import ./kafka.nix { inherit lib; }
