# The node's autoscalers: metrics-server (the resource metrics API the HPA controller reads)
# and KEDA (its operator and its external metrics API server), as a platform team installs
# them on a cluster. Sourced by infra.sh and used by the `node` service (node.sh): `up node`
# starts them after the kubelet, `down node` stops them.
#
# They run as host processes bound to the bridge address ($NODE_IP), not as pods: no image
# needs building, and they reach the kubelet, Kafka (through its bridge listener) and the API
# server the way pods would. Each has an identity of its own, a client certificate from the
# cluster CA for the service account its upstream manifests name, and exactly the RBAC those
# manifests grant that service account. The API server reaches them through the aggregation
# layer: an APIService, and a Service without selector whose EndpointSlice points at the
# process on the bridge.
#
# The API server also writes an audit log of every write to Deployments and their scale
# subresource, and of every write by a service account of the operator's namespace
# (mobileforge-system) to anything, and of every eviction ($NODE_DIR/audit.log), so tests can
# tell who changed replicas, whether the operator wrote at all, and how a drain went.

AUTOSCALERS_DIR="$NODE_DIR/autoscalers"
METRICS_SERVER_PORT=${MF_METRICS_SERVER_PORT:-56560}
KEDA_ADAPTER_PORT=${MF_KEDA_ADAPTER_PORT:-56561}
KEDA_GRPC_PORT=${MF_KEDA_GRPC_PORT:-56562}
KEDA_OPERATOR_METRICS_PORT=${MF_KEDA_OPERATOR_METRICS_PORT:-56563}
KEDA_OPERATOR_HEALTH_PORT=${MF_KEDA_OPERATOR_HEALTH_PORT:-56564}
KEDA_ADAPTER_METRICS_PORT=${MF_KEDA_ADAPTER_METRICS_PORT:-56565}
NODE_AUDIT_LOG="$NODE_DIR/audit.log"

# MF_NODE_AUTOSCALERS=0 starts the node without them (HPAs then report FailedGetResourceMetric
# and KEDA's API is absent, so the operator falls back to HPAs).
autoscalers_wanted() { [ "${MF_NODE_AUTOSCALERS:-1}" != 0 ]; }

install_autoscalers() {
  autoscalers_wanted || return 0
  bash "$INFRA_DIR/build-autoscalers.sh" all
}

