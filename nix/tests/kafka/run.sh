#!/usr/bin/env bash
# The egress-tuner module's Kafka provisioning against a real broker, without NixOS: renders the
# broker's server.properties, the storage-format script (apache-kafka.service's ExecStartPre) and
# the provisioning script (opencode-egress-tuner-kafka-accounts.service) with the pure library
# (render.nix), and runs them as their units would, with a credentials directory in place of
# systemd's, against Apache Kafka's own jars: stack/target/kafka-lib, which
# `./mvnw -pl stack -am package` fills (or KAFKA_LIB). Kafka's tools run through wrappers that
# start their main classes (kafka.admin.ConfigCommand, org.apache.kafka.tools.AclCommand and
# TopicCommand, what kafka-configs.sh, kafka-acls.sh and kafka-topics.sh start) and refuse any
# argument that holds a password. Needs nix-instantiate, a JDK 17 or newer (JAVA_HOME, else java
# on PATH) and python3; no root.
#
# What it proves:
#   1. the rendered properties reference the passwords (${dir:...}) and hold none; no password is
#      in any rendered text;
#   2. the format refuses a broker password with a final newline (the broker reads the file
#      verbatim), one with ',' (the storage tool cannot take it) and a short controller password,
#      naming the option; it formats once, with the broker's SCRAM account, keeps the tool's SCRAM
#      record off its output, leaves nothing in its runtime directory, and does nothing the second
#      time;
#   3. the broker starts with these settings; the provisioning creates the accounts, the topics
#      (with their partitions) and exactly the ACLs of the Java stack;
#   4. with those ACLs: a collector writes its own host's topics and no other, reads nothing;
#      the policy account reads every host's topics in its group, writes the dead letters and no
#      host topic; passwords with a final newline work for the clients;
#   5. a second run changes nothing; dropping a host revokes its account and ACLs, the others
#      keep working; the broker's and the controller's passwords change as docs/nixos.md says
#      ("Rotating passwords"), and the broker and the provisioning work with the new ones;
#   6. a bad collector password and a wrong broker password stop the provisioning with a message
#      naming the option and without the password;
#   7. no tool was given a password as an argument; the temporary files are gone.
# Prints TAP-like lines, exits non-zero on a failure. Stops the broker and removes its files on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
KAFKA_LIB=${KAFKA_LIB:-$ROOT/stack/target/kafka-lib}
if [[ -n ${JAVA_HOME:-} ]]; then JAVA=$JAVA_HOME/bin/java; else JAVA=$(command -v java || true); fi

for tool in nix-instantiate python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: missing tool: $tool" >&2; exit 2; }
done
[[ -x ${JAVA:-} ]] || { echo "run.sh: no java (set JAVA_HOME to a JDK 17 or newer)" >&2; exit 2; }
java_version=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[[ ${java_version%%.*} -ge 17 ]] || { echo "run.sh: $JAVA is Java $java_version; Kafka 4 needs 17 or newer" >&2; exit 2; }
compgen -G "$KAFKA_LIB/kafka_2.13-*.jar" >/dev/null || {
  echo "run.sh: no Kafka jars in $KAFKA_LIB: run ./mvnw -pl stack -am package -DskipTests, or set KAFKA_LIB" >&2
  exit 2
}

