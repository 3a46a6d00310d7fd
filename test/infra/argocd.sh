# The `argocd` test service: Argo CD as a platform team runs it for GitOps, against the node's
# API server. Sourced by infra.sh, not run; needs the node (node.sh).
#
# What runs: the application controller and the repo server (one `argocd` binary, built from
# the Go module proxy, that serves as either by the name it is started under) and Redis (their
# cache, from Debian); no API server, UI or Dex: tests create Applications with kubectl. They
# run as host processes like the node's autoscalers (autoscalers.sh): the controller with a
# client certificate of its own from the node's CA (the service account the upstream manifests
# name, with exactly the RBAC they grant it), and ARGOCD_FAKE_IN_CLUSTER so that the in-cluster
# destination (https://kubernetes.default.svc) is the node's API server. The CRDs and RBAC come
# from the same module as the binary. Git repositories are served read-only by `git daemon` on
# the node bridge: tests make repositories under $ARGOCD_GIT_ROOT and commit to them.
#
# Argo CD's settings are upstream's argocd-cm; the project's health checks
# (config/argocd/argocd-cm-health.yaml) are merged into it by the suites that test them, as a
# user installs them. Without a Git webhook (which needs Argo CD's API server), two settings let
# tests see a commit within seconds: the controller refreshes every Application every
# $ARGOCD_RESYNC_SECONDS (upstream: 120 s plus up to 60 s of jitter), and the repo server
# resolves a branch to its commit again after 5 s (upstream caches it for 3 min). The controller
# keeps each resource's health in the Application's status (--persist-resource-health): without
# Argo CD's API server, the only place a test can read it.

ARGOCD_DIR="$RUN/argocd"
ARGOCD_NAMESPACE=argocd
ARGOCD_REPO_SERVER_PORT=${MF_ARGOCD_REPO_SERVER_PORT:-56570}
ARGOCD_REDIS_PORT=${MF_ARGOCD_REDIS_PORT:-56571}
ARGOCD_GIT_PORT=${MF_ARGOCD_GIT_PORT:-56572}
ARGOCD_CONTROLLER_METRICS_PORT=${MF_ARGOCD_CONTROLLER_METRICS_PORT:-56573}
ARGOCD_REPO_SERVER_METRICS_PORT=${MF_ARGOCD_REPO_SERVER_METRICS_PORT:-56574}
ARGOCD_RESYNC_SECONDS=${MF_ARGOCD_RESYNC_SECONDS:-10}
ARGOCD_GIT_ROOT="$ARGOCD_DIR/git"

argocd_module_dir() {
  local dir; dir=$(cd "$CACHE" && GOFLAGS= go mod download -json "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$dir" ] && [ -d "$dir" ] || die "could not download github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION from the Go module proxy"
  echo "$dir"
}

