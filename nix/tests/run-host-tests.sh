#!/usr/bin/env bash
# Host tests of nix/ for machines without nixpkgs and without KVM (run as root).
#
# What it proves, in order:
#   1. every .nix file under nix/ parses;
#   2. the pure library (nix/lib, builtins only) passes its eval tests (nix/tests/lib) and
#      refuses bad input (nix/tests/lib/rejections.nix) with messages naming instance and value;
#   3. the rendered rulesets pass `nft -c`;
#   4. in two throwaway network namespaces, with throwaway users, the rendered policy does
#      what docs/nixos.md says: each instance user reaches exactly its allowlist over IPv4
#      and IPv6, loopback works, everything else is dropped, logged with the exact prefix
#      under the rate limit and counted per destination in the dynamic sets, and other
#      users are untouched;
#   5. a denied local port (deniedLocalPorts) is closed to its instance user over TCP and UDP on
#      every local address (127.0.0.1, 127.0.0.2, ::1, the IPv4-mapped and unspecified forms, the
#      host's own addresses), counted and logged with the local-denied prefix, never as a blocked
#      event, while root, a bystander user and another instance user reach it and the instance
#      user still reaches a port that is not denied;
#   6. the tuner database's pg_hba lines (nix/lib tunerDatabaseHba), in a real throwaway
#      PostgreSQL cluster, keep an instance user out of the tuner's database over the Unix socket
#      (which nftables cannot filter), even with a role of its own, while the service user and
#      the superuser get in and the instance keeps its own database;
#   7. the captured kernel lines go to $OUT_DIR/kernel-lines.txt (message text only, one per
#      line, as the kernel printed it) for the Java parser test, the local-denied lines to
#      $OUT_DIR/local-denied-lines.txt.
# Prints TAP-like lines and exits non-zero if a check failed. Namespaces, users, the sysctl it
# changes and its temporary files are removed/restored on exit, also on failure; the host's
# own nftables ruleset is never touched (the policy is loaded inside the client namespace).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NIX_DIR=$(dirname "$HERE")
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)

NS_C=ocegt-client
NS_P=ocegt-peer
MARK="opencode egress host test (nix/tests/run-host-tests.sh)"
INSTANCES=(ht-alpha ht-beta ht-gamma)
BYSTANDER=ocegt-bystander
PORT=8080  # listener on the peer: the destinations
LPORT=8081 # listener in the client namespace: loopback and own addresses
DPORT=8082 # listener in the client namespace that ht-alpha's deniedLocalPorts closes to it
DESTS=(10.213.0.10 10.213.0.11 10.213.0.20 10.213.0.21 10.213.0.30
  fd00:213::10 fd00:213::11 fd00:213::20 fd00:213::21 fd00:213::30)
# Follows nix/tests/host/fixture.nix.
declare -A ALLOWED=(
  [ht-alpha]="10.213.0.10 10.213.0.11 fd00:213::10 fd00:213::11"
  [ht-beta]="10.213.0.20 10.213.0.21 fd00:213::20"
  [ht-gamma]=""
)
PG_OWNER=ocegt-pg       # runs the throwaway PostgreSQL cluster; its superuser role has the same name
TUNER_DB=ocegt_tuner    # the tuner's database, role and service user (equal, as in the module)
BURST=40 # datagrams in the rate-limit check
CONNECT_TIMEOUT=0.5 # below the first SYN retransmission (1 s): one packet per blocked attempt

if [[ $EUID -ne 0 ]]; then
  echo "run-host-tests.sh: must run as root (network namespaces, users, nft)" >&2
  exit 2
fi
for tool in nix-instantiate nft ip useradd userdel setpriv sysctl "$PY"; do
  command -v "$tool" >/dev/null || { echo "run-host-tests.sh: missing tool: $tool" >&2; exit 2; }
done
# PostgreSQL's server binaries: pg_config's, else the newest of Debian's versioned directories.
PG_BIN=$(pg_config --bindir 2>/dev/null || true)
[[ -x ${PG_BIN:-}/initdb ]] || PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
for tool in initdb pg_ctl psql; do
  [[ -x ${PG_BIN:-}/$tool ]] || { echo "run-host-tests.sh: missing tool: PostgreSQL's $tool (pg_config --bindir or /usr/lib/postgresql/*/bin)" >&2; exit 2; }
done

if [[ -z ${OUT_DIR:-} ]]; then
  OUT_DIR=$(mktemp -d /tmp/opencode-egress-out.XXXXXX)
  echo "# OUT_DIR not set; writing to $OUT_DIR"
fi
mkdir -p "$OUT_DIR"