WORK=$(mktemp -d /tmp/opencode-egress-kafka.XXXXXX)
BROKER_PID=""
cleanup() {
  set +e
  if [[ -n $BROKER_PID ]]; then
    kill "$BROKER_PID" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$BROKER_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
umask 077

# --- TAP ------------------------------------------------------------------------------------
n=0
failed=0
check() { # check NAME COMMAND...: runs COMMAND under set -e in a subshell, records ok/not ok
  local name=$1 status
  shift
  set +e
  ("$@") > "$WORK/check.out" 2>&1
  status=$?
  set -e
  n=$((n + 1))
  if [[ $status == 0 ]]; then
    echo "ok $n - $name"
  else
    echo "not ok $n - $name"
    sed 's/^/#   /' "$WORK/check.out"
    failed=$((failed + 1))
  fi
}
fail() { echo "$*"; return 1; }

# --- the test bed ---------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
CPORT=$(free_port)
[[ $CPORT != "$PORT" ]] || CPORT=$(free_port)
CRED=$WORK/credentials   # what LoadCredential= fills under systemd
mkdir -p "$CRED" "$WORK/bin" "$WORK/data" "$WORK/logs" "$WORK/clients" "$WORK/run"

# The passwords: every character the Java rule allows somewhere; final newlines where a client
# reads the file (ignored there), none where the broker reads it.
declare -A PW=(
  [tuner-broker]='#Br0ker]pw=odd[chars!x'
  [tuner-controller]='ctrl:pw;with%odd{chars}~'
  [tuner-policy]='policy,pw]with=[odd#chars!'
  [collector-web1]='w1-password-abcdefgh'
  [collector-web2]='w2:pw%with;odd,chars'
)
credential() { # credential DIR ACCOUNT TEXT: the file as LoadCredential leaves it (0400)
  rm -f "$1/$2.password"
  printf '%s' "$3" > "$1/$2.password"
  chmod 0400 "$1/$2.password"
}
write_credentials() { # write_credentials DIR: the good credentials
  mkdir -p "$1"
  credential "$1" tuner-broker "${PW[tuner-broker]}"
  credential "$1" tuner-controller "${PW[tuner-controller]}"
  credential "$1" tuner-policy "${PW[tuner-policy]}"$'\n'
  credential "$1" collector-web1 "${PW[collector-web1]}"$'\n'
  credential "$1" collector-web2 "${PW[collector-web2]}"
}
write_credentials "$CRED"
printf '%s\n' "${PW[@]}" > "$WORK/secrets"

# java that refuses arguments holding a password (they must reach the tools in files)
cat > "$WORK/bin/checked-java" <<EOF
#!/usr/bin/env bash
while IFS= read -r secret; do
  for arg in "\$@"; do
    case \$arg in *"\$secret"*) echo "a password in the arguments of: \${*:1:8}" >> "$WORK/argv-leaks"; exit 97 ;; esac
  done