install_argocd() {
  command -v redis-server >/dev/null && command -v git >/dev/null || {
    log "installing redis-server and git from Debian (Argo CD's cache, its Git server)"
    apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server git >/dev/null
  }
  local v=$ARGOCD_VERSION
  [ -x "$BIN/argocd" ] && [ "$(cat "$BIN/argocd.version" 2>/dev/null)" = "$v" ] && return
  local dir="$CACHE/go-src/argocd-$v" start; start=$(date +%s)
  mkdir -p "$dir"
  log "building Argo CD $v (Go module proxy); the first build takes several minutes"
  (
    cd "$dir"
    export GOFLAGS=-mod=mod CGO_ENABLED=0
    # Argo CD's own go.mod pins Kubernetes and a few others with replace directives, which only
    # a main module's go.mod applies: the wrapper repeats them. Its `./gitops-engine` replace
    # points inside its repository; the wrapper takes gitops-engine of the same version from
    # the proxy instead.
    local modfile; modfile=$(go mod download -json "github.com/argoproj/argo-cd/v3@$v" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    {
      echo "module mobileforge.local/argocd-build"
      echo "go 1.27.0"
      echo "require github.com/argoproj/argo-cd/v3 $v"
      sed -n '/^replace (/,/^)/p' "$modfile"
    } > go.mod
    go get "github.com/argoproj/argo-cd/v3/cmd@$v" >/dev/null 2>&1
    go build -trimpath -ldflags "-s -w -X github.com/argoproj/argo-cd/v3/common.version=${v#v}" -o "$BIN/argocd.tmp" github.com/argoproj/argo-cd/v3/cmd
    mv "$BIN/argocd.tmp" "$BIN/argocd"
    echo "$v" > "$BIN/argocd.version"
  ) || die "building Argo CD $v failed"
  log "built Argo CD $v in $(($(date +%s) - start)) s"
}

# The objects an upstream install puts into the cluster for the controller: its namespace,
# CRDs, service account and cluster RBAC, the default AppProject (upstream's API server creates
# it) and the settings ConfigMaps.
argocd_objects() {
  local m; m=$(argocd_module_dir)
  node_kubectl create namespace "$ARGOCD_NAMESPACE" --dry-run=client -o yaml | node_kubectl apply -f - >/dev/null
  local f
  for f in application-crd appproject-crd; do
    node_kubectl apply --server-side --force-conflicts -f "$m/manifests/crds/$f.yaml" >/dev/null
  done
  node_kubectl apply -n "$ARGOCD_NAMESPACE" -f "$m/manifests/base/application-controller-roles/argocd-application-controller-sa.yaml" \
    -f "$m/manifests/base/application-controller-roles/argocd-application-controller-role.yaml" \
    -f "$m/manifests/base/application-controller-roles/argocd-application-controller-rolebinding.yaml" >/dev/null
  node_kubectl apply -f "$m/manifests/cluster-rbac/application-controller/argocd-application-controller-clusterrole.yaml" >/dev/null
  # upstream binds the cluster role to the service account in the namespace kustomize sets
  sed "s/namespace: .*/namespace: $ARGOCD_NAMESPACE/" "$m/manifests/cluster-rbac/application-controller/argocd-application-controller-clusterrolebinding.yaml" \
    | node_kubectl apply -f - >/dev/null
  # server-side, with a field manager of its own: the health checks merged into argocd-cm later
  # (by another field manager) are kept when `up` runs again
  node_kubectl apply --server-side --field-manager=argocd-install -n "$ARGOCD_NAMESPACE" -f "$m/manifests/base/config/argocd-cm.yaml" -f "$m/manifests/base/config/argocd-secret.yaml" \
    -f "$m/manifests/base/config/argocd-rbac-cm.yaml" -f "$m/manifests/base/config/argocd-cmd-params-cm.yaml" \
    -f "$m/manifests/base/config/argocd-tls-certs-cm.yaml" -f "$m/manifests/base/config/argocd-ssh-known-hosts-cm.yaml" \
    -f "$m/manifests/base/config/argocd-gpg-keys-cm.yaml" >/dev/null
  # Argo CD's settings are incomplete without a signing key (upstream's API server makes one)
  if [ -z "$(node_kubectl get secret argocd-secret -n "$ARGOCD_NAMESPACE" -o jsonpath='{.data.server\.secretkey}')" ]; then
    node_kubectl patch secret argocd-secret -n "$ARGOCD_NAMESPACE" --type merge \
      -p "{\"stringData\":{\"server.secretkey\":\"$(openssl rand -hex 32)\"}}" >/dev/null
  fi
  node_kubectl apply -f - >/dev/null <<YAML
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: default, namespace: $ARGOCD_NAMESPACE}
spec:
  sourceRepos: ['*']
  destinations: [{namespace: '*', server: '*'}]
  clusterResourceWhitelist: [{group: '*', kind: '*'}]
YAML
}