WORK=$(mktemp -d /tmp/opencode-egress-test.XXXXXX)
chmod 755 "$WORK" # the probe runs as the throwaway users
install -m 644 "$HERE/host/probe.py" "$WORK/probe.py"

PIDS=()
CREATED_USERS=()
ORIG_LOG_ALL_NETNS=""
PG_DATA=""

cleanup() {
  set +e
  local pid u
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [[ -n $PG_DATA && -f $PG_DATA/postmaster.pid ]]; then
    (cd / && setpriv --reuid="$(id -u "$PG_OWNER")" --regid="$(id -g "$PG_OWNER")" --clear-groups -- \
      "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1)
  fi
  ip netns del "$NS_C" 2>/dev/null
  ip netns del "$NS_P" 2>/dev/null
  for u in "${CREATED_USERS[@]}"; do
    for _ in $(seq 25); do # userdel refuses while a process of the user still exits
      userdel "$u" 2>/dev/null && break
      sleep 0.2
    done
    getent passwd "$u" >/dev/null && echo "# cleanup: could not remove user $u" >&2
    getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null
  done
  [[ -n $ORIG_LOG_ALL_NETNS ]] && sysctl -qw net.netfilter.nf_log_all_netns="$ORIG_LOG_ALL_NETNS"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- TAP ------------------------------------------------------------------------------------
n=0
failed=0
check() { # check NAME COMMAND...: runs COMMAND under set -e in a subshell, records ok/not ok,
  #                           shows its output on failure
  local name=$1 status
  shift
  set +e
  (
    set -e
    "$@"
  ) >"$WORK/diag" 2>&1
  status=$?
  set -e
  n=$((n + 1))
  if [[ $status -eq 0 ]]; then
    echo "ok $n - $name"
  else
    failed=$((failed + 1))
    echo "not ok $n - $name"
    sed 's/^/#   /' "$WORK/diag"
  fi
}
fail() { echo "$*"; return 1; } # inside a check: ends it (set -e)

probe() { "$PY" "$WORK/probe.py" "$@"; }
in_client() { ip netns exec "$NS_C" "$@"; }
as_user() { # as_user USER PROBE-ARGS...: the probe inside the client namespace as USER
  local user=$1
  shift
  ip netns exec "$NS_C" setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups \
    -- "$PY" "$WORK/probe.py" "$@"
}
json_string() { "$PY" -c 'import json,sys; sys.stdout.write(json.load(sys.stdin))'; }
json_lines() { "$PY" -c 'import json,sys; print("\n".join(json.load(sys.stdin)))'; }
user_of() { echo "opencode-$1"; }
exploded() { if [[ $1 == *:* ]]; then probe exploded "$1"; else echo "$1"; fi; }
target() { if [[ $1 == *:* ]]; then echo "[$1]:$2"; else echo "$1:$2"; fi; }

# --- 1-3: static checks ---------------------------------------------------------------------
check_parse() {
  local f count=0 bad=0
  while IFS= read -r -d '' f; do
    count=$((count + 1))
    nix-instantiate --parse "$f" >/dev/null 2>"$WORK/parse.err" || { bad=1; echo "$f:"; cat "$WORK/parse.err"; }
  done < <(find "$NIX_DIR" -name '*.nix' -print0 | sort -z)
  echo "$count files"
  [[ $count -gt 0 && $bad -eq 0 ]]
}
nix_files=$(find "$NIX_DIR" -name '*.nix' | wc -l)
check "every .nix file under nix/ parses ($nix_files files)" check_parse

check_lib_tests() {
  local out
  out=$(nix-instantiate --eval --strict --json "$NIX_DIR/tests/lib") || return 1
  [[ $out == "[]" ]] || fail "failures: $out"
}
lib_tests=$(nix-instantiate --eval --strict -E "builtins.length (builtins.filter (n: builtins.substring 0 4 n == \"test\") (builtins.attrNames (import $NIX_DIR/tests/lib/tests.nix)))")
check "pure library eval tests pass with bare nix-instantiate ($lib_tests tests)" check_lib_tests

check_rejection() {
  local case=$1 message
  message=$(nix-instantiate --eval --strict --json -E "(import $NIX_DIR/tests/lib/rejections.nix).\"$case\".message" | json_string)
  if nix-instantiate --eval --strict -E "(import $NIX_DIR/tests/lib/rejections.nix).\"$case\".run" >"$WORK/rej.out" 2>"$WORK/rej.err"; then
    fail "evaluation succeeded but should have failed: $(cat "$WORK/rej.out")"
    return 1
  fi
  grep -Fq -- "$message" "$WORK/rej.err" || { echo "expected message: $message"; echo "got:"; cat "$WORK/rej.err"; return 1; }
  echo "$message"
}
while IFS= read -r case; do
  check "pure library rejects $case, naming instance and value" check_rejection "$case"
done < <(nix-instantiate --eval --strict --json -E "builtins.attrNames (import $NIX_DIR/tests/lib/rejections.nix)" | json_lines)

# The module checks its ruleset at build time in a sandbox without the instance users; it
# replaces user names by a uid first (networking.nftables.preCheckRuleset). Same substitution.
check_golden() {
  sed -E 's/meta skuid "[^"]+"/meta skuid 65534/' "$NIX_DIR/tests/lib/golden/two-instances.nft" >"$WORK/golden.nft"
  nft -c -f "$WORK/golden.nft"
}
check "golden ruleset passes nft -c (user names replaced as preCheckRuleset does)" check_golden

# --- namespace test bed ---------------------------------------------------------------------
host_ruleset_before=$(nft list ruleset)

for ns in "$NS_C" "$NS_P"; do
  ip netns del "$ns" 2>/dev/null || true # left over by a killed run
done
for u in $(for i in "${INSTANCES[@]}"; do user_of "$i"; done) "$BYSTANDER" "$PG_OWNER" "$TUNER_DB"; do
  if getent passwd "$u" >/dev/null; then
    if [[ $(getent passwd "$u" | cut -d: -f5) == "$MARK" ]]; then
      userdel "$u" # left over by a killed run
    else
      echo "Bail out! user $u exists and was not created by this test; refusing to touch it"
      exit 2
    fi
  fi
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    --user-group --comment "$MARK" "$u"
  CREATED_USERS+=("$u")
done
gamma_uid=$(id -u "$(user_of ht-gamma)")
bystander_uid=$(id -u "$BYSTANDER")

ORIG_LOG_ALL_NETNS=$(sysctl -n net.netfilter.nf_log_all_netns)
sysctl -qw net.netfilter.nf_log_all_netns=1 # nf_log is silent outside the initial netns otherwise

ip netns add "$NS_C"
ip netns add "$NS_P"
ip link add ocegt-c0 netns "$NS_C" type veth peer name ocegt-p0 netns "$NS_P"
for ns in "$NS_C" "$NS_P"; do ip -n "$ns" link set lo up; done
ip -n "$NS_C" link set ocegt-c0 up
ip -n "$NS_P" link set ocegt-p0 up
ip -n "$NS_C" addr add 10.213.0.1/24 dev ocegt-c0
ip -n "$NS_C" addr add fd00:213::1/64 dev ocegt-c0 nodad
for d in "${DESTS[@]}"; do
  if [[ $d == *:* ]]; then ip -n "$NS_P" addr add "$d/64" dev ocegt-p0 nodad; else ip -n "$NS_P" addr add "$d/24" dev ocegt-p0; fi
done
ip netns exec "$NS_C" sysctl -qw net.ipv4.ping_group_range="0 2147483647" # per netns: ICMP probes as users

ip netns exec "$NS_P" "$PY" "$WORK/probe.py" serve "$PORT" >"$WORK/serve-peer.out" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_C" "$PY" "$WORK/probe.py" serve "$LPORT" >"$WORK/serve-client.out" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_C" "$PY" "$WORK/probe.py" serve "$DPORT" >"$WORK/serve-denied.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
  grep -q ready "$WORK/serve-peer.out" && grep -q ready "$WORK/serve-client.out" && grep -q ready "$WORK/serve-denied.out" && break
  sleep 0.1
done

# --- 3-4: the rendered policy in the namespaces -----------------------------------------------
nix-instantiate --eval --strict --json --arg gammaUid "$gamma_uid" "$HERE/host/ruleset.nix" | json_string >"$WORK/ruleset.nft"
cp "$WORK/ruleset.nft" "$OUT_DIR/ruleset.nft"

check "ruleset for 3 instances (IPv4 and IPv6 allowlists) passes nft -c" in_client nft -c -f "$WORK/ruleset.nft"

check_load() {
  in_client nft -f "$WORK/ruleset.nft" || return 1
  in_client nft -f "$WORK/ruleset.nft" || fail "reloading failed"
  local chains
  chains=$(in_client nft list table inet opencode-egress | grep -c '^[[:space:]]*chain ')
  # output, egress_<name> of the three instances, local_denied_ht-alpha
  [[ $chains -eq 5 ]] || fail "expected 5 chains after reload, found $chains"
}
check "ruleset loads in the client namespace and reloads in place" check_load

check_egress_script() {
  local i
  for i in "${INSTANCES[@]}"; do
    in_client bash "$NIX_DIR/modules/opencode/check-egress.sh" "$i" "$(user_of "$i")" || return 1
  done
  if in_client bash "$NIX_DIR/modules/opencode/check-egress.sh" ht-delta "$BYSTANDER"; then
    fail "accepted an instance without policy"
  fi
  if bash "$NIX_DIR/modules/opencode/check-egress.sh" ht-alpha "$(user_of ht-alpha)"; then
    fail "accepted the host namespace, where no policy is loaded"
  fi
  # With the denied local ports the configuration expects: exactly those, in any order.
  in_client bash "$NIX_DIR/modules/opencode/check-egress.sh" ht-alpha "$(user_of ht-alpha)" "$DPORT" || return 1
  if in_client bash "$NIX_DIR/modules/opencode/check-egress.sh" ht-alpha "$(user_of ht-alpha)" "$DPORT,9092"; then
    fail "accepted a table that misses a denied local port"
  fi
  if in_client bash "$NIX_DIR/modules/opencode/check-egress.sh" ht-beta "$(user_of ht-beta)" "$DPORT"; then
    fail "accepted a table without the denied-local-ports rule"
  fi
  return 0
}
check "setup's egress check accepts loaded instances, refuses missing policy and missing denied local ports" check_egress_script

lines_since() { probe kmsg-since "$1" "${2:-opencode-ht-}"; }

first_seq=$(probe kmsg-seq)

# Rate limit first, while the bucket of ht-gamma (default 5/minute, burst 5) is full.
check_rate_limit() {
  local seq start end lines max prefix="opencode-ht-gamma-blocked: "
  seq=$(probe kmsg-seq)
  start=$(date +%s%N)
  as_user "$(user_of ht-gamma)" udp 10.213.0.30 9 "$BURST" >/dev/null
  end=$(date +%s%N)
  sleep 0.3 # let printk drain
  lines_since "$seq" "$prefix" >"$WORK/burst.lines"
  lines=$(wc -l <"$WORK/burst.lines")
  # burst (5) plus one token per 12 s elapsed, rounded up
  max=$((5 + ((end - start) / 1000000 + 11999) / 12000))
  echo "$BURST datagrams, $lines log lines, at most $max allowed"
  [[ $lines -ge 1 && $lines -le $max ]]
  if grep -v "DST=10.213.0.30 .*PROTO=UDP .*UID=$gamma_uid GID=" "$WORK/burst.lines"; then
    fail "unexpected lines in the burst window (above)"
  fi
}
check "rate limit holds: a burst of $BURST blocked datagrams yields at most the burst of log lines" check_rate_limit

set_elements() { in_client nft -j list set inet opencode-egress "$1" | probe set-elements | sort; }

check_exact_burst_count() {
  local got
  got=$(set_elements blocked4_ht-gamma)
  echo "blocked4_ht-gamma: $got"
  [[ $got == "10.213.0.30 $BURST" ]]
}
check "dynamic set blocked4_ht-gamma counts every blocked datagram exactly ($BURST)" check_exact_burst_count

# Reachability matrix: every instance user and a bystander against every destination, in
# parallel per user (each user's attempts are sequential, one packet per blocked attempt).
matrix_seq=$(probe kmsg-seq)
targets=()
for d in "${DESTS[@]}"; do targets+=("$(target "$d" "$PORT")"); done
mpids=()
for u in $(for i in "${INSTANCES[@]}"; do user_of "$i"; done) "$BYSTANDER"; do
  as_user "$u" connect "$CONNECT_TIMEOUT" "${targets[@]}" >"$WORK/matrix.$u" 2>&1 &
  mpids+=($!)
  PIDS+=($!) # killed by cleanup if the run is interrupted meanwhile
done
in_client "$PY" "$WORK/probe.py" connect "$CONNECT_TIMEOUT" "${targets[@]}" >"$WORK/matrix.root" 2>&1 &
mpids+=($!)
PIDS+=($!)
wait "${mpids[@]}" || true
sleep 0.3
lines_since "$matrix_seq" >"$WORK/matrix.lines"

expected_matrix() { # expected_matrix ALLOWED-LIST: "dest reached|blocked" lines
  local d
  for d in "${DESTS[@]}"; do
    if [[ " $1 " == *" $d "* ]]; then echo "$d reached"; else echo "$d blocked"; fi
  done
}
check_matrix() {
  local who=$1 allowed=$2
  diff <(expected_matrix "$allowed") "$WORK/matrix.$who" && echo "as expected: $(tr '\n' ' ' <"$WORK/matrix.$who")"
}
for i in "${INSTANCES[@]}"; do
  check "$i reaches exactly its allowlist over IPv4 and IPv6 (${ALLOWED[$i]:-nothing})" \
    check_matrix "$(user_of "$i")" "${ALLOWED[$i]}"
done

check_loopback() {
  local i out
  for i in "${INSTANCES[@]}"; do
    out=$(as_user "$(user_of "$i")" connect "$CONNECT_TIMEOUT" "127.0.0.1:$LPORT" "[::1]:$LPORT" "10.213.0.1:$LPORT" "[fd00:213::1]:$LPORT")
    echo "$i: $(tr '\n' ' ' <<<"$out")"
    [[ $(grep -c ' reached$' <<<"$out") -eq 4 ]] || return 1
  done
}
check "loopback and the host's own addresses work for every instance user" check_loopback

check_others() {
  local all
  all=$(expected_matrix "${DESTS[*]}")
  diff <(echo "$all") "$WORK/matrix.$BYSTANDER" || fail "bystander (uid $bystander_uid) was filtered"
  diff <(echo "$all") "$WORK/matrix.root" || fail "root was filtered"
  if grep -E "UID=($bystander_uid|0) " "$WORK/matrix.lines"; then fail "other users were logged"; fi
  echo "bystander and root reached all ${#DESTS[@]} destinations, no log line for them"
}
check "other users are untouched (a bystander user and root reach everything, are not logged)" check_others

check_log_lines() {
  local i u uid d x line count
  for i in ht-alpha ht-beta; do
    u=$(user_of "$i")
    uid=$(id -u "$u")
    count=0
    for d in "${DESTS[@]}"; do
      [[ " ${ALLOWED[$i]} " == *" $d "* ]] && continue
      count=$((count + 1))
      x=$(exploded "$d")
      line=$(grep -E "^opencode-$i-blocked: IN= OUT=ocegt-c0 SRC=[^ ]+ DST=$x .*PROTO=TCP SPT=[0-9]+ DPT=$PORT .* UID=$uid GID=[0-9]+ $" "$WORK/matrix.lines") ||
        fail "no line for $i -> $d (DST=$x)"
      [[ $(wc -l <<<"$line") -eq 1 ]] || fail "more than one line for $i -> $d"
    done
    [[ $(grep -c "^opencode-$i-blocked: " "$WORK/matrix.lines") -eq $count ]] ||
      fail "$i: expected $count lines (one per blocked destination), got $(grep -c "^opencode-$i-blocked: " "$WORK/matrix.lines")"
    echo "$i: $count blocked attempts, $count lines with prefix 'opencode-$i-blocked: ', DST and UID=$uid"
  done
}
check "every blocked attempt is logged once with the exact prefix, DST (IPv4 and IPv6) and UID" check_log_lines

check_blocked_sets() {
  local i d fam got want
  for i in ht-alpha ht-beta; do
    for fam in 4 6; do
      want=$(for d in "${DESTS[@]}"; do
        [[ " ${ALLOWED[$i]} " == *" $d "* ]] && continue
        if [[ $fam == 6 && $d == *:* ]] || [[ $fam == 4 && $d != *:* ]]; then echo "$d 1"; fi
      done | sort)
      got=$(set_elements "blocked${fam}_$i")
      [[ $got == "$want" ]] || fail "blocked${fam}_$i: want [$want] got [$got]"
      echo "blocked${fam}_$i: $(tr '\n' ' ' <<<"$got")"
    done
  done
  got=$(set_elements blocked6_ht-gamma | wc -l)
  [[ $got -eq 5 ]] || fail "blocked6_ht-gamma: want 5 destinations, got $got"
}
check "dynamic sets blocked4_/blocked6_<name> hold exactly the blocked destinations, one packet each" check_blocked_sets

check_allow_counters() {
  local got
  got=$(set_elements allow4_ht-alpha)
  echo "allow4_ht-alpha: $(tr '\n' ' ' <<<"$got")"
  [[ $(awk '{print $1}' <<<"$got" | tr '\n' ' ') == "10.213.0.8/29 198.51.100.0/24 " ]] || fail "elements not normalised"
  awk '$1 == "10.213.0.8/29" && $2 >= 2 {ok=1} END {exit !ok}' <<<"$got" || fail "used entry not counted"
  awk '$1 == "198.51.100.0/24" && $2 == 0 {ok=1} END {exit !ok}' <<<"$got" || fail "unused entry counted"
  got=$(set_elements allow6_ht-alpha)
  echo "allow6_ht-alpha: $(tr '\n' ' ' <<<"$got")"
  awk '$1 == "fd00:213::10/127" && $2 >= 2 {ok=1} END {exit !ok}' <<<"$got" || fail "used IPv6 entry not counted"
  awk '$1 == "2001:db8:ffff::/48" && $2 == 0 {ok=1} END {exit !ok}' <<<"$got" || fail "unused IPv6 entry counted"
}
check "allowlist sets count per element: used entries counted, unused ones stay at 0" check_allow_counters

check_icmp() {
  local seq uid
  uid=$(id -u "$(user_of ht-alpha)")
  seq=$(probe kmsg-seq)
  as_user "$(user_of ht-alpha)" echo 10.213.0.30 >/dev/null
  as_user "$(user_of ht-alpha)" echo fd00:213::30 >/dev/null
  sleep 0.3
  lines_since "$seq" "opencode-ht-alpha-blocked: " >"$WORK/icmp.lines"
  cat "$WORK/icmp.lines"
  grep -q "DST=10.213.0.30 .*PROTO=ICMP TYPE=8 CODE=0 .*UID=$uid " "$WORK/icmp.lines" || fail "no ICMP line"
  grep -q "DST=$(exploded fd00:213::30) .*PROTO=ICMPv6 TYPE=128 CODE=0 .*UID=$uid " "$WORK/icmp.lines" || fail "no ICMPv6 line"
}
check "ICMP and ICMPv6 echo from an instance user are dropped and logged" check_icmp

# --- 5: denied local ports ---------------------------------------------------------------------
# Every way an instance user can name this host: loopback in both families, the rest of
# 127.0.0.0/8, IPv4-mapped IPv6 (an AF_INET6 socket sending IPv4), the unspecified addresses
# (which Linux connects to the local host) and the host's own addresses (routed over lo too).
LOCAL_ADDRS=(127.0.0.1 127.0.0.2 ::1 ::ffff:127.0.0.1 0.0.0.0 :: 10.213.0.1 fd00:213::1)
local_targets() { local a; for a in "${LOCAL_ADDRS[@]}"; do target "$a" "$1"; done; }
all_reached() { # all_reached OUTPUT: every line says reached
  [[ -n $1 ]] && ! grep -v ' reached$' <<<"$1"
}
all_are() { # all_are RESULT OUTPUT: every line ends in RESULT
  [[ -n $2 ]] && ! grep -v " $1\$" <<<"$2"
}

deny_seq=$(probe kmsg-seq)
check_denied_local_port() {
  local u tcp udp
  u=$(user_of ht-alpha)
  mapfile -t targets < <(local_targets "$DPORT")
  tcp=$(as_user "$u" connect "$CONNECT_TIMEOUT" "${targets[@]}")
  udp=$(as_user "$u" udp-ask "$CONNECT_TIMEOUT" "${targets[@]}")
  echo "ht-alpha -> $DPORT tcp: $(tr '\n' ' ' <<<"$tcp")"
  echo "ht-alpha -> $DPORT udp: $(tr '\n' ' ' <<<"$udp")"
  # TCP is answered with a reset: connect fails at once, as on a closed port.
  [[ $(wc -l <<<"$tcp") -eq ${#LOCAL_ADDRS[@]} ]] && all_are refused "$tcp" || fail "TCP to a denied local port was not refused"
  [[ $(wc -l <<<"$udp") -eq ${#LOCAL_ADDRS[@]} ]] && all_are blocked "$udp" || fail "UDP to a denied local port got through"
}
check "ht-alpha cannot reach its denied local port $DPORT on any local address: TCP refused, UDP dropped" check_denied_local_port

check_not_denied_local_port() {
  local u tcp udp
  u=$(user_of ht-alpha)
  mapfile -t targets < <(local_targets "$LPORT")
  tcp=$(as_user "$u" connect "$CONNECT_TIMEOUT" "${targets[@]}")
  udp=$(as_user "$u" udp-ask "$CONNECT_TIMEOUT" "${targets[@]}")
  echo "ht-alpha -> $LPORT tcp: $(tr '\n' ' ' <<<"$tcp")"
  echo "ht-alpha -> $LPORT udp: $(tr '\n' ' ' <<<"$udp")"
  all_reached "$tcp" || fail "TCP to a port that is not denied was blocked"
  all_reached "$udp" || fail "UDP to a port that is not denied was blocked"
}
check "ht-alpha still reaches local port $LPORT (not denied) over TCP and UDP on every local address" check_not_denied_local_port

check_denied_port_open_to_others() {
  local who out
  mapfile -t targets < <(local_targets "$DPORT")
  for who in root "$BYSTANDER" "$(user_of ht-beta)"; do
    if [[ $who == root ]]; then
      out=$(in_client "$PY" "$WORK/probe.py" connect "$CONNECT_TIMEOUT" "${targets[@]}"
        in_client "$PY" "$WORK/probe.py" udp-ask "$CONNECT_TIMEOUT" "${targets[@]}")
    else
      out=$(as_user "$who" connect "$CONNECT_TIMEOUT" "${targets[@]}"
        as_user "$who" udp-ask "$CONNECT_TIMEOUT" "${targets[@]}")
    fi
    echo "$who -> $DPORT: $(tr '\n' ' ' <<<"$out")"
    [[ $(wc -l <<<"$out") -eq $((2 * ${#LOCAL_ADDRS[@]})) ]] && all_reached "$out" || fail "$who was kept from port $DPORT"
  done
}
check "root, a bystander user and ht-beta (no denied ports) reach port $DPORT over TCP and UDP" check_denied_port_open_to_others

check_denied_local_logged() {
  local uid attempts lines well_formed packets
  uid=$(id -u "$(user_of ht-alpha)")
  attempts=$((2 * ${#LOCAL_ADDRS[@]}))
  packets=$(in_client nft -j list chain inet opencode-egress local_denied_ht-alpha |
    "$PY" -c 'import json,sys; print(sum(e["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "rule" in o for e in o["rule"]["expr"] if "counter" in e))')
  echo "chain local_denied_ht-alpha counted $packets packets for $attempts attempts"
  [[ $packets -eq $attempts ]] || fail "counter: want $attempts packets, got $packets"
  sleep 0.3
  lines_since "$deny_seq" "opencode-ht-alpha-local-denied: " >"$WORK/denied.lines"
  lines=$(wc -l <"$WORK/denied.lines")
  well_formed=$(grep -cE "^opencode-ht-alpha-local-denied: IN= OUT=lo .*PROTO=(TCP|UDP) SPT=[0-9]+ DPT=$DPORT .*UID=$uid GID=[0-9]+ $" "$WORK/denied.lines" || true)
  echo "$lines log lines (a sample under logRate, burst 5), $well_formed with OUT=lo, DPT=$DPORT and UID=$uid"
  [[ $lines -ge 5 && $well_formed -eq $lines ]] || { cat "$WORK/denied.lines"; fail "expected at least the burst of well-formed lines"; }
  if lines_since "$deny_seq" "opencode-ht-" | grep -E -- "-blocked: .*DPT=($DPORT|$LPORT) "; then
    fail "a local attempt was logged as a blocked event (above)"
  fi
  cp "$WORK/denied.lines" "$OUT_DIR/local-denied-lines.txt"
}
check "denied local attempts are counted exactly, sampled in the log with the local-denied prefix, never logged as blocked events" check_denied_local_logged

# --- 6: the tuner database's Unix socket ------------------------------------------------------
# nftables cannot filter a Unix socket. An instance that may use PostgreSQL's socket (its
# sandbox lists it) and has a role of its own must still be kept out of the tuner's database:
# the lines the module adds to pg_hba.conf, before NixOS' default ones, do that.
as_os_user() { # as_os_user USER COMMAND...: in the host namespace (a Unix socket needs no network)
  local user=$1
  shift
  # From /: the caller's working directory (a checkout under a 0700 directory) may be closed to that user.
  (cd / && setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups -- "$@")
}
PG_DIR=$WORK/pg
PG_SOCK=$PG_DIR/run
pg_as() { # pg_as OS-USER ROLE DATABASE: "select 1" over the socket; prints psql's output
  as_os_user "$1" env -i PATH=/usr/bin:/bin "$PG_BIN/psql" -X -h "$PG_SOCK" -U "$2" -d "$3" -tAc 'select 1' 2>&1
}
# Started outside a check (which runs in a subshell) so that cleanup knows to stop it.
mkdir -p "$PG_SOCK"
chown -R "$PG_OWNER:" "$PG_DIR"
chmod 755 "$PG_DIR" "$PG_SOCK"
pg_started=0
if as_os_user "$PG_OWNER" "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PG_OWNER" --auth=trust -E UTF8 >"$WORK/pg-setup.log" 2>&1; then
  PG_DATA=$PG_DIR/data
  # No TCP at all: the socket is what is under test.
  as_os_user "$PG_OWNER" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/log" -w \
    -o "-c listen_addresses= -c unix_socket_directories=$PG_SOCK" start >>"$WORK/pg-setup.log" 2>&1 && pg_started=1
fi

check_pg_setup() {
  local alpha
  alpha=$(user_of ht-alpha)
  [[ $pg_started == 1 ]] || { cat "$WORK/pg-setup.log" "$PG_DIR/log" 2>/dev/null; fail "PostgreSQL did not start"; }
  # The service's database and role as ensureDatabases/ensureUsers make them, and a database
  # the operator gave the instance for its own work.
  as_os_user "$PG_OWNER" "$PG_BIN/psql" -X -q -h "$PG_SOCK" -U "$PG_OWNER" -d postgres -v ON_ERROR_STOP=1 <<SQL
CREATE ROLE $TUNER_DB LOGIN;
CREATE DATABASE $TUNER_DB OWNER $TUNER_DB;
CREATE ROLE "$alpha" LOGIN;
CREATE DATABASE "$alpha" OWNER "$alpha";
SQL
  # The module's lines, then nixpkgs' default for the socket (postgresql.nix).
  nix-instantiate --eval --strict --json -E "(import $NIX_DIR/lib).tunerDatabaseHba { database = \"$TUNER_DB\"; user = \"$TUNER_DB\"; superuser = \"$PG_OWNER\"; }" |
    json_string >"$PG_DATA/pg_hba.conf"
  echo "local all all peer" >>"$PG_DATA/pg_hba.conf"
  cat "$PG_DATA/pg_hba.conf"
  as_os_user "$PG_OWNER" "$PG_BIN/pg_ctl" -D "$PG_DATA" reload >/dev/null
  sleep 0.5 # the postmaster rereads pg_hba.conf on SIGHUP
}
check "a throwaway PostgreSQL cluster runs with the tuner database's pg_hba lines from nix/lib" check_pg_setup

check_pg_socket() {
  local alpha out
  alpha=$(user_of ht-alpha)
  out=$(pg_as "$TUNER_DB" "$TUNER_DB" "$TUNER_DB") && [[ $out == 1 ]] || fail "the service user was refused: $out"
  echo "service user $TUNER_DB -> database $TUNER_DB: connected"
  out=$(pg_as "$PG_OWNER" "$PG_OWNER" "$TUNER_DB") && [[ $out == 1 ]] || fail "the superuser was refused: $out"
  echo "superuser $PG_OWNER -> database $TUNER_DB: connected"
  if out=$(pg_as "$alpha" "$alpha" "$TUNER_DB"); then fail "$alpha reached the tuner's database with its own role"; fi
  grep -Fq "pg_hba.conf rejects connection" <<<"$out" || fail "unexpected refusal: $out"
  echo "$alpha (own role) -> database $TUNER_DB: $out"
  if out=$(pg_as "$alpha" "$TUNER_DB" "$TUNER_DB"); then fail "$alpha reached the tuner's database as $TUNER_DB"; fi
  grep -Fq "Peer authentication failed" <<<"$out" || fail "unexpected refusal: $out"
  echo "$alpha (claiming $TUNER_DB) -> database $TUNER_DB: $out"
  if out=$(pg_as "$BYSTANDER" "$BYSTANDER" "$TUNER_DB"); then fail "$BYSTANDER reached the tuner's database"; fi
  echo "$BYSTANDER -> database $TUNER_DB: $out"
  out=$(pg_as "$alpha" "$alpha" "$alpha") && [[ $out == 1 ]] || fail "$alpha lost its own database: $out"
  echo "$alpha -> its own database: connected"
}
check "over the Unix socket only the service user and the superuser reach the tuner database; an instance keeps its own" check_pg_socket

# --- 7: hand the kernel lines to the Java test --------------------------------------------------
check_kernel_lines() {
  lines_since "$first_seq" | grep -E '^opencode-ht-[a-z-]+-blocked: ' >"$OUT_DIR/kernel-lines.txt"
  local total
  total=$(wc -l <"$OUT_DIR/kernel-lines.txt")
  echo "$total lines in $OUT_DIR/kernel-lines.txt"
  [[ $total -gt 0 ]] || return 1
  if grep -Ev '^opencode-ht-(alpha|beta|gamma)-blocked: IN=' "$OUT_DIR/kernel-lines.txt"; then
    fail "lines not starting with the prefix"
  fi
}
check "captured kernel lines written to \$OUT_DIR/kernel-lines.txt" check_kernel_lines

check_host_untouched() {
  # shellcheck disable=SC2005 # echo normalises the trailing newline on both sides
  diff <(echo "$host_ruleset_before") <(echo "$(nft list ruleset)")
}
check "the host's own nftables ruleset is untouched" check_host_untouched

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[[ $failed -eq 0 ]]
