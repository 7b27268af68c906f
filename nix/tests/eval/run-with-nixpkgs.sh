#!/usr/bin/env bash
# Evaluates the NixOS modules with nixpkgs' own module system, on a machine with Nix (2.8 is
# enough) but without a nixpkgs channel or flakes. A developer's check: CI has no nixpkgs.
#
#   NIXPKGS_LIB=<nixpkgs checkout, or its lib/ directory, or a nix-community/nixpkgs.lib checkout>
#   NIXOS_FILES=<nixpkgs checkout, or a directory holding at their nixpkgs paths:
#                  nixos/lib/systemd-lib.nix, nixos/lib/systemd-unit-options.nix,
#                  nixos/lib/systemd-types.nix, nixos/modules/misc/assertions.nix,
#                  nixos/modules/config/users-groups.nix,
#                  nixos/modules/services/networking/nftables.nix,
#                  nixos/modules/services/databases/postgresql.nix,
#                  nixos/modules/services/misc/apache-kafka.nix>
#   NIXOS_FILES_OLD=<optional: the same layout with the postgresql.nix of a release without
#                    postgresql.target (25.05 or older), for the ordering fallback>
#   nix/tests/eval/run-with-nixpkgs.sh
#
# Runs tests/eval/config.nix (the typed opencode.json options; needs NIXPKGS_LIB only),
# tests/eval/partial (the modules, the examples and every VM test's machines against those
# nixpkgs files plus tests/eval/partial/stand-ins.nix) and tests/eval/module.nix's cases on
# the same files (tests/eval/partial/module-nix.nix). Prints ok/not ok per suite and exits
# non-zero on a failure. With a full nixpkgs and flakes, `nix flake check ./nix` runs
# tests/eval/module.nix against everything instead.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

: "${NIXPKGS_LIB:?set NIXPKGS_LIB to a nixpkgs checkout or its lib directory}"
lib_dir=$NIXPKGS_LIB
[ -f "$lib_dir/lib/default.nix" ] && lib_dir=$lib_dir/lib
[ -f "$lib_dir/default.nix" ] || { echo "error: no lib/default.nix under NIXPKGS_LIB=$NIXPKGS_LIB" >&2; exit 2; }

failed=0
suite() {
  local name=$1 out rc=0
  shift
  out=$(nix-instantiate --store dummy:// --eval --strict --json "$@" 2>&1) || rc=$?
  # Nix on a machine without the nixbld group says so on every run; it is not a result.
  # This lib warns about mkAliasOptionModuleMD, which older users-groups.nix files use.
  out=$(printf '%s\n' "$out" | grep -v -e "build-users-group" -e "mkAliasOptionModuleMD is deprecated" || true)
  if [ "$rc" != 0 ]; then
    echo "not ok - $name: evaluation failed"
    printf '%s\n' "$out" | sed 's/^/#   /'
    failed=1
  elif [ "$(printf '%s\n' "$out" | tail -n 1)" = "[]" ]; then
    echo "ok - $name"
  else
    echo "not ok - $name"
    printf '%s\n' "$out" | sed 's/^/#   /'
    failed=1
  fi
}

suite "typed opencode.json options (tests/eval/config.nix)" \
  "$here/config.nix" --arg lib "import $lib_dir"

if [ -n "${NIXOS_FILES:-}" ]; then
  args=(--arg lib "import $lib_dir" --argstr nixosFiles "$NIXOS_FILES")
  if [ -n "${NIXOS_FILES_OLD:-}" ]; then
    args+=(--argstr nixosFilesOld "$NIXOS_FILES_OLD")
  fi
  suite "modules, examples and VM machines with nixpkgs' systemd, users, nftables, postgresql, apache-kafka, assertions (tests/eval/partial)" \
    "$here/partial" "${args[@]}"
  suite "the flake's module-eval cases (tests/eval/module.nix) on the same files and stand-ins" \
    "$here/partial/module-nix.nix" --arg lib "import $lib_dir" --argstr nixosFiles "$NIXOS_FILES"
else
  echo "# skipped tests/eval/partial: NIXOS_FILES is not set"
  failed=1
fi

exit "$failed"