up_argocd() {
  install_argocd
  is_up_node || die "Argo CD deploys to the node: start the node first (infra.sh up node argocd)"
  local d=$ARGOCD_DIR p="$NODE_DIR/pki"
  mkdir -p "$d/home" "$d/tmp" "$ARGOCD_GIT_ROOT"
  if [ ! -f "$p/argocd-application-controller.crt" ]; then
    openssl req -newkey rsa:2048 -nodes -subj "/O=system:serviceaccounts/O=system:serviceaccounts:$ARGOCD_NAMESPACE/CN=system:serviceaccount:$ARGOCD_NAMESPACE:argocd-application-controller" \
      -keyout "$p/argocd-application-controller.key" -out "$p/argocd-application-controller.csr" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' > "$p/argocd-application-controller.ext"
    openssl x509 -req -in "$p/argocd-application-controller.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial -days 3650 \
      -extfile "$p/argocd-application-controller.ext" -out "$p/argocd-application-controller.crt" 2>/dev/null
    rm -f "$p/argocd-application-controller.csr" "$p/argocd-application-controller.ext"
  fi
  node_kubeconfig "system:serviceaccount:$ARGOCD_NAMESPACE:argocd-application-controller" argocd-application-controller > "$d/controller.kubeconfig"
  argocd_objects

  if ! pid_alive "$d/redis.pid"; then
    log "argocd: starting Redis $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p') on 127.0.0.1:$ARGOCD_REDIS_PORT"
    # a cache only: no persistence
    setsid nohup redis-server --bind 127.0.0.1 --port "$ARGOCD_REDIS_PORT" --save '' --appendonly no \
      --dir "$d" --loglevel warning > "$d/redis.log" 2>&1 < /dev/null &
    echo $! > "$d/redis.pid"
  fi
  if ! pid_alive "$d/git-daemon.pid"; then
    log "argocd: serving Git repositories under $ARGOCD_GIT_ROOT at git://$NODE_IP:$ARGOCD_GIT_PORT/"
    setsid nohup git daemon --listen="$NODE_IP" --port="$ARGOCD_GIT_PORT" --base-path="$ARGOCD_GIT_ROOT" --export-all \
      --reuseaddr --informative-errors "$ARGOCD_GIT_ROOT" > "$d/git-daemon.log" 2>&1 < /dev/null &
    echo $! > "$d/git-daemon.pid"
  fi
  # The repo server runs git, helm, and a script upstream's image ships beside them (it checks
  # commit signatures and must exist even when none is required); its clones and caches stay
  # under $ARGOCD_DIR.
  mkdir -p "$d/bin"
  install -m 755 "$(argocd_module_dir)/hack/git-verify-wrapper.sh" "$d/bin/git-verify-wrapper.sh"
  local common_env=(env PATH="$d/bin:$BIN:$PATH" HOME="$d/home" TMPDIR="$d/tmp" ARGOCD_GPG_ENABLED=false
    ARGOCD_ASK_PASS_SOCK="$d/askpass.sock")
  wait_port "$ARGOCD_REDIS_PORT" 10 || die "Redis did not open its port; see $d/redis.log"
  if ! pid_alive "$d/repo-server.pid"; then
    log "argocd: starting Argo CD $ARGOCD_VERSION repo server on 127.0.0.1:$ARGOCD_REPO_SERVER_PORT"
    # plaintext gRPC on loopback; its default client CA path (mTLS) is refused with --disable-tls
    setsid nohup "${common_env[@]}" ARGOCD_BINARY_NAME=argocd-repo-server "$BIN/argocd" \
      --address 127.0.0.1 --port "$ARGOCD_REPO_SERVER_PORT" --disable-tls --client-ca-path "" --redis "127.0.0.1:$ARGOCD_REDIS_PORT" \
      --metrics-address 127.0.0.1 --metrics-port "$ARGOCD_REPO_SERVER_METRICS_PORT" --revision-cache-expiration 5s --loglevel warn \
      > "$d/repo-server.log" 2>&1 < /dev/null &
    echo $! > "$d/repo-server.pid"
  fi
  wait_port "$ARGOCD_REPO_SERVER_PORT" 30 || die "the Argo CD repo server did not open its port; see $d/repo-server.log"
  if ! pid_alive "$d/controller.pid"; then
    log "argocd: starting Argo CD $ARGOCD_VERSION application controller (refresh every $ARGOCD_RESYNC_SECONDS s)"
    setsid nohup "${common_env[@]}" ARGOCD_BINARY_NAME=argocd-application-controller KUBECONFIG="$d/controller.kubeconfig" \
      ARGOCD_FAKE_IN_CLUSTER=true "$BIN/argocd" --namespace "$ARGOCD_NAMESPACE" \
      --repo-server "127.0.0.1:$ARGOCD_REPO_SERVER_PORT" --repo-server-plaintext --redis "127.0.0.1:$ARGOCD_REDIS_PORT" \
      --metrics-port "$ARGOCD_CONTROLLER_METRICS_PORT" --app-resync "$ARGOCD_RESYNC_SECONDS" --app-resync-jitter 0 \
      --status-processors 4 --operation-processors 2 --persist-resource-health --loglevel info \
      > "$d/controller.log" 2>&1 < /dev/null &
    echo $! > "$d/controller.pid"
  fi
  wait_port "$ARGOCD_CONTROLLER_METRICS_PORT" 60 || die "the Argo CD application controller did not start; see $d/controller.log"
}

