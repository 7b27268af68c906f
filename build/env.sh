# Sourced by ./mvnw, ./tuner and .ci/run: finds a JDK >= 21 and Maven >= 3.9 without committing any registry address.
# Maven 3.9 is fetched through the machine's own Maven (its configured repositories and mirrors), unpacked once
# under ~/.cache/opencode-egress-tuner, and reused.

TUNER_MAVEN_VERSION=3.9.16
TUNER_JAVA_MIN=21

tuner_err() { printf '%s\n' "$*" >&2; }

# Prints the feature version (17, 21, 25, ...) of the JDK at $1, or nothing when it is not a JDK.
tuner_jdk_version() {
  local home=$1 line
  [ -x "$home/bin/javac" ] && [ -x "$home/bin/java" ] || return 1
  line=$("$home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1)
  [ -n "$line" ] || return 1
  printf '%s\n' "${line#1.}"
}

# Sets JAVA_HOME to a JDK >= 21: $JAVA_HOME first, then the JDKs in /usr/lib/jvm (newest first), then javac on PATH.
tuner_find_jdk() {
  local cand v seen=""
  local -a cands=()
  [ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME")
  for cand in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sed 's:/$::' | sort -rV); do cands+=("$cand"); done
  if command -v javac >/dev/null 2>&1; then cands+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"); fi
  for cand in "${cands[@]}"; do
    v=$(tuner_jdk_version "$cand") || { seen="$seen $cand(not a JDK)"; continue; }
    if [ "$v" -ge "$TUNER_JAVA_MIN" ] 2>/dev/null; then
      export JAVA_HOME="$cand"
      return 0
    fi
    seen="$seen $cand($v)"
  done
  tuner_err "error: this build needs a JDK >= $TUNER_JAVA_MIN (javac and java), found none."
  tuner_err "  looked at:${seen:- nothing (JAVA_HOME unset, /usr/lib/jvm empty, no javac on PATH)}"
  tuner_err "  fix: install a JDK $TUNER_JAVA_MIN or newer (for example Temurin 25 under /usr/lib/jvm) or point JAVA_HOME at one."
  return 1
}

# Sets TUNER_MVN to a Maven >= 3.9 launcher, bootstrapping it through the system Maven when needed.
tuner_find_maven() {
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/opencode-egress-tuner"
  local home="$cache/apache-maven-$TUNER_MAVEN_VERSION"
  if [ -x "$home/bin/mvn" ]; then TUNER_MVN="$home/bin/mvn"; return 0; fi
  if ! command -v mvn >/dev/null 2>&1; then
    tuner_err "error: Maven is needed once to fetch Maven $TUNER_MAVEN_VERSION, and 'mvn' is not on PATH."
    tuner_err "  fix: apt-get install maven"
    return 1
  fi
  tuner_err "==> fetching Maven $TUNER_MAVEN_VERSION through the system Maven (once)"
  if ! mvn -q -B dependency:get -Dartifact="org.apache.maven:apache-maven:$TUNER_MAVEN_VERSION:tar.gz:bin" >&2; then
    tuner_err "error: could not fetch org.apache.maven:apache-maven:$TUNER_MAVEN_VERSION:tar.gz:bin with the system Maven."
    tuner_err "  fix: check the Maven repository settings in ~/.m2/settings.xml and the network."
    return 1
  fi
  local repo
  repo=$(mvn -q -B help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>/dev/null) || repo=""
  [ -d "$repo" ] || repo="$HOME/.m2/repository"
  local tgz="$repo/org/apache/maven/apache-maven/$TUNER_MAVEN_VERSION/apache-maven-$TUNER_MAVEN_VERSION-bin.tar.gz"
  if [ ! -f "$tgz" ]; then tuner_err "error: expected $tgz after the download; it is not there."; return 1; fi
  mkdir -p "$cache"
  local tmp
  tmp=$(mktemp -d "$cache/unpack.XXXXXX")
  if tar -xzf "$tgz" -C "$tmp"; then
    mv "$tmp/apache-maven-$TUNER_MAVEN_VERSION" "$home" 2>/dev/null || true # a concurrent run may have won
  fi
  rm -rf "$tmp"
  TUNER_MVN="$home/bin/mvn"
  [ -x "$TUNER_MVN" ]
}

# Installs the Debian packages of build/debian-packages.txt that are missing (as root), or says which to install.
tuner_install_packages() {
  local root=$1 p
  local -a missing=()
  while read -r p; do
    case "$p" in ''|'#'*) continue ;; esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done < "$root/build/debian-packages.txt"
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    tuner_err "==> installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    tuner_err "error: these Debian packages are needed: ${missing[*]}"
    tuner_err "  fix: sudo apt-get install ${missing[*]}"
    return 1
  fi
}
