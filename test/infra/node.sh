# The `node` test service: a one-node Kubernetes cluster that runs real pods. Sourced by
# infra.sh, not run.
#
# It is a cluster of its own (etcd, kube-apiserver, kube-controller-manager with its normal
# controllers, kube-scheduler, containerd, kubelet, kube-proxy), separate from the `kube`
# service on purpose: the integration suites play the kubelet and the Deployment and Job
# controllers on `kube` (they write Deployment and Job status by hand), and a real Deployment
# controller would overwrite that status, while real pods for their Deployments would ask
# containerd for images that exist nowhere here.
#
# Networking: a bridge that this script creates ($NODE_BRIDGE, $NODE_IP/24). The API server,
# the kubelet and the pods use only that bridge; PostgreSQL, Kafka and the MongoDB-wire server
# are reachable from pods at $NODE_IP through forwarders to their loopback listeners, plaintext
# and TLS (Kafka also advertises a plaintext and a SASL_SSL listener as $NODE_IP; the services'
# certificates name $NODE_IP). Pod traffic to anywhere else is dropped.

NODE_NAME=${MF_NODE_NAME:-mobileforge-node}
NODE_BRIDGE=${MF_NODE_BRIDGE:-mfnode0}
NODE_SUBNET=${MF_NODE_SUBNET:-172.31.240}          # a /24: .1 is the host end, pods from .10
NODE_SERVICE_CIDR=${MF_NODE_SERVICE_CIDR:-172.31.241.0/24}
NODE_IP=$NODE_SUBNET.1
NODE_POD_CIDR=$NODE_SUBNET.0/24
NODE_ETCD_PORT=${MF_NODE_ETCD_PORT:-52381}
NODE_ETCD_PEER_PORT=${MF_NODE_ETCD_PEER_PORT:-52382}
NODE_APISERVER_PORT=${MF_NODE_APISERVER_PORT:-56543}
NODE_KCM_PORT=${MF_NODE_KCM_PORT:-56544}
NODE_SCHEDULER_PORT=${MF_NODE_SCHEDULER_PORT:-56545}
KUBELET_PORT=${MF_KUBELET_PORT:-56550}
KUBELET_HEALTHZ_PORT=${MF_KUBELET_HEALTHZ_PORT:-56551}
KUBE_PROXY_HEALTHZ_PORT=${MF_KUBE_PROXY_HEALTHZ_PORT:-56552}
KUBE_PROXY_METRICS_PORT=${MF_KUBE_PROXY_METRICS_PORT:-56553}
NODE_DIR="$RUN/node"
NODE_CONTAINERD_SOCK="$NODE_DIR/containerd/containerd.sock"
# containerd's content store outlives `down` (the imported images are most of a warm start);
# its containers do not.
NODE_CONTAINERD_ROOT=${MF_NODE_CONTAINERD_ROOT:-$CACHE/node-containerd}
export NODE_CONTAINERD_SOCK
# iptables chain that keeps pod traffic on the harness's own addresses
NODE_FW_CHAIN="MF-NODE-${NODE_BRIDGE}"

