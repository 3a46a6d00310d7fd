#!/usr/bin/env bash
# Builds the node's autoscalers from the Go module proxy into $CACHE/bin: metrics-server and
# KEDA's operator and metrics API server (keda, keda-adapter). Each build is skipped when the
# binary for the pinned version is already cached (a `.version` stamp beside it).
# KEDA's module has replace directives, so neither `go install` nor a wrapper module can build
# it: the module is downloaded as it is published and built inside its own directory.
# Usage: build-autoscalers.sh [metrics-server|keda|all]
source "$(dirname "$0")/lib.sh"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly

module_dir() { # module version -> the module's directory in the Go module cache
  local dir; dir=$(cd "$CACHE" && GOFLAGS= go mod download -json "$1@$2" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$dir" ] || die "could not download $1@$2 from the Go module proxy"
  echo "$dir"
}
timed_build() { # name version dir ldflags package
  (cd "$3" && go_build "$1 $2" -ldflags "-s -w $4" -o "$BIN/$1.tmp" "$5") || die "building $1 $2 failed"
  mv "$BIN/$1.tmp" "$BIN/$1"
  stamp "$1" "$2"
}

build_metrics_server() {
  local v=$METRICS_SERVER_VERSION
  stamp_ok metrics-server "$v" && return
  log "building metrics-server $v"
  local dir; dir=$(module_dir sigs.k8s.io/metrics-server "$v")
  timed_build metrics-server "$v" "$dir" "-X sigs.k8s.io/metrics-server/pkg/version.gitVersion=$v" ./cmd/metrics-server
}

build_keda() {
  local v=$KEDA_VERSION
  stamp_ok keda "$v" && stamp_ok keda-adapter "$v" && return
  log "building KEDA $v (operator and metrics API server); the first build takes many minutes"
  local dir; dir=$(module_dir github.com/kedacore/keda/v2 "$v")
  local ldf="-X github.com/kedacore/keda/v2/version.Version=${v#v} -X github.com/kedacore/keda/v2/version.GitCommit=release"
  # Both in one invocation: one link overlaps the other's remaining compiles.
  local out="$BIN/keda-build.tmp"
  rm -rf "$out"; mkdir -p "$out"
  (cd "$dir" && go_build "KEDA $v (keda, keda-adapter)" -ldflags "-s -w $ldf" -o "$out/" ./cmd/operator ./cmd/adapter) || die "building KEDA $v failed"
  mv "$out/operator" "$BIN/keda"; mv "$out/adapter" "$BIN/keda-adapter"; rm -rf "$out"
  stamp keda "$v"; stamp keda-adapter "$v"
}

case "${1:-all}" in
  metrics-server) build_metrics_server ;;
  keda) build_keda ;;
  all) build_metrics_server; build_keda ;;
  *) die "unknown target $1" ;;
esac