module_dir() { # module version -> its directory in the Go module cache (downloaded if missing)
  local dir; dir=$(cd "$CACHE" && go mod download -json "$1@$2" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$dir" ] && [ -d "$dir" ] || die "could not download $1@$2 from the Go module proxy"
  echo "$dir"
}

# Certificates: the aggregation layer's front proxy (its own CA, as kubeadm does), the
# autoscalers' client identities (cluster CA) and serving certificates, and KEDA's own CA for
# the mutual TLS between its operator and its metrics API server.
autoscalers_certs() {
  local d="$NODE_DIR/pki"
  [ -f "$d/front-proxy-client.crt" ] && return
  (
    cd "$d"
    sign() { # name subject ca san usage
      openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
      { [ -n "$4" ] && echo "subjectAltName=$4"; echo "extendedKeyUsage=$5"; } > "$1.ext"
      openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -days 3650 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mobileforge-node-front-proxy-ca" -keyout front-proxy-ca.key -out front-proxy-ca.crt 2>/dev/null
    sign front-proxy-client "/CN=front-proxy-client" front-proxy-ca "" clientAuth
    sign metrics-server-client "/O=system:serviceaccounts/O=system:serviceaccounts:kube-system/CN=system:serviceaccount:kube-system:metrics-server" ca "" clientAuth
    sign metrics-server-serving "/CN=metrics-server" ca "IP:$NODE_IP,DNS:metrics-server.kube-system.svc" serverAuth
    sign keda-client "/O=system:serviceaccounts/O=system:serviceaccounts:keda/CN=system:serviceaccount:keda:keda-operator" ca "" clientAuth
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/O=KEDAORG/CN=KEDA" -keyout keda-ca.key -out keda-ca.crt 2>/dev/null
    sign keda "/O=KEDAORG/CN=keda-operator" keda-ca \
      "IP:$NODE_IP,DNS:keda-operator.keda.svc,DNS:keda-operator.keda.svc.cluster.local,DNS:keda-metrics-apiserver.keda.svc,DNS:keda-metrics-apiserver.keda.svc.cluster.local" \
      serverAuth,clientAuth
  )
  mkdir -p "$AUTOSCALERS_DIR/keda-certs"
  # KEDA reads its mutual-TLS material from one directory under fixed names
  cp "$d/keda-ca.crt" "$AUTOSCALERS_DIR/keda-certs/ca.crt"
  cp "$d/keda.crt" "$AUTOSCALERS_DIR/keda-certs/tls.crt"
  cp "$d/keda.key" "$AUTOSCALERS_DIR/keda-certs/tls.key"
}

# Flags the node's kube-apiserver needs for the aggregation layer and the audit log; printed
# one per line for node.sh (called before the API server starts).
autoscalers_apiserver_flags() {
  mkdir -p "$AUTOSCALERS_DIR"
  autoscalers_certs
  cat > "$AUTOSCALERS_DIR/audit-policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Request
  verbs: [create, update, patch, delete]
  resources:
  - group: apps
    resources: [deployments, deployments/scale]
- level: Metadata
  verbs: [create, update, patch, delete]
  userGroups: ["system:serviceaccounts:mobileforge-system"]
- level: Metadata
  verbs: [create]
  resources:
  - group: ""
    resources: [pods/eviction]
- level: None
YAML
  local d="$NODE_DIR/pki"
  printf '%s\n' \
    "--requestheader-client-ca-file=$d/front-proxy-ca.crt" \
    "--requestheader-allowed-names=front-proxy-client" \
    "--requestheader-username-headers=X-Remote-User" \
    "--requestheader-group-headers=X-Remote-Group" \
    "--requestheader-extra-headers-prefix=X-Remote-Extra-" \
    "--proxy-client-cert-file=$d/front-proxy-client.crt" \
    "--proxy-client-key-file=$d/front-proxy-client.key" \
    "--enable-aggregator-routing=true" \
    "--audit-policy-file=$AUTOSCALERS_DIR/audit-policy.yaml" \
    "--audit-log-path=$NODE_AUDIT_LOG" \
    "--audit-log-format=json" \
    "--audit-log-maxsize=100"
}

# A Service without selector and its EndpointSlice: the API server's aggregation layer sends
# the group's requests to the process listening on the bridge address.
autoscalers_endpoint() { # namespace name port
  cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: $2, namespace: $1}
spec:
  ports: [{name: https, port: 443, targetPort: $3, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $2-host
  namespace: $1
  labels: {kubernetes.io/service-name: $2, endpointslice.kubernetes.io/managed-by: mobileforge-test-infra}
addressType: IPv4
ports: [{name: https, port: $3, protocol: TCP}]
endpoints: [{addresses: ["$NODE_IP"], conditions: {ready: true}}]
YAML
}
autoscalers_apiservice() { # group namespace service ca-file
  cat <<YAML
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.$1}
spec:
  group: $1
  version: v1beta1
  service: {namespace: $2, name: $3, port: 443}
  caBundle: $(base64 -w0 < "$4")
  groupPriorityMinimum: 100
  versionPriority: 100
YAML
}

autoscalers_up() {
  autoscalers_wanted || return 0
  install_autoscalers
  autoscalers_objects
  metrics_server_up
  keda_up
  autoscalers_wait v1beta1.metrics.k8s.io v1beta1.external.metrics.k8s.io
}

# What the upstream manifests install (CRDs, service accounts, RBAC), and the aggregation
# layer's APIServices, Services and EndpointSlices.
autoscalers_objects() {
  mkdir -p "$AUTOSCALERS_DIR"
  autoscalers_certs
  local d=$AUTOSCALERS_DIR ms_mod keda_mod f
  node_kubeconfig system:serviceaccount:kube-system:metrics-server metrics-server-client > "$d/metrics-server.kubeconfig"
  node_kubeconfig system:serviceaccount:keda:keda-operator keda-client > "$d/keda.kubeconfig"

  # The upstream objects, from the same module versions the binaries were built from.
  ms_mod=$(module_dir sigs.k8s.io/metrics-server "$METRICS_SERVER_VERSION")
  keda_mod=$(module_dir github.com/kedacore/keda/v2 "$KEDA_VERSION")
  node_kubectl apply -f "$ms_mod/manifests/base/rbac.yaml" >/dev/null
  node_kubectl create namespace keda --dry-run=client -o yaml | node_kubectl apply -f - >/dev/null
  for f in "$keda_mod"/config/crd/bases/*.yaml; do node_kubectl apply --server-side --force-conflicts -f "$f" >/dev/null; done
  for f in service_account/service_account.yaml rbac/role.yaml rbac/role_binding.yaml rbac/aggregate_cluster_roles.yaml \
    metrics-server/role.yaml metrics-server/role_binding.yaml; do
    node_kubectl apply -f "$keda_mod/config/$f" >/dev/null
  done
  {
    autoscalers_endpoint kube-system metrics-server "$METRICS_SERVER_PORT"; echo ---
    autoscalers_endpoint keda keda-metrics-apiserver "$KEDA_ADAPTER_PORT"; echo ---
    autoscalers_apiservice metrics.k8s.io kube-system metrics-server "$NODE_DIR/pki/ca.crt"; echo ---
    autoscalers_apiservice external.metrics.k8s.io keda keda-metrics-apiserver "$NODE_DIR/pki/keda-ca.crt"
  } | node_kubectl apply -f - >/dev/null
}

metrics_server_up() {
  local d=$AUTOSCALERS_DIR p="$NODE_DIR/pki"
  if ! pid_alive "$d/metrics-server.pid"; then
    log "node: starting metrics-server $METRICS_SERVER_VERSION on https://$NODE_IP:$METRICS_SERVER_PORT"
    setsid nohup "$BIN/metrics-server" --bind-address="$NODE_IP" --secure-port="$METRICS_SERVER_PORT" \
      --kubeconfig="$d/metrics-server.kubeconfig" --authentication-kubeconfig="$d/metrics-server.kubeconfig" \
      --authorization-kubeconfig="$d/metrics-server.kubeconfig" \
      --tls-cert-file="$p/metrics-server-serving.crt" --tls-private-key-file="$p/metrics-server-serving.key" \
      --kubelet-certificate-authority="$p/ca.crt" --kubelet-client-certificate="$p/metrics-server-client.crt" \
      --kubelet-client-key="$p/metrics-server-client.key" --kubelet-preferred-address-types=InternalIP \
      --kubelet-use-node-status-port --metric-resolution=15s --profiling=false \
      --v=0 > "$d/metrics-server.log" 2>&1 < /dev/null &
    echo $! > "$d/metrics-server.pid"
  fi
}

keda_up() {
  local d=$AUTOSCALERS_DIR
  # KEDA: every namespace, its cluster objects in `keda`, certificates managed here (not rotated
  # by KEDA), no admission webhooks (the operator's validation runs on the same objects).
  local keda_env=(env KUBECONFIG="$d/keda.kubeconfig" WATCH_NAMESPACE="" POD_NAMESPACE=keda KEDA_CLUSTER_OBJECT_NAMESPACE=keda)
  if ! pid_alive "$d/keda-operator.pid"; then
    log "node: starting KEDA $KEDA_VERSION operator (gRPC metrics service on $NODE_IP:$KEDA_GRPC_PORT)"
    setsid nohup "${keda_env[@]}" "$BIN/keda" --leader-elect=false --zap-log-level=info --zap-encoder=console \
      --metrics-bind-address="127.0.0.1:$KEDA_OPERATOR_METRICS_PORT" --health-probe-bind-address="127.0.0.1:$KEDA_OPERATOR_HEALTH_PORT" \
      --metrics-service-bind-address="$NODE_IP:$KEDA_GRPC_PORT" --cert-dir="$d/keda-certs" \
      --enable-cert-rotation=false --enable-webhook-patching=false --enable-apiservice-patching=false \
      > "$d/keda-operator.log" 2>&1 < /dev/null &
    echo $! > "$d/keda-operator.pid"
  fi
  if ! pid_alive "$d/keda-adapter.pid"; then
    log "node: starting KEDA $KEDA_VERSION metrics API server on https://$NODE_IP:$KEDA_ADAPTER_PORT"
    setsid nohup "${keda_env[@]}" "$BIN/keda-adapter" --bind-address="$NODE_IP" --secure-port="$KEDA_ADAPTER_PORT" \
      --port="$KEDA_ADAPTER_METRICS_PORT" --lister-kubeconfig="$d/keda.kubeconfig" \
      --authentication-kubeconfig="$d/keda.kubeconfig" --authorization-kubeconfig="$d/keda.kubeconfig" \
      --cert-dir="$d/keda-certs" --tls-cert-file="$d/keda-certs/tls.crt" --tls-private-key-file="$d/keda-certs/tls.key" \
      --metrics-service-address="$NODE_IP:$KEDA_GRPC_PORT" --zap-log-level=error --profiling=false \
      > "$d/keda-adapter.log" 2>&1 < /dev/null &
    echo $! > "$d/keda-adapter.pid"
  fi
}

autoscalers_wait() { # apiservice...
  local i=0 api d=$AUTOSCALERS_DIR
  for api in "$@"; do
    until node_kubectl get apiservice "$api" -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null | grep -q True; do
      i=$((i + 1))
      [ $i -gt 240 ] && die "APIService $api not Available after 120 s; see $d/*.log ($(node_kubectl get apiservice "$api" -o jsonpath='{.status.conditions[0].message}' 2>/dev/null))"
      sleep 0.5
    done
  done
}

autoscalers_down() {
  local f
  for f in keda-adapter keda-operator metrics-server; do stop_pid "$AUTOSCALERS_DIR/$f.pid" 5; done
}

is_up_autoscalers() {
  pid_alive "$AUTOSCALERS_DIR/metrics-server.pid" && pid_alive "$AUTOSCALERS_DIR/keda-operator.pid" && pid_alive "$AUTOSCALERS_DIR/keda-adapter.pid"
}
