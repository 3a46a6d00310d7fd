# The `node2` test service: a second node for the node's cluster, for the fault suite (drain a
# node, lose a node). Sourced by infra.sh, not run; started only when asked (`infra.sh up
# node2`), after the node: the default suites stay on one node.
#
# What it is: a kubelet and a containerd of its own, registered as $NODE2_NAME at an address of
# its own on the node bridge ($NODE2_IP), with its own kubelet root, containerd root and state,
# and its own cgroup root ($NODE2_CGROUP_ROOT: its pods' cgroups never meet the first node's
# /kubepods). Its pods join the same bridge from an address range of their own (the first
# node's pods take .10-.127, these .130-.250), so pods on both nodes reach each other, the
# Services and the test services exactly as the first node's do.
#
# Why the machine's network namespace and not one of its own: Services work through
# kube-proxy's iptables rules, and one kube-proxy per network namespace is the rule (node.sh);
# pods and Services are the same here from either node, so the second node uses the first's
# kube-proxy rather than a second namespace with its own rules and routes. A node lost
# (`infra.sh node2 lose`) is its kubelet and containerd killed and every container they ran
# killed with them (everything in its cgroup root), with no drain and no goodbye: the cluster
# sees only silence, as from a machine that lost power. `infra.sh node2 restore` brings it
# back (a new boot: its pods are gone, the kubelet registers again).

NODE2_NAME=${MF_NODE2_NAME:-mobileforge-node2}
NODE2_IP=$NODE_SUBNET.2
NODE2_DIR="$RUN/node2"
NODE2_CONTAINERD_SOCK="$NODE2_DIR/containerd/containerd.sock"
NODE2_CONTAINERD_ROOT=${MF_NODE2_CONTAINERD_ROOT:-$CACHE/node2-containerd}
NODE2_CGROUP_ROOT=/mobileforge-node2
KUBELET2_PORT=${MF_KUBELET2_PORT:-56554}
KUBELET2_HEALTHZ_PORT=${MF_KUBELET2_HEALTHZ_PORT:-56555}

node2_kubectl() { node_kubectl "$@"; }

