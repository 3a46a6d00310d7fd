# The `kafka3` test service: a three-broker Apache Kafka cluster in production's shape, for the
# fault suite. Sourced by infra.sh, not run; started only when asked (`infra.sh up kafka3`): the
# other suites use the one-broker `kafka`, and three JVMs cost about 1 GB more.
#
# KRaft, each of the three nodes broker and controller at once (a three-voter quorum: one node
# down leaves a majority), small heaps. Each listens on loopback for the host's tests and
# directly on the node bridge for pods, with no TLS or SASL: what the fault suite tests is
# replication (default replication factor 3, min.insync.replicas 2, every internal topic at
# RF 3), not the handshake, which the one-broker service covers. `infra.sh kafka3 stop|start N`
# stops one broker (a controlled shutdown, as a rolling restart or a lost machine that said
# goodbye) and starts it again with its data.

KAFKA3_DIR="$RUN/kafka3"
KAFKA3_PORT_BASE=${MF_KAFKA3_PORT_BASE:-59100}   # broker N: PLAINTEXT base+N, CONTROLLER base+10+N, NODE base+20+N
kafka3_port() { echo $((KAFKA3_PORT_BASE + $1)); }
kafka3_ctrl_port() { echo $((KAFKA3_PORT_BASE + 10 + $1)); }
kafka3_node_port() { echo $((KAFKA3_PORT_BASE + 20 + $1)); }
kafka3_java() { # dir
  echo java -Xms128m -Xmx384m -XX:+UseG1GC -XX:MaxGCPauseMillis=50 -Dlog4j2.configurationFile="$1/log4j2.properties" -cp "$KAFKA_HOME/libs/*"
}
KAFKA3_BROKERS="127.0.0.1:$(kafka3_port 1),127.0.0.1:$(kafka3_port 2),127.0.0.1:$(kafka3_port 3)"
KAFKA3_NODE_BROKERS="$NODE_IP:$(kafka3_node_port 1),$NODE_IP:$(kafka3_node_port 2),$NODE_IP:$(kafka3_node_port 3)"

kafka3_config() { # N
  local n=$1 dir="$KAFKA3_DIR/$1" voters=""
  local i; for i in 1 2 3; do voters+="${voters:+,}$i@127.0.0.1:$(kafka3_ctrl_port "$i")"; done
  mkdir -p "$dir"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(kafka3_port "$n"),CONTROLLER://127.0.0.1:$(kafka3_ctrl_port "$n"),NODE://$NODE_IP:$(kafka3_node_port "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(kafka3_port "$n"),NODE://$NODE_IP:$(kafka3_node_port "$n")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,NODE:PLAINTEXT
$(kafka_common_properties "$dir" 3 2)
PROPS
  kafka_log4j "$dir"
}

kafka3_start() { # N
  local n=$1 dir="$KAFKA3_DIR/$1"
  pid_alive "$dir/pid" && return
  local java; read -r -a java <<<"$(kafka3_java "$dir")"
  log "kafka3: starting broker $n on 127.0.0.1:$(kafka3_port "$n") and $NODE_IP:$(kafka3_node_port "$n")"
  setsid nohup "${java[@]}" kafka.Kafka "$dir/server.properties" > "$dir/server.log" 2>&1 < /dev/null &
  echo $! > "$dir/pid"
}

up_kafka3() {
  install_kafka
  is_up_node || die "kafka3 listens on the node bridge: start the node first (infra.sh up node kafka3)"
  local n
  for n in 1 2 3; do kafka3_config "$n"; done
  if [ ! -f "$KAFKA3_DIR/1/data/meta.properties" ]; then
    local java id; read -r -a java <<<"$(kafka3_java "$KAFKA3_DIR/1")"
    id=$("${java[@]}" kafka.tools.StorageTool random-uuid)
    for n in 1 2 3; do
      "${java[@]}" kafka.tools.StorageTool format -t "$id" -c "$KAFKA3_DIR/$n/server.properties" >/dev/null \
        || die "kafka3: storage format of broker $n failed"
    done
  fi
  for n in 1 2 3; do kafka3_start "$n"; done
  for n in 1 2 3; do
    wait_port "$(kafka3_port "$n")" 120 || die "kafka3: broker $n did not open its port; see $KAFKA3_DIR/$n/server.log"
  done
}
down_kafka3() {
  local n
  for n in 1 2 3; do stop_pid "$KAFKA3_DIR/$n/pid" 30; done
  [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$KAFKA3_DIR"
}
is_up_kafka3() {
  local n
  for n in 1 2 3; do port_open "$(kafka3_port "$n")" || return 1; done
}
version_kafka3() { echo "$KAFKA_VERSION x3"; }
addr_kafka3() { echo "127.0.0.1:$(kafka3_port 1)-$(kafka3_port 3), node $NODE_IP"; }

# `infra.sh kafka3 stop|start N`: one broker down (controlled shutdown) and back, data kept.
kafka3_command() {
  local action=${1:-} n=${2:-}
  [[ $n =~ ^[123]$ ]] || die "usage: infra.sh kafka3 stop|start 1|2|3"
  case $action in
    stop) stop_pid "$KAFKA3_DIR/$n/pid" 60 ;;
    start)
      kafka3_start "$n"
      wait_port "$(kafka3_port "$n")" 120 || die "kafka3: broker $n did not open its port; see $KAFKA3_DIR/$n/server.log" ;;
    *) die "usage: infra.sh kafka3 stop|start 1|2|3" ;;
  esac
}
