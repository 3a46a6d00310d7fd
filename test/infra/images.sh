#!/usr/bin/env bash
# Container images for the local node, built without a Docker engine (podman from Debian) and
# without pulling from any image registry:
#
#   images.sh base       a stand-in for node:20.20-bookworm-slim: Debian bookworm (debootstrap,
#                        minbase) plus the machine's own Node 20 and npm, tagged
#                        docker.io/library/node:20.20-bookworm-slim so that FROM resolves locally
#   images.sh pause      the pod sandbox image (a static Go program that waits for a signal)
#   images.sh build      the operator and workload images from Dockerfile.operator and
#                        Dockerfile.workload as written; prints the tag
#   images.sh load       import pause + both project images into the node's containerd (k8s.io)
#   images.sh tag        the tag `build` gives the current sources (a content hash)
#   images.sh previous REF  the operator image of an earlier commit (git archive REF, built from
#                        its own Dockerfile.operator), tagged <current tag>-previous-<REF's
#                        short hash>, imported into the node's containerd; prints the image
#   images.sh crashloop  `load`, then a workload image whose producer and consumers exit 1 at
#                        start, loaded into the node as <tag>-crashloop; prints that tag
#
# podman's configuration and storage live in $CACHE/containers (CONTAINERS_CONF and
# CONTAINERS_STORAGE_CONF), never in /etc. Each step is skipped when its stamp matches.
source "$(dirname "$0")/lib.sh"
REPO="$(cd "$INFRA_DIR/../.." && pwd)"
IMAGES="$CACHE/images"
PODMAN_DIR="$CACHE/containers"
BASE_TAG=docker.io/library/node:20.20-bookworm-slim
PAUSE_IMAGE=localhost/mobileforge/pause:1
OPERATOR_REPO=localhost/mobileforge/mobileforge-operator
WORKLOAD_REPO=localhost/mobileforge/sync-workload
mkdir -p "$IMAGES" "$PODMAN_DIR"

podman_env() {
  mkdir -p "$PODMAN_DIR/storage" "$PODMAN_DIR/run" "$PODMAN_DIR/tmp"
  # Settings found by trial on this machine kind: podman's own processes run with
  # RLIMIT_NPROC 32768, so the default ulimits it asks for fail with "setrlimit: operation
  # not permitted"; crun 1.8 refuses the hybrid cgroup layout, so runc.
  cat > "$PODMAN_DIR/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "none"
image_parallel_copies = 2
CONF
  cat > "$PODMAN_DIR/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$PODMAN_DIR/storage"
runroot = "$PODMAN_DIR/run"
CONF
  # Short names resolve against local storage only; builds run with --pull=never anyway.
  cat > "$PODMAN_DIR/registries.conf" <<'CONF'
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
CONF
  export CONTAINERS_CONF="$PODMAN_DIR/containers.conf" CONTAINERS_STORAGE_CONF="$PODMAN_DIR/storage.conf" \
    CONTAINERS_REGISTRIES_CONF="$PODMAN_DIR/registries.conf" TMPDIR="$PODMAN_DIR/tmp"
}
have_image() { podman image exists "$1"; }