node2_certs() {
  local d="$NODE_DIR/pki"
  [ -f "$d/node2-kubelet-client.crt" ] && [ -f "$d/node2-kubelet-serving.crt" ] && return
  (
    cd "$d"
    sign2() { # name subject [san]
      openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
      if [ -n "${3:-}" ]; then printf 'subjectAltName=%s\n' "$3" > "$1.ext"; else : > "$1.ext"; fi
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    sign2 node2-kubelet-client "/O=system:nodes/CN=system:node:$NODE2_NAME"
    sign2 node2-kubelet-serving "/CN=$NODE2_NAME" "IP:$NODE2_IP,DNS:$NODE2_NAME"
  )
}

# Its cgroup root must exist in every hierarchy before the kubelet starts (cgroup v1 here).
node2_cgroups() { # create|kill|remove
  local h
  for h in /sys/fs/cgroup/*/; do
    [ -d "$h" ] || continue
    case $1 in
      create) mkdir -p "$h${NODE2_CGROUP_ROOT#/}" 2>/dev/null || true ;;
      kill)
        # every process of every pod of the node, innermost cgroups first
        find "$h${NODE2_CGROUP_ROOT#/}" -name cgroup.procs 2>/dev/null | xargs -r cat 2>/dev/null | sort -u \
          | xargs -r kill -KILL 2>/dev/null || true ;;
      remove) find "$h${NODE2_CGROUP_ROOT#/}" -depth -type d -exec rmdir {} \; 2>/dev/null || true ;;
    esac
  done
}

node2_containerd_up() {
  local d="$NODE2_DIR/containerd"
  mkdir -p "$d" "$NODE2_DIR/cni/net.d" "$d/certs.d/_default"
  node_cni_config "$NODE2_DIR" 130 250
  printf 'server = "http://127.0.0.1:9"\n[host."http://127.0.0.1:9"]\n  capabilities = ["pull", "resolve"]\n' > "$d/certs.d/_default/hosts.toml"
  # the first node's configuration with this node's paths
  sed -e "s#$NODE_CONTAINERD_ROOT#$NODE2_CONTAINERD_ROOT#g" -e "s#$NODE_DIR/#$NODE2_DIR/#g" \
    "$NODE_DIR/containerd/config.toml" > "$d/config.toml"
  containerd_start node2 "$NODE2_CONTAINERD_SOCK" "$d/config.toml" "$NODE2_DIR/containerd.pid"
  NODE_CONTAINERD_SOCK=$NODE2_CONTAINERD_SOCK bash "$INFRA_DIR/images.sh" pause-load
}

node2_kubelet_up() {
  local d=$NODE2_DIR
  mkdir -p "$d/kubelet"
  : > "$d/resolv.conf"
  cat > "$d/kubelet.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: mobileforge-node
  cluster: {server: 'https://$NODE_IP:$NODE_APISERVER_PORT', certificate-authority: '$NODE_DIR/pki/ca.crt'}
users:
- name: $NODE2_NAME
  user: {client-certificate: '$NODE_DIR/pki/node2-kubelet-client.crt', client-key: '$NODE_DIR/pki/node2-kubelet-client.key'}
contexts:
- name: mobileforge-node
  context: {cluster: mobileforge-node, user: $NODE2_NAME}
current-context: mobileforge-node
KC
  # the first node's kubelet configuration with this node's address, ports, files and cgroup root
  sed -e "s#^address: .*#address: $NODE2_IP#" -e "s#^port: .*#port: $KUBELET2_PORT#" \
    -e "s#^healthzPort: .*#healthzPort: $KUBELET2_HEALTHZ_PORT#" \
    -e "s#^containerRuntimeEndpoint: .*#containerRuntimeEndpoint: unix://$NODE2_CONTAINERD_SOCK#" \
    -e "s#^tlsCertFile: .*#tlsCertFile: $NODE_DIR/pki/node2-kubelet-serving.crt#" \
    -e "s#^tlsPrivateKeyFile: .*#tlsPrivateKeyFile: $NODE_DIR/pki/node2-kubelet-serving.key#" \
    -e "s#^resolvConf: .*#resolvConf: $d/resolv.conf#" \
    "$NODE_DIR/kubelet.yaml" > "$d/kubelet.yaml"
  printf 'cgroupRoot: %s\n' "$NODE2_CGROUP_ROOT" >> "$d/kubelet.yaml"
  node2_cgroups create
  if ! port_open "$KUBELET2_HEALTHZ_PORT"; then
    log "node2: starting kubelet $KUBERNETES_VERSION as node $NODE2_NAME ($NODE2_IP)"
    setsid nohup "$BIN/kubelet" --config="$d/kubelet.yaml" --kubeconfig="$d/kubelet.kubeconfig" \
      --root-dir="$d/kubelet" --node-ip="$NODE2_IP" --hostname-override="$NODE2_NAME" \
      --v=0 > "$d/kubelet.log" 2>&1 < /dev/null &
    echo $! > "$d/kubelet.pid"
  fi
  kubelet_wait_ready "$NODE2_NAME" "$d/kubelet.log"
}

up_node2() {
  is_up_node || die "node2 joins the node's cluster: start the node first (infra.sh up node node2)"
  mkdir -p "$NODE2_DIR"
  [[ $(ip -4 addr show dev "$NODE_BRIDGE") == *"inet $NODE2_IP/"* ]] || ip addr add "$NODE2_IP/24" dev "$NODE_BRIDGE"
  node2_certs
  node2_containerd_up
  node2_kubelet_up
  # the workload and operator images, as on the first node (none is ever pulled)
  NODE_CONTAINERD_SOCK=$NODE2_CONTAINERD_SOCK bash "$INFRA_DIR/images.sh" load >/dev/null
}

# The node's processes and every container it ran, gone at once (kubelet, containerd, shims,
# the pods' processes). `lose` leaves the Node object to the cluster, as a lost machine does.
node2_stop_all() {
  local d=$NODE2_DIR netns
  stop_pid "$d/kubelet.pid" 3
  netns=$(containerd_pod_netns "$NODE2_CONTAINERD_SOCK")
  node2_cgroups kill
  containerd_kill_all "$NODE2_CONTAINERD_SOCK"
  stop_pid "$d/containerd.pid" 10
  containerd_kill_shims "$NODE2_CONTAINERD_SOCK"
  # Their addresses go with them (the veths leave the bridge): what was sent to a pod of the
  # node now meets silence, as on a machine that lost power, not a refusal.
  delete_netns "$netns"
  unmount_under "$d"
}

down_node2() {
  node2_stop_all
  if [ -f "$NODE_DIR/kubeconfig" ]; then node_kubectl delete node "$NODE2_NAME" --ignore-not-found --request-timeout=5s >/dev/null 2>&1 || true; fi
  node2_cgroups remove
  ip addr del "$NODE2_IP/24" dev "$NODE_BRIDGE" 2>/dev/null || true
  [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$NODE2_DIR"
}
is_up_node2() {
  port_open "$KUBELET2_HEALTHZ_PORT" 2>/dev/null && [ -f "$NODE_DIR/kubeconfig" ] \
    && node_kubectl get node "$NODE2_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -q True
}
version_node2() { echo "$KUBERNETES_VERSION, containerd $(containerd --version 2>/dev/null | awk '{print $3}')"; }
addr_node2() { echo "$NODE2_NAME $NODE2_IP (the node's cluster)"; }

# `infra.sh node2 lose`: the node gone without a drain; `restore`: back, as after a reboot.
node2_command() {
  case ${1:-} in
    lose) node2_stop_all; rm -rf "$NODE2_DIR/kubelet/pods" 2>/dev/null || true ;;
    restore) up_node2 ;;
    *) die "usage: infra.sh node2 lose|restore" ;;
  esac
}