# An empty cluster for Argo CD to deploy to, as a new cluster is on its first sync: no CRD, no
# namespace but the defaults. A kube-apiserver of its own on loopback, storing under a prefix of
# its own in the node's etcd (so it costs one process, starts in seconds and leaves nothing when
# its prefix is deleted), with the node's CA; no kubelet or controllers behind it: what Argo CD
# applies there is stored and validated, never run. Argo CD reaches it through a cluster Secret
# with a certificate in system:masters, the access `argocd cluster add` grants. `up ID` prints
# the admin kubeconfig; `down ID` stops it and deletes its data.
ARGOCD_EMPTY_CLUSTER_PORT=${MF_ARGOCD_EMPTY_CLUSTER_PORT:-56575}
argocd_empty_cluster() { # up|down ID
  local action=$1 id=$2 d="$ARGOCD_DIR/empty-cluster" p="$NODE_DIR/pki"
  [[ $id =~ ^[a-z0-9-]+$ ]] || die "empty-cluster: the id must be lowercase letters, digits and dashes"
  local prefix="/mobileforge-empty-cluster/$id" secret=empty-cluster
  case $action in
    up)
      is_up_argocd || die "empty-cluster: start Argo CD first (infra.sh up node argocd)"
      mkdir -p "$d"
      stop_pid "$d/apiserver.pid" 10
      if [ ! -f "$d/argocd-manager.crt" ]; then
        openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=argocd-manager" -keyout "$d/argocd-manager.key" -out "$d/argocd-manager.csr" 2>/dev/null
        printf 'extendedKeyUsage=clientAuth\n' > "$d/argocd-manager.ext"
        openssl x509 -req -in "$d/argocd-manager.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial -days 3650 \
          -extfile "$d/argocd-manager.ext" -out "$d/argocd-manager.crt" 2>/dev/null
        rm -f "$d/argocd-manager.csr" "$d/argocd-manager.ext"
      fi
      setsid nohup "$BIN/kube-apiserver" \
        --etcd-servers="http://127.0.0.1:$NODE_ETCD_PORT" --etcd-prefix="$prefix" \
        --bind-address=127.0.0.1 --secure-port="$ARGOCD_EMPTY_CLUSTER_PORT" --cert-dir="$d" \
        --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" \
        --client-ca-file="$p/ca.crt" --service-cluster-ip-range="$NODE_SERVICE_CIDR" --authorization-mode=RBAC \
        --service-account-issuer=https://kubernetes.default.svc.cluster.local \
        --service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
        --enable-priority-and-fairness=false --profiling=false --v=0 > "$d/apiserver.log" 2>&1 < /dev/null &
      echo $! > "$d/apiserver.pid"
      cat > "$d/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: empty
  cluster: {server: 'https://127.0.0.1:$ARGOCD_EMPTY_CLUSTER_PORT', certificate-authority: '$p/ca.crt'}
users:
- name: argocd-manager
  user: {client-certificate: '$d/argocd-manager.crt', client-key: '$d/argocd-manager.key'}
contexts:
- name: empty
  context: {cluster: empty, user: argocd-manager}
current-context: empty
KC
      local i=0
      until "$BIN/kubectl" --kubeconfig "$d/kubeconfig" get --raw /readyz >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -gt 120 ] && die "the empty cluster's kube-apiserver not ready after 60 s; see $d/apiserver.log"
        sleep 0.5
      done
      local config
      config=$(printf '{"tlsClientConfig":{"caData":"%s","certData":"%s","keyData":"%s"}}' \
        "$(base64 -w0 < "$p/ca.crt")" "$(base64 -w0 < "$d/argocd-manager.crt")" "$(base64 -w0 < "$d/argocd-manager.key")")
      node_kubectl create secret generic "$secret" -n "$ARGOCD_NAMESPACE" --from-literal=name=empty \
        --from-literal=server="https://127.0.0.1:$ARGOCD_EMPTY_CLUSTER_PORT" --from-literal=config="$config" \
        --dry-run=client -o yaml | node_kubectl apply -f - >/dev/null
      node_kubectl label secret "$secret" -n "$ARGOCD_NAMESPACE" argocd.argoproj.io/secret-type=cluster --overwrite >/dev/null
      echo "$d/kubeconfig" ;;
    down)
      node_kubectl delete secret "$secret" -n "$ARGOCD_NAMESPACE" --ignore-not-found >/dev/null 2>&1 || true
      stop_pid "$d/apiserver.pid" 10
      # etcd's JSON gateway: delete the prefix's range (keys are base64; the range ends at the prefix's successor)
      local key end
      key=$(printf '%s/' "$prefix" | base64 -w0); end=$(printf '%s0' "$prefix" | base64 -w0)
      curl -fsS -X POST "http://127.0.0.1:$NODE_ETCD_PORT/v3/kv/deleterange" -d "{\"key\":\"$key\",\"range_end\":\"$end\"}" >/dev/null \
        || log "empty-cluster: could not delete $prefix from the node's etcd" ;;
    *) die "usage: infra.sh empty-cluster up|down ID" ;;
  esac
}

down_argocd() {
  local f
  for f in empty-cluster/apiserver controller repo-server git-daemon redis; do stop_pid "$ARGOCD_DIR/$f.pid" 10; done
  [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$ARGOCD_DIR"
}
is_up_argocd() {
  local f
  for f in controller repo-server git-daemon redis; do pid_alive "$ARGOCD_DIR/$f.pid" || return 1; done
}
version_argocd() { echo "Argo CD $ARGOCD_VERSION"; }
addr_argocd() { echo "git://$NODE_IP:$ARGOCD_GIT_PORT (namespace $ARGOCD_NAMESPACE)"; }