# ---------------------------------------------------------------- the base stand-in
rootfs() {
  local dir="$IMAGES/bookworm-rootfs" want="bookworm minbase ca-certificates,libstdc++6"
  [ "$(cat "$dir.stamp" 2>/dev/null)" = "$want" ] && [ -d "$dir" ] && return
  log "debootstrap: Debian bookworm (minbase) into $dir, about a minute"
  rm -rf "$dir" "$dir.tmp"
  debootstrap --variant=minbase --include=ca-certificates,libstdc++6 bookworm "$dir.tmp" http://deb.debian.org/debian \
    > "$IMAGES/debootstrap.log" 2>&1 || die "debootstrap failed; see $IMAGES/debootstrap.log"
  mv "$dir.tmp" "$dir"
  echo "$want" > "$dir.stamp"
}
# The machine's CA bundle goes into the image: registry traffic from here passes a CA that
# only this machine trusts, and without it `npm ci` inside a build fails with
# SELF_SIGNED_CERT_IN_CHAIN.
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
# What the base is made of; the project images' tag includes it, so a new base rebuilds them.
base_want() { echo "$(node --version) $(sha256sum "$CA_BUNDLE" | cut -c1-16) 1"; }
build_base() {
  podman_env
  local node_v; node_v=$(node --version)
  case "$node_v" in v20.20.*) ;; *) die "the base stand-in needs the machine's Node 20.20 (found $node_v)";; esac
  local ca=$CA_BUNDLE
  local want; want=$(base_want)
  if have_image "$BASE_TAG" && [ "$(cat "$IMAGES/node-base.stamp" 2>/dev/null)" = "$want" ]; then return; fi
  rootfs
  if ! have_image localhost/mobileforge/bookworm-minbase:1; then
    log "importing the bookworm rootfs into podman"
    tar -C "$IMAGES/bookworm-rootfs" -c . | podman import -q --change 'CMD ["bash"]' - localhost/mobileforge/bookworm-minbase:1 >/dev/null
  fi
  log "building the stand-in $BASE_TAG (Debian bookworm + the machine's Node $node_v)"
  local ctx; ctx=$(mktemp -d "$IMAGES/node-base-ctx.XXXX")
  local npm_dir; npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
  cp "$(readlink -f "$(command -v node)")" "$ctx/node"
  cp -a "$(readlink -f "$npm_dir")" "$ctx/npm"
  cp "$ca" "$ctx/ca-certificates.crt"
  # The same layout as the official image: node and npm under /usr/local, CMD node.
  cat > "$ctx/Containerfile" <<'CF'
FROM localhost/mobileforge/bookworm-minbase:1
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
CF
  podman build --runtime runc --network host --pull=never -t "$BASE_TAG" "$ctx" > "$IMAGES/node-base-build.log" 2>&1 \
    || { rm -rf "$ctx"; die "building the base stand-in failed; see $IMAGES/node-base-build.log"; }
  rm -rf "$ctx"
  echo "$want" > "$IMAGES/node-base.stamp"
}