done < "$WORK/secrets"
printf '%s\n' "\$*" >> "$WORK/argv.log"
exec "$JAVA" "\$@"
EOF
tool_wrapper() { # tool_wrapper NAME MAIN-CLASS: what Kafka's bin/NAME starts
  cat > "$WORK/bin/$1" <<EOF
#!/usr/bin/env bash
exec "$WORK/bin/checked-java" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$KAFKA_LIB/*" $2 "\$@"
EOF
}
tool_wrapper kafka-configs.sh kafka.admin.ConfigCommand
tool_wrapper kafka-acls.sh org.apache.kafka.tools.AclCommand
tool_wrapper kafka-topics.sh org.apache.kafka.tools.TopicCommand
tool_wrapper kafka-console-producer.sh org.apache.kafka.tools.ConsoleProducer
tool_wrapper kafka-console-consumer.sh org.apache.kafka.tools.consumer.ConsoleConsumer
chmod 0755 "$WORK/bin/"*

render() { # render ATTR CREDENTIALS-DIR HOSTS-NIX-LIST: one rendered text on stdout
  nix-instantiate --eval --strict --json "$HERE/render.nix" -A "$1" \
    --argstr credentialsDirectory "$2" --argstr logDir "$WORK/data" --argstr toolsDirectory "$WORK/bin" \
    --argstr java "$WORK/bin/checked-java" --argstr kafkaLib "$KAFKA_LIB" \
    --argstr serverProperties "$WORK/server.properties" --argstr port "$PORT" --argstr controllerPort "$CPORT" \
    --arg collectorHosts "$3" 2>/dev/null |
    python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin))'
}
render properties "$CRED" '[ ]' > "$WORK/server.properties"
render format "$CRED" '[ ]' > "$WORK/format.sh"
render provision "$CRED" '[ "web1" "web2" ]' > "$WORK/provision.sh"
render provision "$CRED" '[ "web1" ]' > "$WORK/provision-web1.sh"

# run_unit SCRIPT CREDENTIALS-DIR: as the unit runs it (credentials and a private runtime directory)
run_unit() {
  rm -rf "$WORK/run"
  mkdir -m 0700 "$WORK/run"
  CREDENTIALS_DIRECTORY=$2 RUNTIME_DIRECTORY=$WORK/run bash "$1"
}

# A client's configuration as the Java side builds it (KafkaLogin): the file holds the password
# without the final newline, the way the applications read it.
client_config() { # client_config ACCOUNT
  printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";\n' \
    "$1" "${PW[$1]}" > "$WORK/clients/$1.properties"
  echo "$WORK/clients/$1.properties"
}
as() { # as ACCOUNT TOOL ARGS...: one of the tools, logged in as ACCOUNT
  local account=$1 tool=$2
  shift 2
  "$WORK/bin/$tool" --bootstrap-server "127.0.0.1:$PORT" --command-config "$(client_config "$account")" "$@"
}
produce() { # produce ACCOUNT TOPIC TEXT: prints the tool's output; fails when it does
  printf '%s\n' "$3" | as "$1" kafka-console-producer.sh --topic "$2" --request-required-acks all 2>&1
}
no_secret_in() { # no_secret_in FILE...
  local s f
  for f in "$@"; do
    while IFS= read -r s; do
      if grep -qF -- "$s" "$f"; then fail "a password is in $f"; fi
    done < "$WORK/secrets"
  done
}

# --- 1: rendered text -------------------------------------------------------------------------
check_rendered() {
  local p=$WORK/server.properties
  grep -qxF "config.providers.dir.param.allowed.paths=$CRED" "$p" || fail "no allowed.paths line"
  grep -qxF "listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"tuner-broker\" password=\"\${dir:$CRED:tuner-broker.password}\";" "$p" || fail "no broker JAAS line with its reference"
  [[ $(grep -o "\${dir:$CRED:tuner-controller.password}" "$p" | wc -l) == 2 ]] || fail "the controller's JAAS line must reference its password twice"
  grep -qxF "listeners=CLIENT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT" "$p" || fail "listeners"
  grep -qxF "allow.everyone.if.no.acl.found=false" "$p" || fail "allow.everyone"
  grep -qxF "super.users=User:tuner-broker;User:tuner-controller" "$p" || fail "super.users"
  no_secret_in "$p" "$WORK/format.sh" "$WORK/provision.sh" "$WORK/provision-web1.sh"
}
check "the rendered broker properties reference the passwords in the credentials directory; no password in any rendered text" check_rendered

# --- 2: the storage format --------------------------------------------------------------------
format_refuses() { # format_refuses ACCOUNT TEXT MESSAGE
  local bad=$WORK/bad-credentials
  rm -rf "$bad"
  write_credentials "$bad"
  credential "$bad" "$1" "$2"
  if run_unit "$WORK/format.sh" "$bad" > "$WORK/out" 2>&1; then fail "the format accepted it"; fi
  grep -qF -- "$3" "$WORK/out" || { cat "$WORK/out"; fail "expected: $3"; }
  [[ ! -e $WORK/data/meta.properties ]] || fail "it formatted anyway"
  no_secret_in "$WORK/out"
}
check "the format refuses a broker password with a final newline, naming the option" \
  format_refuses tuner-broker "${PW[tuner-broker]}"$'\n' \
  "error: services.opencode-egress-tuner.policy.kafka.brokerPasswordFile ($WORK/bad-credentials/tuner-broker.password) ends with a newline"
check "the format refuses a broker password with ',' (the storage tool cannot take it)" \
  format_refuses tuner-broker 'Br0ker,password-123' \
  "contains ',', which Kafka's storage format (--add-scram) cannot take"
check "the format refuses a controller password of 15 characters" \
  format_refuses tuner-controller 'fifteen-chars!!' \
  "tuner-controller.password) does not hold one line of 16 to 512 printable ASCII characters without '\"' or '\\' (15 characters found)"

check_format() {
  run_unit "$WORK/format.sh" "$CRED" > "$WORK/format.log" 2>&1 || { cat "$WORK/format.log"; fail "format failed"; }
  [[ -f $WORK/data/meta.properties ]] || fail "no meta.properties"
  grep -q "^Formatting metadata directory $WORK/data" "$WORK/format.log" || { cat "$WORK/format.log"; fail "no format line"; }
  if grep -q -i -E 'storedKey|serverKey|salt=' "$WORK/format.log"; then fail "the SCRAM record reached the output"; fi
  [[ -z $(ls -A "$WORK/run") ]] || fail "left in the runtime directory: $(ls -A "$WORK/run")"
  no_secret_in "$WORK/format.log"
}
check "the format writes the storage with the broker's account, shows no SCRAM record and leaves no file behind" check_format
check_format_again() {
  run_unit "$WORK/format.sh" "$CRED" > "$WORK/out" 2>&1 || { cat "$WORK/out"; fail "failed"; }
  [[ ! -s $WORK/out ]] || { cat "$WORK/out"; fail "the second run did something"; }
}
check "the format does nothing on a formatted storage" check_format_again

# --- 3: the broker and the provisioning --------------------------------------------------------
start_broker() {
  "$JAVA" -Xmx512m -XX:+UseSerialGC -Dkafka.logs.dir="$WORK/logs" -cp "$KAFKA_LIB/*" kafka.Kafka "$WORK/server.properties" \
    >> "$WORK/logs/broker.out" 2>&1 &
  BROKER_PID=$!
}
stop_broker() {
  kill "$BROKER_PID"
  for _ in $(seq 120); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$BROKER_PID" 2>/dev/null; then return 1; fi
  wait "$BROKER_PID" 2>/dev/null || true
  BROKER_PID=""
}
start_broker

check_provision() {
  run_unit "$WORK/provision.sh" "$CRED" > "$WORK/provision.log" 2>&1 || { cat "$WORK/provision.log"; fail "provisioning failed"; }
  for line in "account tuner-policy" "account collector-web1" "account collector-web2" \
    "topic opencode.egress.dead-letter.blocked (1 partitions)" "topic opencode.egress.blocked.web2 (3 partitions)"; do
    grep -qxF "$line" "$WORK/provision.log" || { cat "$WORK/provision.log"; fail "missing: $line"; }
  done
  [[ -z $(ls -A "$WORK/run") ]] || fail "left in the runtime directory: $(ls -A "$WORK/run")"
  no_secret_in "$WORK/provision.log"
}
check "the provisioning (web1, web2) runs against the broker and leaves no file behind" check_provision

check_topics() {
  as tuner-broker kafka-topics.sh --describe > "$WORK/topics.txt"
  local expected actual
  expected=$(printf '%s\n' \
    "opencode.egress.blocked.web1 3" "opencode.egress.blocked.web2 3" \
    "opencode.egress.dead-letter.blocked 1" "opencode.egress.dead-letter.host-state 1" \
    "opencode.egress.host-state.web1 1" "opencode.egress.host-state.web2 1" \
    "opencode.egress.malformed.web1 1" "opencode.egress.malformed.web2 1")
  actual=$(sed -n 's/^Topic: \([^[:space:]]*\)[[:space:]].*PartitionCount: \([0-9]*\).*/\1 \2/p' "$WORK/topics.txt" | grep -v '^__' | sort)
  [[ $actual == "$expected" ]] || fail "topics differ:"$'\n'"$actual"
}
check "every host has its three topics (3, 1, 1 partitions), plus the two dead-letter topics" check_topics

