#!/usr/bin/env bash
# Guards against a suite that shrinks silently: every module must have run at least the test classes and test cases
# build/expected-tests.tsv gives for it (a class renamed out of Surefire's patterns, a -Dtest= left in a script, or a
# module dropped from the build fails the run). Raise the numbers when you add tests; lower them only with the commit
# that removes tests on purpose.
# Usage: build/check-test-counts.sh PROJECT_ROOT [EXPECTED_FILE]
set -euo pipefail
root=$1
expected=${2:-$root/build/expected-tests.tsv}
status=0
while IFS=$'\t' read -r module classes cases; do
  case "$module" in ''|'#'*) continue ;; esac
  reports="$root/$module/target/surefire-reports"
  ran_classes=0
  ran_cases=0
  if [ -d "$reports" ]; then
    ran_classes=$(find "$reports" -maxdepth 1 -name 'TEST-*.xml' | wc -l)
    if [ "$ran_classes" -gt 0 ]; then
      ran_cases=$(cat "$reports"/TEST-*.xml | grep -c '<testcase ' || true)
    fi
  fi
  if [ "$ran_classes" -lt "$classes" ] || [ "$ran_cases" -lt "$cases" ]; then
    echo "error: $module ran $ran_classes test classes and $ran_cases tests; at least $classes and $cases are" \
      "expected (build/expected-tests.tsv). A test class renamed out of Surefire's patterns (*Test), a -Dtest= filter," \
      "or a module left out of the build?" >&2
    status=1
  fi
done < "$expected"
exit $status
