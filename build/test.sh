#!/usr/bin/env bash
# Runs the whole test suite (what `./tuner test` and CI run): unit, property and fuzz-regression tests, the
# sd_journal binding against journal files built by systemd-journal-remote, the CLI, the Nix round trip through
# nix-instantiate, and the live tests (standalone journald + nftables in network namespaces, which need root).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/build/env.sh"

# Debian packages the tests use, as command -> package.
declare -A needs=(
  [nix-instantiate]=nix-bin
  [nft]=nftables
  [/lib/systemd/systemd-journal-remote]=systemd-journal-remote
  [/lib/systemd/systemd-journald]=systemd
  [ip]=iproute2
  [iprange]=iprange
  [python3]=python3
  [useradd]=passwd
  [setpriv]=util-linux
  [systemd-cat]=systemd
  [logger]=bsdutils
  [mvn]=maven
)
missing=()
for cmd in "${!needs[@]}"; do
  if [[ $cmd == /* ]]; then [ -x "$cmd" ] || missing+=("${needs[$cmd]}")
  else command -v "$cmd" >/dev/null 2>&1 || missing+=("${needs[$cmd]}"); fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    tuner_err "==> installing the Debian packages the tests need: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    tuner_err "error: the tests need these Debian packages: ${missing[*]}"
    tuner_err "  fix: sudo apt-get install ${missing[*]}"
    exit 1
  fi
fi
if [ "$(id -u)" != 0 ]; then
  tuner_err "warning: not root: the live journald/nftables tests need root and will fail (they never skip)."
fi

tuner_find_jdk
tuner_find_maven
exec "$TUNER_MVN" -f "$root/pom.xml" -B verify "$@"