install_node() {
  install_kube
  local missing=()
  for c in containerd runc ctr podman debootstrap socat iptables conntrack; do command -v "$c" >/dev/null || missing+=("$c"); done
  [ -x /usr/lib/cni/bridge ] || missing+=(cni)
  if [ ${#missing[@]} -gt 0 ]; then bash "$INFRA_DIR/prereqs.sh"; fi
  bash "$INFRA_DIR/images.sh" pause
  install_autoscalers
}

node_kubectl() { "$BIN/kubectl" --kubeconfig "$NODE_DIR/kubeconfig" "$@"; }

node_certs() {
  local d="$NODE_DIR/pki"; [ -f "$d/admin.crt" ] && return
  mkdir -p "$d"
  log "node: generating the cluster CA and its component certificates"
  (
    cd "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mobileforge-node-ca" -keyout ca.key -out ca.crt 2>/dev/null
    sign() { # name subject [san]
      openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
      if [ -n "${3:-}" ]; then printf 'subjectAltName=%s\n' "$3" > "$1.ext"; else : > "$1.ext"; fi
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    local svc_ip; svc_ip=$(first_service_ip)
    sign apiserver "/CN=kube-apiserver" "IP:$NODE_IP,IP:127.0.0.1,IP:$svc_ip,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    sign admin "/O=system:masters/CN=mobileforge-node-admin"
    sign kcm "/CN=system:kube-controller-manager"
    sign scheduler "/CN=system:kube-scheduler"
    sign kube-proxy "/CN=system:kube-proxy"
    sign kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME"
    sign kubelet-serving "/CN=$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
    sign apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
}
first_service_ip() { local n=${NODE_SERVICE_CIDR%/*}; echo "${n%.*}.$(( ${n##*.} + 1 ))"; }
node_kubeconfig() { # user cert key
  cat <<KC
apiVersion: v1
kind: Config
clusters:
- name: mobileforge-node
  cluster:
    server: https://$NODE_IP:$NODE_APISERVER_PORT
    certificate-authority: $NODE_DIR/pki/ca.crt
users:
- name: $1
  user:
    client-certificate: $NODE_DIR/pki/$2.crt
    client-key: $NODE_DIR/pki/$2.key
contexts:
- name: mobileforge-node
  context: {cluster: mobileforge-node, user: $1}
current-context: mobileforge-node
KC
}

# ------------------------------------------------------------- the bridge and its guard
node_network_up() {
  if ! ip link show "$NODE_BRIDGE" >/dev/null 2>&1; then
    log "node: creating bridge $NODE_BRIDGE ($NODE_IP/24)"
    ip link add "$NODE_BRIDGE" type bridge
  fi
  # (the output captured first: `grep -q` quitting early would fail `ip` with SIGPIPE under pipefail)
  [[ $(ip -4 addr show dev "$NODE_BRIDGE") == *"inet $NODE_IP/"* ]] || ip addr add "$NODE_IP/24" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  # Pod -> Service traffic is DNATed on the host and forwarded back onto the bridge; the reply
  # between two pods on one bridge must pass iptables too, or it skips the reverse NAT.
  [ -f "$NODE_DIR/sysctl.saved" ] || {
    printf 'net.ipv4.ip_forward=%s\nnet.bridge.bridge-nf-call-iptables=%s\n' \
      "$(sysctl -n net.ipv4.ip_forward)" "$(sysctl -n net.bridge.bridge-nf-call-iptables 2>/dev/null || echo 0)" > "$NODE_DIR/sysctl.saved"
  }
  sysctl -qw net.ipv4.ip_forward=1
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 || die "net.bridge.bridge-nf-call-iptables is not available (br_netfilter)"
  # Forwarding is on only for the pods' sake: anything a pod sends that is not for another
  # pod or a Service (DNATed to a pod before this chain sees it) is dropped here.
  iptables -w -N "$NODE_FW_CHAIN" 2>/dev/null || iptables -w -F "$NODE_FW_CHAIN"
  iptables -w -A "$NODE_FW_CHAIN" -s "$NODE_POD_CIDR" -d "$NODE_POD_CIDR" -j RETURN
  iptables -w -A "$NODE_FW_CHAIN" -s "$NODE_POD_CIDR" -j DROP
  iptables -w -A "$NODE_FW_CHAIN" -d "$NODE_POD_CIDR" -j DROP
  iptables -w -C FORWARD -j "$NODE_FW_CHAIN" 2>/dev/null || iptables -w -I FORWARD 1 -j "$NODE_FW_CHAIN"
  node_drop_injected_rejects
}
# A suite that injects a fault refuses traffic to the bridge address with an INPUT rule and
# removes it when done; a suite killed mid-way leaves it behind, and the next run's pods then
# cannot reach Kafka. Any such REJECT is dropped when the network comes up or goes down.
node_drop_injected_rejects() {
  local rules rule args
  rules=$(iptables -w -S INPUT | grep -- "-d $NODE_IP/32" | grep -- '-j REJECT' || true)
  while read -r rule; do
    [ -n "$rule" ] || continue
    read -ra args <<< "${rule/#-A /-D }"
    log "node: removing a fault rule left by an interrupted suite: $rule"
    iptables -w "${args[@]}" || true
  done <<< "$rules"
}
node_network_down() {
  node_drop_injected_rejects
  if iptables -w -C FORWARD -j "$NODE_FW_CHAIN" 2>/dev/null; then iptables -w -D FORWARD -j "$NODE_FW_CHAIN"; fi
  iptables -w -F "$NODE_FW_CHAIN" 2>/dev/null && iptables -w -X "$NODE_FW_CHAIN" 2>/dev/null || true
  ip link show "$NODE_BRIDGE" >/dev/null 2>&1 && ip link del "$NODE_BRIDGE"
  if [ -f "$NODE_DIR/sysctl.saved" ]; then sysctl -qp "$NODE_DIR/sysctl.saved" >/dev/null 2>&1 || true; fi
}

# ------------------------------------------------------------- control plane
node_control_plane_up() {
  local d=$NODE_DIR
  node_kubeconfig mobileforge-node-admin admin > "$d/kubeconfig"
  node_kubeconfig kcm kcm > "$d/kcm.kubeconfig"
  node_kubeconfig scheduler scheduler > "$d/scheduler.kubeconfig"
  node_kubeconfig kube-proxy kube-proxy > "$d/kube-proxy.kubeconfig"
  node_kubeconfig "system:node:$NODE_NAME" kubelet-client > "$d/kubelet.kubeconfig"
  if ! port_open "$NODE_ETCD_PORT"; then
    setsid nohup "$BIN/etcd" --name mf-node --data-dir "$d/etcd" \
      --listen-client-urls "http://127.0.0.1:$NODE_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$NODE_ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$NODE_ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$NODE_ETCD_PEER_PORT" \
      --initial-cluster "mf-node=http://127.0.0.1:$NODE_ETCD_PEER_PORT" --listen-metrics-urls "" \
      --unsafe-no-fsync=true --quota-backend-bytes=2147483648 --log-level=warn > "$d/etcd.log" 2>&1 < /dev/null &
    echo $! > "$d/etcd.pid"
    wait_port "$NODE_ETCD_PORT" 30 || die "node etcd did not start; see $d/etcd.log"
  fi
  if ! node_kubectl get --raw /readyz >/dev/null 2>&1; then
    log "node: starting kube-apiserver on https://$NODE_IP:$NODE_APISERVER_PORT"
    setsid nohup "$BIN/kube-apiserver" \
      --etcd-servers="http://127.0.0.1:$NODE_ETCD_PORT" --bind-address="$NODE_IP" --secure-port="$NODE_APISERVER_PORT" \
      --advertise-address="$NODE_IP" --cert-dir="$d/pki" \
      --tls-cert-file="$d/pki/apiserver.crt" --tls-private-key-file="$d/pki/apiserver.key" \
      --client-ca-file="$d/pki/ca.crt" --service-cluster-ip-range="$NODE_SERVICE_CIDR" \
      --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
      --service-account-issuer=https://kubernetes.default.svc.cluster.local \
      --service-account-key-file="$d/pki/sa.pub" --service-account-signing-key-file="$d/pki/sa.key" \
      --kubelet-client-certificate="$d/pki/apiserver-kubelet-client.crt" --kubelet-client-key="$d/pki/apiserver-kubelet-client.key" \
      --kubelet-certificate-authority="$d/pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
      --enable-priority-and-fairness=false --profiling=false \
      $(autoscalers_apiserver_flags) \
      --v=0 > "$d/apiserver.log" 2>&1 < /dev/null &
    echo $! > "$d/apiserver.pid"
    local i=0
    until node_kubectl get --raw /readyz >/dev/null 2>&1; do
      i=$((i + 1)); [ $i -gt 120 ] && die "node kube-apiserver not ready after 60 s; see $d/apiserver.log"
      sleep 0.5
    done
  fi
  if ! port_open "$NODE_KCM_PORT"; then
    # The normal controller set (Deployment, ReplicaSet, Job, CronJob, HPA, garbage collector,
    # namespace, service accounts and their tokens, endpoints and EndpointSlices, ...), each
    # under its own service account as in a real cluster.
    setsid nohup "$BIN/kube-controller-manager" --kubeconfig="$d/kcm.kubeconfig" \
      --authentication-kubeconfig="$d/kcm.kubeconfig" --authorization-kubeconfig="$d/kcm.kubeconfig" \
      --bind-address=127.0.0.1 --secure-port="$NODE_KCM_PORT" --leader-elect=false \
      --controllers='*' --use-service-account-credentials=true \
      --service-account-private-key-file="$d/pki/sa.key" --root-ca-file="$d/pki/ca.crt" \
      --cluster-signing-cert-file="$d/pki/ca.crt" --cluster-signing-key-file="$d/pki/ca.key" \
      --service-cluster-ip-range="$NODE_SERVICE_CIDR" --profiling=false \
      --v=0 > "$d/kcm.log" 2>&1 < /dev/null &
    echo $! > "$d/kcm.pid"
  fi
  if ! port_open "$NODE_SCHEDULER_PORT"; then
    setsid nohup "$BIN/kube-scheduler" --kubeconfig="$d/scheduler.kubeconfig" \
      --authentication-kubeconfig="$d/scheduler.kubeconfig" --authorization-kubeconfig="$d/scheduler.kubeconfig" \
      --bind-address=127.0.0.1 --secure-port="$NODE_SCHEDULER_PORT" --leader-elect=false --profiling=false \
      --v=0 > "$d/scheduler.log" 2>&1 < /dev/null &
    echo $! > "$d/scheduler.pid"
  fi
  wait_port "$NODE_KCM_PORT" 30 || die "node kube-controller-manager did not start; see $d/kcm.log"
  wait_port "$NODE_SCHEDULER_PORT" 30 || die "kube-scheduler did not start; see $d/scheduler.log"
}

# ------------------------------------------------------------- containerd
# The pods' network: the node bridge, addresses from .FIRST to .LAST of its subnet (each node a
# range of its own, remembered under DIR), the bridge's address their gateway.
node_cni_config() { # dir first last
  cat > "$1/cni/net.d/10-mobileforge.conflist" <<CNI
{
  "cniVersion": "1.0.0",
  "name": "mobileforge",
  "plugins": [{
    "type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
    "ipam": {"type": "host-local", "dataDir": "$1/cni/ipam",
             "ranges": [[{"subnet": "$NODE_POD_CIDR", "rangeStart": "$NODE_SUBNET.$2", "rangeEnd": "$NODE_SUBNET.$3", "gateway": "$NODE_IP"}]],
             "routes": [{"dst": "0.0.0.0/0"}]}
  }]
}
CNI
}
node_containerd_up() {
  local d="$NODE_DIR/containerd"
  mkdir -p "$d" "$NODE_DIR/cni/net.d" "$d/certs.d/_default"
  node_cni_config "$NODE_DIR" 10 127
  # No registry is reachable from here and none may be asked: every image is imported
  # locally, and a pull for anything else is sent to a closed loopback port and fails at once.
  printf 'server = "http://127.0.0.1:9"\n[host."http://127.0.0.1:9"]\n  capabilities = ["pull", "resolve"]\n' > "$d/certs.d/_default/hosts.toml"
  cat > "$d/config.toml" <<TOML
version = 2
root = "$NODE_CONTAINERD_ROOT"
state = "$d/state"
oom_score = 0
[grpc]
  address = "$NODE_CONTAINERD_SOCK"
[ttrpc]
  address = "$NODE_CONTAINERD_SOCK.ttrpc"
[debug]
  level = "warn"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/mobileforge/pause:1"
  # This VM does not grant CAP_SYS_RESOURCE, so lowering a process's oom_score_adj fails;
  # without this every sandbox dies with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_hugetlb_controller = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_DIR/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$d/certs.d"
TOML
  containerd_start node "$NODE_CONTAINERD_SOCK" "$d/config.toml" "$NODE_DIR/containerd.pid"
  bash "$INFRA_DIR/images.sh" pause-load
}

# ------------------------------------------------------------- what both nodes share
# A node's containerd (LABEL SOCK CONFIG PIDFILE), started unless its socket answers; its log
# beside the configuration.
containerd_start() {
  local label=$1 sock=$2 config=$3 pidfile=$4 log_file i=0
  log_file="$(dirname "$config")/containerd.log"
  ctr --address "$sock" version >/dev/null 2>&1 && return 0
  log "$label: starting containerd $(containerd --version | awk '{print $3}')"
  setsid nohup containerd --config "$config" > "$log_file" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  until ctr --address "$sock" version >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && die "$label: containerd did not start; see $log_file"
    sleep 0.2
  done
}
# Waits until the Node NAME is Ready (90 s at most; LOG is the kubelet's, named if it is not).
kubelet_wait_ready() {
  local name=$1 log_file=$2 i=0
  until node_kubectl get node "$name" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -q True; do
    i=$((i + 1)); [ $i -gt 180 ] && die "node $name not Ready after 90 s; see $log_file"
    sleep 0.5
  done
}
# The network namespaces of the pods a containerd (SOCK) runs, one path a line; read while it answers.
containerd_pod_netns() {
  local sock=$1 c
  ctr --address "$sock" version >/dev/null 2>&1 || return 0
  for c in $(ctr --address "$sock" -n k8s.io containers ls -q 2>/dev/null); do
    ctr --address "$sock" -n k8s.io containers info "$c" 2>/dev/null \
      | sed -n 's/.*"path": "\(\/var\/run\/netns\/[^"]*\)".*/\1/p' | head -1
  done
}
# Every container a containerd (SOCK) runs killed, its CNI result removed.
containerd_kill_all() {
  local sock=$1 c
  ctr --address "$sock" version >/dev/null 2>&1 || return 0
  for c in $(ctr --address "$sock" -n k8s.io containers ls -q 2>/dev/null); do
    rm -f /var/lib/cni/results/*-"$c"-*
    ctr --address "$sock" -n k8s.io tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
  done
}
# Shims outlive containerd; a node's are the ones started with its socket address.
containerd_kill_shims() {
  local p
  for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $1" || true); do kill -KILL "$p" 2>/dev/null || true; done
}
# The network namespaces given (paths, a line each) deleted.
delete_netns() {
  local ns
  for ns in $(sort -u <<< "$1"); do ip netns delete "$(basename "$ns")" 2>/dev/null || true; done
}
# Every mount under DIR/ undone, deepest first.
unmount_under() {
  [ -d "$1" ] || return 0
  awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# ------------------------------------------------------------- kubelet and kube-proxy
node_kubelet_up() {
  local d=$NODE_DIR
  mkdir -p "$d/kubelet"
  # The pods get an empty resolv.conf: nothing they run needs a name (the pipeline points at
  # addresses), and the machine's resolver is not theirs to ask.
  : > "$d/resolv.conf"
  cat > "$d/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine mounts cgroup v1 hierarchies (hybrid) and has no systemd as PID 1.
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$NODE_CONTAINERD_SOCK
failSwapOn: false
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $d/pki/kubelet-serving.crt
tlsPrivateKeyFile: $d/pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $d/pki/ca.crt}
# only holders of a certificate from this cluster's CA get past authentication
authorization: {mode: AlwaysAllow}
resolvConf: $d/resolv.conf
clusterDomain: cluster.local
maxPods: 40
# Images are imported, never pulled: keep them however full the disk is.
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: "200Mi", nodefs.available: "2%", imagefs.available: "2%"}
serializeImagePulls: false
containerLogMaxSize: 5Mi
shutdownGracePeriod: 0s
YAML
  if ! port_open "$KUBELET_HEALTHZ_PORT"; then
    log "node: starting kubelet $KUBERNETES_VERSION as node $NODE_NAME ($NODE_IP)"
    setsid nohup "$BIN/kubelet" --config="$d/kubelet.yaml" --kubeconfig="$d/kubelet.kubeconfig" \
      --root-dir="$d/kubelet" --node-ip="$NODE_IP" --hostname-override="$NODE_NAME" \
      --v=0 > "$d/kubelet.log" 2>&1 < /dev/null &
    echo $! > "$d/kubelet.pid"
  fi
  # kube-proxy exits when its configuration file is written to, so it is written only here
  if ! port_open "$KUBE_PROXY_HEALTHZ_PORT"; then
    cat > "$d/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $d/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $NODE_POD_CIDR
healthzBindAddress: 127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$KUBE_PROXY_METRICS_PORT
# NodePorts only on the bridge's address, never on the machine's own interfaces
nodePortAddresses: ["$NODE_POD_CIDR"]
iptables: {localhostNodePorts: false}
# leave the machine's conntrack sysctls alone
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
    setsid nohup "$BIN/kube-proxy" --config="$d/kube-proxy.yaml" --v=0 > "$d/kube-proxy.log" 2>&1 < /dev/null &
    echo $! > "$d/kube-proxy.pid"
  fi
  kubelet_wait_ready "$NODE_NAME" "$d/kubelet.log"
  wait_port "$KUBE_PROXY_HEALTHZ_PORT" 30 || die "kube-proxy did not start; see $d/kube-proxy.log"
}

# ------------------------------------------------------------- the data services, seen from pods
# socat forwarders from $NODE_IP to the services' loopback listeners, so the services keep
# their loopback-only configuration and need not restart when the node comes and goes.
node_forwarders_up() {
  local name port
  for spec in "postgres:$PG_PORT" "mongo:$MONGO_PORT" "mongo-tls:$MONGO_TLS_PORT" "kafka:$KAFKA_BRIDGE_PORT" \
              "kafka-sasl:$KAFKA_SASL_BRIDGE_PORT"; do
    name=${spec%%:*}; port=${spec##*:}
    pid_alive "$NODE_DIR/forward-$name.pid" && continue
    setsid nohup socat "TCP-LISTEN:$port,bind=$NODE_IP,reuseaddr,fork" "TCP:127.0.0.1:$port" \
      > "$NODE_DIR/forward-$name.log" 2>&1 < /dev/null &
    echo $! > "$NODE_DIR/forward-$name.pid"
  done
}

up_node() {
  install_node
  mkdir -p "$NODE_DIR"
  # kube-proxy programs the machine's own iptables chains (KUBE-SERVICES, ...), which a second
  # kube-proxy would rewrite: one node per machine.
  local other
  other=$(pgrep -af "kube-proxy --config=" | grep -vF -- "--config=$NODE_DIR/kube-proxy.yaml" || true)
  [ -z "$other" ] || die "another node's kube-proxy runs on this machine (one node per machine): $other"
  node_network_up
  node_certs
  node_control_plane_up
  node_containerd_up
  node_kubelet_up
  node_forwarders_up
  autoscalers_up
}

# Stop everything the node started, in the order that leaves nothing behind: the kubelet
# first (so it restarts nothing), then every container and its shim, the pods' network
# namespaces, the mounts under the kubelet's root, the bridge.
down_node() {
  local d=$NODE_DIR uids=""
  # a second node joined to this one's cluster goes first
  [ -d "$NODE2_DIR" ] && down_node2
  # The kubelet and containerd keep a little outside our directories: pod logs in
  # /var/log/pods (+ links in /var/log/containers) and CNI results in /var/lib/cni/results
  # (removed with each container below).
  if [ -f "$d/kubeconfig" ]; then
    uids=$(node_kubectl get pods -A -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' --request-timeout=5s 2>/dev/null || true)
  fi
  autoscalers_down
  # all state is thrown away: no component gets long for a graceful stop
  for f in kube-proxy kubelet scheduler kcm apiserver etcd forward-postgres forward-mongo forward-mongo-tls \
           forward-kafka forward-kafka-sasl; do
    stop_pid "$d/$f.pid" 3
  done
  if ctr --address "$NODE_CONTAINERD_SOCK" version >/dev/null 2>&1; then
    local c netns
    netns=$(containerd_pod_netns "$NODE_CONTAINERD_SOCK")
    containerd_kill_all "$NODE_CONTAINERD_SOCK"
    sleep 1
    for c in $(ctr --address "$NODE_CONTAINERD_SOCK" -n k8s.io containers ls -q 2>/dev/null); do
      ctr --address "$NODE_CONTAINERD_SOCK" -n k8s.io tasks rm -f "$c" >/dev/null 2>&1 || true
      ctr --address "$NODE_CONTAINERD_SOCK" -n k8s.io containers rm "$c" >/dev/null 2>&1 || true
    done
    delete_netns "$netns"
  fi
  stop_pid "$d/containerd.pid" 10
  containerd_kill_shims "$NODE_CONTAINERD_SOCK"
  unmount_under "$d"
  if [ -d "$d" ]; then
    awk -v d="$d" '$2 == d {print $2}' /proc/mounts | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  local uid
  for uid in $uids; do rm -rf /var/log/pods/*_"$uid"; done
  # (a link may vanish under find while the kubelet still removes its pod: not a failure of `down`)
  if [ -d /var/log/containers ]; then find /var/log/containers -maxdepth 1 -xtype l -lname '/var/log/pods/*' -delete 2>/dev/null || true; fi
  rmdir /var/lib/kubelet 2>/dev/null || true
  # kube-proxy's and the kubelet's KUBE-* chains live in the machine's own tables (one node
  # per machine, so every KUBE-* chain is this node's)
  if [ -x "$BIN/kube-proxy" ]; then "$BIN/kube-proxy" --cleanup --v=0 >/dev/null 2>&1 || true; fi
  local ipt table rule chain
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    for table in filter nat mangle; do
      "$ipt" -w -t "$table" -S 2>/dev/null | grep -E '^-A [A-Z]+ .*-j KUBE-' | grep -vE '^-A KUBE-' | sed 's/^-A/-D/' | while read -r rule; do
        eval "$ipt -w -t $table $rule" 2>/dev/null || true
      done || true
      for chain in $("$ipt" -w -t "$table" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[A-Z0-9-]*\)$/\1/p' || true); do "$ipt" -w -t "$table" -F "$chain" 2>/dev/null || true; done
      for chain in $("$ipt" -w -t "$table" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[A-Z0-9-]*\)$/\1/p' || true); do "$ipt" -w -t "$table" -X "$chain" 2>/dev/null || true; done
    done
  done
  node_network_down
  [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$d"
}
is_up_node() {
  port_open "$KUBELET_HEALTHZ_PORT" 2>/dev/null && port_open "$KUBE_PROXY_HEALTHZ_PORT" 2>/dev/null && [ -f "$NODE_DIR/kubeconfig" ] \
    && node_kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -q True
}
version_node() { echo "$KUBERNETES_VERSION, containerd $(containerd --version 2>/dev/null | awk '{print $3}'), KEDA $KEDA_VERSION, metrics-server $METRICS_SERVER_VERSION"; }
addr_node() { echo "$NODE_NAME https://$NODE_IP:$NODE_APISERVER_PORT"; }
