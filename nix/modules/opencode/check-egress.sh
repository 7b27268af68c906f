#!/usr/bin/env bash
# Usage: check-egress.sh INSTANCE USER [DENIED-PORTS]
#
# Succeeds only when the egress policy for INSTANCE is loaded: table inet opencode-egress
# exists, its output chain sends USER's packets to egress_INSTANCE, and that chain logs with
# the instance's prefix and ends in drop. With DENIED-PORTS (comma-separated, e.g.
# "5432,9092"), the chain must also send exactly these local ports to local_denied_INSTANCE,
# which must end in drop: a table left over from an older configuration (a reload that
# failed) does not pass. opencode-INSTANCE-setup.service runs it (with
# privileges, nft needs CAP_NET_ADMIN) before the instance may start; nix/tests runs it too.
set -euo pipefail

instance=${1:?usage: check-egress.sh INSTANCE USER [DENIED-PORTS]}
user=${2:?usage: check-egress.sh INSTANCE USER [DENIED-PORTS]}
denied=${3:-}
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

sorted_ports() { # "9092, 5432" or "5432,9092" -> "5432,9092"
  local list
  list=$(tr ', ' '\n\n' | grep -v '^$' | sort -nu | tr '\n' ',')
  echo "${list%,}"
}

if [[ -n $denied ]]; then
  rule=$(grep -E "^[[:space:]]*oif \"lo\" meta l4proto \{ 6, 17 \} th dport .* goto local_denied_$instance\$" <<<"$chain") ||
    fail "chain egress_$instance does not send the denied local ports ($denied) to local_denied_$instance"
  # nft prints one port bare and several in braces.
  [[ $rule =~ th\ dport\ \{?\ ?([0-9][0-9, ]*[0-9]|[0-9])\ ?\}?\ goto ]] || fail "cannot read the ports of: $rule"
  loaded=$(sorted_ports <<<"${BASH_REMATCH[1]}")
  wanted=$(sorted_ports <<<"$denied")
  [[ $loaded == "$wanted" ]] || fail "chain egress_$instance denies local ports $loaded, expected $wanted"
  denied_chain=$(nft -nn list chain "${table[@]}" "local_denied_$instance" 2>&1) || fail "no chain 'local_denied_$instance' ($denied_chain)"
  last=$(grep -Ev '^[[:space:]]*($|[{}]|chain )' <<<"$denied_chain" | tail -n 1 | tr -d '[:space:]')
  [[ $last == drop ]] || fail "chain local_denied_$instance does not end in drop (last rule: '$last')"
fi

echo "opencode-$instance: egress policy active (uid $uid -> egress_$instance${denied:+, local ports $denied denied})"
