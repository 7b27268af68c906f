#!/usr/bin/env bash
# Runs the whole test suite (what `./tuner test` and CI run): unit, property and fuzz-regression tests, the
# sd_journal binding against journal files built by systemd-journal-remote, the CLI, the Nix round trip through
# nix-instantiate, the Quarkus applications, and the live tests (standalone journald + nftables in network
# namespaces, which need root). A skipped test fails the run: skipping is not passing; so does a module that ran fewer
# tests than build/expected-tests.tsv expects.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/build/env.sh"

tuner_install_packages "$root"
if [ "$(id -u)" != 0 ]; then
  tuner_err "warning: not root: the live journald/nftables tests need root and will fail (they never skip)."
fi

tuner_find_jdk
tuner_find_maven
# Reports of an earlier run must not count for this one (see the test count check below).
rm -rf "$root"/*/target/surefire-reports "$root"/*/*/target/surefire-reports
"$TUNER_MVN" -f "$root/pom.xml" -B verify "$@"

skipped=$(grep -l -E 'skipped="[1-9]' "$root"/*/target/surefire-reports/TEST-*.xml \
  "$root"/*/*/target/surefire-reports/TEST-*.xml 2>/dev/null || true)
if [ -n "$skipped" ]; then
  tuner_err "error: tests were skipped (a skipped test is not a passed one):"
  tuner_err "$skipped"
  exit 1
fi
"$root/build/check-test-counts.sh" "$root"