# ---------------------------------------------------------------- the sandbox image
build_pause() {
  podman_env
  local want="pause 1"
  if have_image "$PAUSE_IMAGE" && [ "$(cat "$IMAGES/pause.stamp" 2>/dev/null)" = "$want" ]; then return; fi
  log "building the pod sandbox image $PAUSE_IMAGE"
  local ctx; ctx=$(mktemp -d "$IMAGES/pause-ctx.XXXX")
  # Kubernetes' own pause is C; this does the same job: hold the pod's namespaces, reap
  # orphans, exit on SIGINT/SIGTERM.
  cat > "$ctx/main.go" <<'GO'
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s == syscall.SIGCHLD {
			for {
				var ws syscall.WaitStatus
				if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
GO
  printf 'module mobileforge.local/pause\ngo 1.22\n' > "$ctx/go.mod"
  (cd "$ctx" && CGO_ENABLED=0 GOFLAGS= go build -ldflags "-s -w" -o pause .) || die "building pause failed"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' > "$ctx/Containerfile"
  podman build --runtime runc --network none --pull=never -t "$PAUSE_IMAGE" "$ctx" > "$IMAGES/pause-build.log" 2>&1 \
    || { rm -rf "$ctx"; die "building the pause image failed; see $IMAGES/pause-build.log"; }
  rm -rf "$ctx"
  echo "$want" > "$IMAGES/pause.stamp"
}

# ---------------------------------------------------------------- the project's images
# A content hash of what the builds can see (the Dockerfiles and what .dockerignore lets
# through), so an unchanged tree reuses the images and any source change gives a new tag.
source_tag() {
  local paths
  paths=$(cd "$REPO" && sed -n 's|^!\(.*\)|\1|p' .dockerignore | sed 's|/$||')
  # shellcheck disable=SC2086 # one path per word
  (cd "$REPO" && find Dockerfile.operator Dockerfile.workload $paths -type f -print0 | sort -z \
     | xargs -0 sha256sum; base_want) | sha256sum | cut -c1-12 | sed 's/^/dev-/'
}
# When a source tag was last built or loaded here (a stamp file's time).
touch_tag() { mkdir -p "$IMAGES/tags"; touch "$IMAGES/tags/$1"; }
recent_tag() { [ -n "$(find "$IMAGES/tags/$1" -mmin -120 2>/dev/null)" ]; }
build_project() {
  podman_env
  local tag; tag=$(source_tag)
  if have_image "$OPERATOR_REPO:$tag" && have_image "$WORKLOAD_REPO:$tag"; then touch_tag "$tag"; echo "$tag"; return; fi
  build_base
  local f repo
  for f in workload operator; do
    if [ $f = workload ]; then repo=$WORKLOAD_REPO; else repo=$OPERATOR_REPO; fi
    have_image "$repo:$tag" && continue
    log "building $repo:$tag from Dockerfile.$f (podman, runc, no pull)"
    podman build --runtime runc --network host --pull=never --build-arg VERSION="$tag" \
      -f "$REPO/Dockerfile.$f" -t "$repo:$tag" "$REPO" > "$IMAGES/$f-build.log" 2>&1 \
      || die "podman build -f Dockerfile.$f failed; see $IMAGES/$f-build.log"
  done
  # Images of sources not built or loaded for two hours go (each is ~500 MB): recent ones may
  # be another clone's, whose suites run now. Builds also leave the build stages' layers
  # behind: drop what no tag refers to.
  touch_tag "$tag"
  local old
  for old in $(podman images --format '{{.Repository}}:{{.Tag}}' | grep -E "^($OPERATOR_REPO|$WORKLOAD_REPO):dev-" | grep -v ":$tag\$" || true); do
    recent_tag "${old##*:}" || podman rmi -f "$old" >/dev/null 2>&1 || true
  done
  podman image prune -f >/dev/null 2>&1 || true
  echo "$tag"
}

# The operator as an earlier commit built it, for upgrade tests: built from that commit's own
# files, named after the current sources' tag so that the cleanups above keep it while they run.
build_previous() { # ref
  local ref=$1 commit tag image tree
  commit=$(git -C "$REPO" rev-parse --verify --quiet "$ref^{commit}") \
    || die "no commit $ref in $REPO (the upgrade test needs the repository's history: a full clone)"
  tag=$(source_tag)
  image="$OPERATOR_REPO:$tag-previous-${commit:0:12}"
  podman_env
  if ! have_image "$image"; then
    build_base
    tree=$(mktemp -d "$IMAGES/previous.XXXX")
    git -C "$REPO" archive "$commit" | tar -x -C "$tree"
    log "building $image from Dockerfile.operator of $ref (${commit:0:12})"
    podman build --runtime runc --network host --pull=never --build-arg VERSION="previous-${commit:0:12}" \
      -f "$tree/Dockerfile.operator" -t "$image" "$tree" > "$IMAGES/previous-build.log" 2>&1 \
      || { rm -rf "$tree"; die "podman build of $ref's Dockerfile.operator failed; see $IMAGES/previous-build.log"; }
    rm -rf "$tree"
  fi
  [ -S "$NODE_CONTAINERD_SOCK" ] || die "the node's containerd is not running ($NODE_CONTAINERD_SOCK); infra.sh up node"
  load_image "$image"
  echo "$image"
}

# ---------------------------------------------------------------- into the node's containerd
ctr_node() { ctr --address "$NODE_CONTAINERD_SOCK" --namespace k8s.io "$@"; }
load_image() { # image
  local ref=$1
  if ctr_node images ls -q | grep -xF "$ref" >/dev/null; then return; fi
  local tar; tar=$(mktemp "$IMAGES/load.XXXX.tar"); rm -f "$tar"
  # a docker-archive carries the tag in RepoTags, which ctr names the image after
  podman save -q --format docker-archive -o "$tar" "$ref" >/dev/null
  ctr_node images import "$tar" >/dev/null \
    || { rm -f "$tar"; die "ctr import of $ref failed"; }
  rm -f "$tar"
  ctr_node images ls -q | grep -xF "$ref" >/dev/null || die "$ref is not in the node's containerd after import"
}
load_all() {
  podman_env
  [ -S "$NODE_CONTAINERD_SOCK" ] || die "the node's containerd is not running ($NODE_CONTAINERD_SOCK); infra.sh up node"
  build_pause
  load_image "$PAUSE_IMAGE"
  local tag; tag=$(build_project)
  load_image "$OPERATOR_REPO:$tag"
  load_image "$WORKLOAD_REPO:$tag"
  # earlier sources' images (and tags made from them by the tests) go, as in podman
  touch_tag "$tag"
  local old
  for old in $(ctr_node images ls -q | grep -E "^($OPERATOR_REPO|$WORKLOAD_REPO):dev-" | grep -vE ":$tag(-[a-z0-9-]+)?\$" || true); do
    recent_tag "$(sed -E 's/^.*:(dev-[0-9a-f]{12}).*$/\1/' <<<"$old")" || ctr_node images rm "$old" >/dev/null 2>&1 || true
  done
  echo "$tag"
}

# A release whose servers crash at start: the current workload image with an entrypoint that
# runs its `migrate` and `partitions` jobs as before but exits 1 at once as producer or consumer
# (a crash loop, as the kubelet sees a broken release; the migration gate lets it roll out).
# Tagged <tag>-crashloop and loaded into the node. Only a new config layer: seconds to build.
crashloop_image() {
  podman_env
  local tag; tag=$(load_all)
  local ref="$WORKLOAD_REPO:$tag-crashloop"
  if ! have_image "$ref"; then
    local ctx; ctx=$(mktemp -d "$IMAGES/crashloop-ctx.XXXX")
    cat > "$ctx/Containerfile" <<CF
FROM $WORKLOAD_REPO:$tag
ENTRYPOINT ["/bin/sh", "-c", "case \"\$1\" in producer|consumer) echo 'this release is broken' >&2; exit 1;; esac; exec /usr/bin/tini -- node /app/dist/workloads/entrypoint.js \"\$@\"", "entrypoint"]
CF
    podman build --runtime runc --network none --pull=never -t "$ref" "$ctx" > "$IMAGES/crashloop-build.log" 2>&1 \
      || { rm -rf "$ctx"; die "building $ref failed; see $IMAGES/crashloop-build.log"; }
    rm -rf "$ctx"
  fi
  load_image "$ref"
  echo "$tag-crashloop"
}

NODE_CONTAINERD_SOCK="${NODE_CONTAINERD_SOCK:-$RUN/node/containerd/containerd.sock}"
what=${1:-}
# One build at a time on a machine: two clones' suites (or a suite and the demo) starting
# together would otherwise debootstrap into the same directory and build over each other.
case "$what" in
  tag) ;;
  *) exec 8>"$IMAGES/.lock"; flock 8 ;;
esac
case "$what" in
  base) build_base ;;
  pause) build_pause ;;
  build) build_project ;;
  load) load_all ;;
  pause-load) podman_env; build_pause; load_image "$PAUSE_IMAGE" ;;
  tag) source_tag ;;
  previous) build_previous "${2:?usage: images.sh previous REF}" ;;
  crashloop) crashloop_image ;;
  *) die "usage: images.sh base|pause|build|load|pause-load|tag|previous REF|crashloop" ;;
esac