# The ACLs as "TYPE name PATTERN principal OPERATION" lines, sorted.
acl_lines() {
  as tuner-broker kafka-acls.sh --list |
    sed -n -e 's/^Current ACLs for resource `ResourcePattern(resourceType=\([A-Z]*\), name=\([^,]*\), patternType=\([A-Z]*\))`:.*/R \1 \2 \3/p' \
      -e 's/^[[:space:]]*(principal=\([^,]*\), host=\*, operation=\([A-Z]*\), permissionType=ALLOW)/A \1 \2/p' |
    awk '$1 == "R" { r = $2 " " $3 " " $4 } $1 == "A" { print r " " $2 " " $3 }' | sort
}
expected_acls() { # expected_acls HOST...
  {
    local h
    for t in TOPIC\ opencode.egress.blocked. TOPIC\ opencode.egress.host-state. GROUP\ opencode-egress-policy; do
      echo "$t PREFIXED User:tuner-policy READ"
      echo "$t PREFIXED User:tuner-policy DESCRIBE"
    done
    for t in opencode.egress.dead-letter.blocked opencode.egress.dead-letter.host-state; do
      for op in WRITE DESCRIBE CREATE; do echo "TOPIC $t LITERAL User:tuner-policy $op"; done
    done
    for h in "$@"; do
      for t in blocked malformed host-state; do
        for op in WRITE DESCRIBE; do echo "TOPIC opencode.egress.$t.$h LITERAL User:collector-$h $op"; done
      done
    done
  } | sort
}
check_acls() {
  local actual expected
  actual=$(acl_lines)
  expected=$(expected_acls web1 web2)
  [[ $actual == "$expected" ]] || fail "ACLs differ:"$'\n'"$(diff <(echo "$expected") <(echo "$actual"))"
}
check "the ACLs are exactly the Java stack's (KafkaAccounts): policy and each collector" check_acls

