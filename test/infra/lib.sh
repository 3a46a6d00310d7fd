# Shared helpers for the test-infrastructure scripts. Sourced, not run.
set -euo pipefail
INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$INFRA_DIR/versions.env"
# Everything built or downloaded lives here, outside the repo, so a warm machine starts fast.
CACHE="${MOBILEFORGE_CACHE:-$HOME/.cache/mobileforge-sync}"
# Runtime state (data dirs, logs, pids, certs) is per machine and thrown away by infra:down.
RUN="${MOBILEFORGE_RUN:-$CACHE/run}"
BIN="$CACHE/bin"
mkdir -p "$CACHE" "$RUN" "$BIN"
# Every `go` command of these scripts runs the one pinned toolchain (see versions.env).
export GOTOOLCHAIN=$GO_BUILD_TOOLCHAIN

log() { printf '\033[1;34m[infra]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[infra] error:\033[0m %s\n' "$*" >&2; exit 1; }
# A cached binary's version stamp (BIN/NAME.version): stamp_ok NAME VERSION, stamp NAME VERSION.
stamp_ok() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/$1.version" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" > "$BIN/$1.version"; }
# `go build` with the flags every test-service build shares (so they share one build cache),
# logging how long it took: go_build LABEL [go build's arguments...]
go_build() {
  local label=$1 start; start=$(date +%s); shift
  go build -trimpath "$@" || return
  log "built $label in $(($(date +%s) - start)) s"
}

# Wait until a TCP port on 127.0.0.1 accepts connections, or fail after $2 seconds.
wait_port() {
  local port=$1 timeout=${2:-60} name=${3:-port $1} i=0
  while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    i=$((i + 1)); [ "$i" -gt $((timeout * 5)) ] && return 1
    sleep 0.2
  done
}

# The services listen on fixed ports inside Linux's ephemeral range (32768-60999 here): reserve
# them, so that no other process's outgoing connection takes one before its service binds it.
reserve_ports() {
  local f=/proc/sys/net/ipv4/ip_local_reserved_ports ports
  [ -w "$f" ] || return 0
  ports=$( { tr ',' '\n' < "$f"; printf '%s\n' "$@"; } | grep -E '^[0-9]+(-[0-9]+)?$' | sort -u | paste -sd, - || true)
  [ -z "$ports" ] || echo "$ports" > "$f" 2>/dev/null || true
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
