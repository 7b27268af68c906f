#!/usr/bin/env bash
# Usage: check-egress.sh INSTANCE USER
#
# Succeeds only when the egress policy for INSTANCE is loaded: table inet opencode-egress
# exists, its output chain sends USER's packets to egress_INSTANCE, and that chain logs with
# the instance's prefix and ends in drop. opencode-INSTANCE-setup.service runs it (with
# privileges, nft needs CAP_NET_ADMIN) before the instance may start; nix/tests runs it too.
set -euo pipefail

instance=${1:?usage: check-egress.sh INSTANCE USER}
user=${2:?usage: check-egress.sh INSTANCE USER}
table=(inet opencode-egress)

fail() {
  echo "opencode-$instance: egress policy not active: $*" >&2
  echo "opencode-$instance: check 'nft list table ${table[*]}' and 'systemctl status nftables.service'" >&2
  exit 1
}

uid=$(id -u -- "$user" 2>/dev/null) || fail "user '$user' does not exist"

dispatch=$(nft -nn list chain "${table[@]}" output 2>&1) || fail "no chain 'output' in table ${table[*]} ($dispatch)"
grep -Eq "^[[:space:]]*meta skuid $uid goto egress_$instance\$" <<<"$dispatch" ||
  fail "no rule 'meta skuid $uid goto egress_$instance' in chain output"

chain=$(nft -nn list chain "${table[@]}" "egress_$instance" 2>&1) || fail "no chain 'egress_$instance' ($chain)"
grep -Fq "log prefix \"opencode-$instance-blocked: \"" <<<"$chain" ||
  fail "chain egress_$instance does not log with prefix 'opencode-$instance-blocked: '"
last=$(grep -Ev '^[[:space:]]*($|[{}]|chain )' <<<"$chain" | tail -n 1 | tr -d '[:space:]')
[[ $last == drop ]] || fail "chain egress_$instance does not end in drop (last rule: '$last')"

echo "opencode-$instance: egress policy active (uid $uid -> egress_$instance)"