# --- 4: what the accounts may do ----------------------------------------------------------------
check_collector_writes_own() {
  local t
  for t in blocked malformed host-state; do
    produce collector-web1 "opencode.egress.$t.web1" "from web1 to $t" > "$WORK/out" || { cat "$WORK/out"; fail "web1 could not write $t.web1"; }
    if grep -q -i -E 'error|exception' "$WORK/out"; then cat "$WORK/out"; fail "web1 writing $t.web1"; fi
  done
}
check "collector-web1 writes its host's three topics" check_collector_writes_own
check_collector_denied() {
  produce collector-web1 opencode.egress.blocked.web2 "forged for web2" > "$WORK/out" || true
  grep -q 'TopicAuthorizationException' "$WORK/out" || { cat "$WORK/out"; fail "web1 wrote web2's topic"; }
  as collector-web1 kafka-console-consumer.sh --topic opencode.egress.blocked.web1 --group opencode-egress-policy \
    --from-beginning --max-messages 1 --timeout-ms 15000 > "$WORK/out" 2>&1 || true
  grep -q -E 'GroupAuthorizationException|TopicAuthorizationException' "$WORK/out" || { cat "$WORK/out"; fail "web1 could read"; }
}
check "collector-web1 may not write web2's topic, nor read" check_collector_denied
check_policy_reads() {
  as tuner-policy kafka-console-consumer.sh --topic opencode.egress.blocked.web1 --group opencode-egress-policy \
    --from-beginning --max-messages 1 --timeout-ms 30000 > "$WORK/out" 2>&1 || { cat "$WORK/out"; fail "consumer failed"; }
  grep -qxF "from web1 to blocked" "$WORK/out" || { cat "$WORK/out"; fail "the policy did not read web1's record"; }
  produce tuner-policy opencode.egress.dead-letter.blocked "dead letter" > "$WORK/out" || { cat "$WORK/out"; fail "dead letter"; }
  if grep -q -i -E 'error|exception' "$WORK/out"; then cat "$WORK/out"; fail "writing the dead letter"; fi
  produce tuner-policy opencode.egress.blocked.web2 "forged by the policy" > "$WORK/out" || true
  grep -q 'TopicAuthorizationException' "$WORK/out" || { cat "$WORK/out"; fail "the policy wrote a host topic"; }
}
check "tuner-policy reads a host's topic in its group, writes a dead letter, may not write a host topic" check_policy_reads

# --- 5: again, and a host dropped -------------------------------------------------------------
check_idempotent() {
  run_unit "$WORK/provision.sh" "$CRED" > "$WORK/out" 2>&1 || { cat "$WORK/out"; fail "second run failed"; }
  if grep -q '^topic ' "$WORK/out"; then cat "$WORK/out"; fail "the second run created topics"; fi
  if grep -q '^revoking ' "$WORK/out"; then cat "$WORK/out"; fail "the second run revoked"; fi
  [[ $(acl_lines) == "$(expected_acls web1 web2)" ]] || fail "ACLs changed"
  produce collector-web2 opencode.egress.blocked.web2 "from web2" > "$WORK/out" || { cat "$WORK/out"; fail "web2 after the second run"; }
}
check "a second run creates nothing and every account still logs in" check_idempotent
check_revoke() {
  run_unit "$WORK/provision-web1.sh" "$CRED" > "$WORK/out" 2>&1 || { cat "$WORK/out"; fail "run without web2 failed"; }
  grep -qxF "revoking collector-web2: its host is no longer configured" "$WORK/out" || { cat "$WORK/out"; fail "no revocation"; }
  if as collector-web2 kafka-topics.sh --list > "$WORK/out" 2>&1; then fail "collector-web2 still logs in"; fi
  [[ $(acl_lines) == "$(expected_acls web1)" ]] || fail "ACLs after the revocation:"$'\n'"$(acl_lines)"
  produce collector-web1 opencode.egress.blocked.web1 "web1 after web2 left" > "$WORK/out" || { cat "$WORK/out"; fail "web1 broke"; }
  if grep -q -i -E 'error|exception' "$WORK/out"; then cat "$WORK/out"; fail "web1 broke"; fi
}
check "dropping web2 revokes its account and its ACLs; web1 keeps writing" check_revoke

