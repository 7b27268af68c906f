# Eval tests of the pure library, in the style of nixpkgs' lib.runTests but builtins only:
#   nix-instantiate --eval --strict nix/tests/lib
# prints [ ] when every test passes, else the failures as { name; expected; result; }.
(import ../../lib).runTests (import ./tests.nix)
