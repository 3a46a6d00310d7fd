#!/usr/bin/env bash
# Installs the system tools the test services need, if the machine lacks them:
# PostgreSQL, OpenSSL, a JDK 17+, Maven, unzip, containerd, runc, the CNI plugins, podman (Debian
# packages) and a Go command that can switch toolchains (Go 1.21 or later; Debian's golang-go is
# enough): lib.sh pins the toolchain the builds use, which the go command fetches from the proxy.
source "$(dirname "$0")/lib.sh"
missing=()
[ -x "/usr/lib/postgresql/$POSTGRES_MAJOR/bin/postgres" ] || missing+=("postgresql-$POSTGRES_MAJOR")
command -v openssl >/dev/null || missing+=(openssl)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v go >/dev/null || missing+=(golang-go)
command -v runuser >/dev/null || missing+=(util-linux)
command -v unzip >/dev/null || missing+=(unzip)
# the node service: container runtime, CNI plugins, image building, the pods' forwarders
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
command -v podman >/dev/null || missing+=(podman)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v iptables >/dev/null || missing+=(iptables)
command -v conntrack >/dev/null || missing+=(conntrack)
command -v socat >/dev/null || missing+=(socat)
command -v ip >/dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing from Debian: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Toolchain switching (GOTOOLCHAIN, exported by lib.sh) came with Go 1.21; an older go command
# would build with itself and fail on the modules' requirements.
local_go=$(GOTOOLCHAIN=local go env GOVERSION)
if [ "$(printf '%s\n%s\n' "$local_go" go1.21 | sort -V | head -1)" != go1.21 ]; then
  die "$local_go cannot fetch the pinned toolchain $GO_BUILD_TOOLCHAIN; install Go 1.21 or later"
fi
log "prerequisites present: postgres $POSTGRES_MAJOR, $(java -version 2>&1 | head -1), $(mvn -v 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g'), $(go version)"