# docs/nixos.md, "Rotating passwords": the broker learns its new password while the old one still
# logs in; then the files change and the broker restarts (here, not in a check's subshell, which
# would lose the new broker's pid).
NEW_BROKER_PW='N3w-broker]pw=odd[chars!'
NEW_CONTROLLER_PW='n3w-ctrl:pw;odd{chars}~'
printf '%s\n' "$NEW_BROKER_PW" "$NEW_CONTROLLER_PW" >> "$WORK/secrets"
check_broker_learns_its_new_password() {
  local d
  d=$(mktemp -d)
  printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="tuner-broker" password="%s";\n' \
    "$(cat "$CRED/tuner-broker.password")" > "$d/admin.properties"
  printf 'SCRAM-SHA-512=iterations=8192,password=%s\n' "$NEW_BROKER_PW" > "$d/scram.properties"
  "$WORK/bin/kafka-configs.sh" --bootstrap-server "127.0.0.1:$PORT" --command-config "$d/admin.properties" \
    --alter --entity-type users --entity-name tuner-broker --add-config-file "$d/scram.properties" > "$WORK/out" 2>&1 ||
    { cat "$WORK/out"; fail "changing tuner-broker's password"; }
  rm -r "$d"
}
check "rotation: the running broker takes tuner-broker's new password from a file, logged in with the old one" check_broker_learns_its_new_password
credential "$CRED" tuner-broker "$NEW_BROKER_PW"
credential "$CRED" tuner-controller "$NEW_CONTROLLER_PW"
PW[tuner-broker]=$NEW_BROKER_PW
PW[tuner-controller]=$NEW_CONTROLLER_PW
stop_broker || echo "# the broker did not stop within 60 s"
start_broker
check_after_rotation() {
  run_unit "$WORK/provision-web1.sh" "$CRED" > "$WORK/out" 2>&1 || { cat "$WORK/out"; fail "provisioning with the new broker password"; }
  produce collector-web1 opencode.egress.blocked.web1 "after the rotation" > "$WORK/out" || { cat "$WORK/out"; fail "web1 after the rotation"; }
  if grep -q -i -E 'error|exception' "$WORK/out"; then cat "$WORK/out"; fail "web1 after the rotation"; fi
  as tuner-broker kafka-topics.sh --list > "$WORK/out" 2>&1 || { cat "$WORK/out"; fail "tuner-broker with the new password"; }
}
check "rotation: with the new broker and controller files the restarted broker starts, the provisioning logs in, web1 writes" check_after_rotation

# --- 6: refusals ---------------------------------------------------------------------------------
check_bad_collector_password() {
  local bad=$WORK/bad-credentials
  rm -rf "$bad"
  write_credentials "$bad"
  credential "$bad" collector-web1 'short-password'$'\n'
  if run_unit "$WORK/provision-web1.sh" "$bad" > "$WORK/out" 2>&1; then fail "accepted a 14-character password"; fi
  grep -qF "error: services.opencode-egress-tuner.policy.kafka.collectors.web1.passwordFile ($bad/collector-web1.password) does not hold one line of 16 to 512 printable ASCII characters without '\"' or '\\' (14 characters found)" "$WORK/out" ||
    { cat "$WORK/out"; fail "message"; }
  if grep -qF 'short-password' "$WORK/out"; then fail "the password is in the message"; fi
  [[ -z $(ls -A "$WORK/run") ]] || fail "left in the runtime directory: $(ls -A "$WORK/run")"
}
check "a short collector password stops the provisioning, naming the option, not the password" check_bad_collector_password
check_wrong_broker_password() {
  local bad=$WORK/bad-credentials
  rm -rf "$bad"
  write_credentials "$bad"
  credential "$bad" tuner-broker 'not-the-formatted-password'
  if run_unit "$WORK/provision-web1.sh" "$bad" > "$WORK/out" 2>&1; then fail "accepted"; fi
  grep -qF "error: the broker refused the account tuner-broker: services.opencode-egress-tuner.policy.kafka.brokerPasswordFile ($CRED/tuner-broker.password) differs from the password the storage was formatted with" "$WORK/out" ||
    { cat "$WORK/out"; fail "message"; }
}
check "a broker password that is not the formatted one stops the provisioning at once" check_wrong_broker_password

# --- 7 -------------------------------------------------------------------------------------------
check_no_password_in_arguments() {
  [[ ! -e $WORK/argv-leaks ]] || { cat "$WORK/argv-leaks"; fail "a password was an argument"; }
  grep -q 'kafka.admin.ConfigCommand .*--add-config-file' "$WORK/argv.log" || fail "no ConfigCommand call was seen"
  grep -q '^-cp .* @' "$WORK/argv.log" || fail "no argument-file call of the storage tool was seen"
}
check "no tool got a password as an argument (the format's java included)" check_no_password_in_arguments

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[[ $failed == 0 ]]
