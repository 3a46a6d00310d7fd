#!/usr/bin/env bash
# Test services for MobileForge Sync, without Docker: PostgreSQL, Kafka (KRaft), FerretDB
# (MongoDB wire) and kube-apiserver+etcd(+kube-controller-manager), all on 127.0.0.1; and a
# one-node Kubernetes cluster that runs real pods on a bridge this script creates (node.sh).
#
#   infra.sh up [service...]      install what is missing, start, health-check (idempotent)
#   infra.sh down [service...]    stop and delete runtime state
#   infra.sh status               one line per service: name, version, address, up/down
#   infra.sh env                  print the endpoint variables tests read
#   infra.sh install              only install/build what is missing (used by .ci/run)
#
# Services: postgres kafka mongo kube node prometheus (scrapes the node's pods; prometheus.sh)
# argocd (Argo CD deploying to the node from Git; argocd.sh). Ports are overridable (see the *_PORT variables below).
# PostgreSQL, Kafka and FerretDB also serve TLS with certificates from one test CA (tls.sh).
source "$(dirname "$0")/lib.sh"

PG_PORT=${MF_PG_PORT:-55432}
KAFKA_PORT=${MF_KAFKA_PORT:-59092}
KAFKA_CTRL_PORT=${MF_KAFKA_CTRL_PORT:-59093}
# a second listener for pods on the node: bound to loopback like the first, advertised as the
# node bridge's address (node.sh forwards that address's port to it)
KAFKA_BRIDGE_PORT=${MF_KAFKA_BRIDGE_PORT:-59094}
# Kafka as production runs it, beside the plaintext listeners: SASL_SSL with SCRAM-SHA-512 and a
# certificate from the test CA, on loopback, and for pods on the node as the bridge's address
KAFKA_SASL_PORT=${MF_KAFKA_SASL_PORT:-59095}
KAFKA_SASL_BRIDGE_PORT=${MF_KAFKA_SASL_BRIDGE_PORT:-59096}
MONGO_PORT=${MF_MONGO_PORT:-57017}
# the MongoDB-wire server's TLS listener (as DocumentDB requires), beside the plaintext one
MONGO_TLS_PORT=${MF_MONGO_TLS_PORT:-57018}
ETCD_PORT=${MF_ETCD_PORT:-52379}
ETCD_PEER_PORT=${MF_ETCD_PEER_PORT:-52380}
APISERVER_PORT=${MF_APISERVER_PORT:-56443}
KCM_PORT=${MF_KCM_PORT:-56444}
PG_USER=mobileforge
PG_PASSWORD=mobileforge-test   # a throwaway password for a loopback-only test server
# PostgreSQL runs as the unprivileged `postgres` user, which cannot enter /root; so its data
# lives in a directory that user owns.
PGDATA_DIR=${MF_PGDATA:-/var/tmp/mobileforge-sync/pg}
PG_BIN=/usr/lib/postgresql/$POSTGRES_MAJOR/bin
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
ALL_SERVICES=(postgres kafka mongo kube node prometheus argocd)
# started only when named (`up kafka3`); `down` with no names stops them too
OPTIONAL_SERVICES=(kafka3 node2)

# ---------------------------------------------------------------- PostgreSQL
install_postgres() {
  [ -x "$PG_BIN/postgres" ] && return
  log "installing PostgreSQL $POSTGRES_MAJOR from Debian"
  apt-get update -qq && apt-get install -y -qq "postgresql-$POSTGRES_MAJOR" >/dev/null
}
pg_run() { runuser -u postgres -- "$@"; }
up_postgres() {
  install_postgres
  if [ -f "$PGDATA_DIR/PG_VERSION" ]; then
    # A running server whose certificate the current test CA did not sign (a fresh RUN, or an
    # older certificate) takes the new one on a reload, without a restart.
    pg_tls "$PGDATA_DIR"
    if [ "$PG_TLS_CHANGED" = 1 ] && [ -f "$PGDATA_DIR/postmaster.pid" ] && port_open "$PG_PORT"; then
      log "PostgreSQL: reloading for its new server certificate"
      pg_run "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" reload >/dev/null
    fi
  fi
  if port_open "$PG_PORT"; then return; fi
  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $PGDATA_DIR"
    # Only the data directory changes hands: its parent may be shared (/var/tmp).
    mkdir -p "$PGDATA_DIR"; chown postgres:postgres "$PGDATA_DIR"
    local pwfile; pwfile=$(mktemp); echo "$PG_PASSWORD" > "$pwfile"; chmod 644 "$pwfile"
    pg_run "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$PG_USER" --pwfile="$pwfile" -A scram-sha-256 -E UTF8 --no-locale >/dev/null
    rm -f "$pwfile"
    pg_tls "$PGDATA_DIR"
    cat >> "$PGDATA_DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PGDATA_DIR'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
# TLS on (not required): the test CA signs the server certificate, so clients can be tested with
# sslmode verify-ca and verify-full as on RDS; plain connections keep working.
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
CONF
  fi
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  pg_run "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -w -t 60 start >/dev/null \
    || die "PostgreSQL did not start; see $PGDATA_DIR/server.log"
}
# The server certificate from the test CA (tls.sh), copied into the data directory because the
# `postgres` user cannot read $RUN, with a private key only that user can read. PG_TLS_CHANGED=1
# when it installed a new one.
PG_TLS_CHANGED=0
pg_tls() {
  local data=$1
  PG_TLS_CHANGED=0
  server_cert postgres
  if cmp -s "$TLS_DIR/postgres.crt" "$data/server.crt" && cmp -s "$TLS_DIR/postgres.key" "$data/server.key"; then return; fi
  PG_TLS_CHANGED=1
  install -o postgres -g postgres -m 600 "$TLS_DIR/postgres.key" "$data/server.key"
  install -o postgres -g postgres -m 644 "$TLS_DIR/postgres.crt" "$data/server.crt"
}
down_postgres() {
  if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
    pg_run "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
  fi
  [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$PGDATA_DIR"
}
version_postgres() { "$PG_BIN/postgres" --version 2>/dev/null | awk '{print $3}'; }

# ---------------------------------------------------------------- Kafka
install_kafka() { bash "$INFRA_DIR/fetch-kafka.sh"; }
# The SCRAM user pipelines authenticate as; its password is made at start and kept in a file
# only root can read, next to the broker's data (so the two always go together).
KAFKA_SCRAM_USER=mobileforge
KAFKA_SCRAM_PASSWORD_FILE="$RUN/kafka/scram-password"
# What every test broker shares: its data directory, internal topics at replication factor RF
# with min.insync.replicas MIN_ISR (the test topics' default too), and topics created only on
# purpose (admin API or Strimzi), as in production.
kafka_common_properties() { # dir rf min_isr
  cat <<PROPS
log.dirs=$1/data
num.partitions=1
default.replication.factor=$2
min.insync.replicas=$3
offsets.topic.replication.factor=$2
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$2
transaction.state.log.min.isr=$3
share.coordinator.state.topic.replication.factor=$2
share.coordinator.state.topic.min.isr=$3
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.flush.interval.messages=9223372036854775807
PROPS
}
kafka_log4j() { # dir
  cat > "$1/log4j2.properties" <<'L4J'
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
logger.kafka.name = kafka
logger.kafka.level = WARN
L4J
}
up_kafka() {
  install_kafka
  local dir="$RUN/kafka"
  if port_open "$KAFKA_PORT"; then
    port_open "$KAFKA_SASL_PORT" && return
    # A broker started from an older configuration, without the SASL_SSL listeners: restart it
    # with the current one, keeping its topics and groups.
    pid_alive "$dir/pid" || die "something other than this RUN's Kafka listens on 127.0.0.1:$KAFKA_PORT"
    log "Kafka runs without its SASL_SSL listener: restarting it (data kept)"
    stop_pid "$dir/pid" 30
  fi
  mkdir -p "$dir"
  server_cert kafka
  # Kafka reads a PEM key store: the private key, then the certificate chain, in one file.
  (umask 077; cat "$TLS_DIR/kafka.key" "$TLS_DIR/kafka.crt" > "$dir/keystore.pem")
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CTRL_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CTRL_PORT,NODE://127.0.0.1:$KAFKA_BRIDGE_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT,NODE_SASL_SSL://127.0.0.1:$KAFKA_SASL_BRIDGE_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,NODE://$NODE_IP:$KAFKA_BRIDGE_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT,NODE_SASL_SSL://$NODE_IP:$KAFKA_SASL_BRIDGE_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,NODE:PLAINTEXT,SASL_SSL:SASL_SSL,NODE_SASL_SSL:SASL_SSL
# SASL_SSL as in production: SCRAM-SHA-512 only, the server certificate from the test CA, no
# client certificates. No authorizer: an authenticated user, like any plaintext client, may do
# anything (what is tested here is the handshake and the credentials, not ACLs).
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.node_sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$dir/keystore.pem
ssl.client.auth=none
# one broker: every internal topic must have replication factor 1, or group coordination
# never becomes available (the "group coordinator not available" kafkajs reports)
$(kafka_common_properties "$dir" 1 1)
PROPS
  kafka_log4j "$dir"
  local java=(java -Xms256m -Xmx768m -XX:+UseG1GC -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$KAFKA_HOME/libs/*")
  local password="" add_user_later=0
  if [ ! -f "$KAFKA_SCRAM_PASSWORD_FILE" ]; then password=$(openssl rand -hex 24); fi
  if [ ! -f "$dir/data/meta.properties" ]; then
    local id; id=$("${java[@]}" kafka.tools.StorageTool random-uuid)
    # The SCRAM user goes into the cluster's first metadata, so it exists before any client connects.
    [ -n "$password" ] || password=$(cat "$KAFKA_SCRAM_PASSWORD_FILE")
    "${java[@]}" kafka.tools.StorageTool format --standalone -t "$id" -c "$dir/server.properties" \
      --add-scram "SCRAM-SHA-512=[name=$KAFKA_SCRAM_USER,password=$password]" >/dev/null \
      || die "kafka storage format failed"
  elif [ -n "$password" ]; then
    # data kept from a broker that had no SCRAM user: add it once the broker runs
    add_user_later=1
  fi
  log "starting Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$KAFKA_PORT, SASL_SSL on 127.0.0.1:$KAFKA_SASL_PORT"
  setsid nohup "${java[@]}" kafka.Kafka "$dir/server.properties" > "$dir/server.log" 2>&1 < /dev/null &
  echo $! > "$dir/pid"
  wait_port "$KAFKA_PORT" 90 || die "Kafka did not open its port; see $dir/server.log"
  wait_port "$KAFKA_SASL_PORT" 30 || die "Kafka did not open its SASL_SSL port; see $dir/server.log"
  if [ $add_user_later = 1 ]; then
    "${java[@]}" kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter --entity-type users \
      --entity-name "$KAFKA_SCRAM_USER" --add-config "SCRAM-SHA-512=[password=$password]" >/dev/null \
      || die "could not create the Kafka SCRAM user $KAFKA_SCRAM_USER"
  fi
  if [ -n "$password" ]; then (umask 077; echo "$password" > "$KAFKA_SCRAM_PASSWORD_FILE"); fi
}
down_kafka() {
  local dir="$RUN/kafka"
  stop_pid "$dir/pid" 30
  [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$dir"
}
version_kafka() { echo "$KAFKA_VERSION"; }

# ---------------------------------------------------------------- FerretDB (MongoDB wire)
install_mongo() { bash "$INFRA_DIR/build-go-tools.sh" ferretdb; }
up_mongo() {
  install_mongo
  local dir="$RUN/ferretdb"
  if port_open "$MONGO_PORT"; then
    port_open "$MONGO_TLS_PORT" && return
    # started from an older configuration, without the TLS listener: restart it, data kept
    pid_alive "$dir/pid" || die "something other than this RUN's FerretDB listens on 127.0.0.1:$MONGO_PORT"
    log "FerretDB runs without its TLS listener: restarting it (data kept)"
    stop_pid "$dir/pid" 10
  else
    # A server that died (a crash, a reboot) can leave SQLite files it then refuses to open ("no
    # such table: _ferretdb_collections"). The data is the tests' own: start clean, as `down`
    # leaves it, unless KEEP_DATA=1.
    [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$dir/data"
  fi
  mkdir -p "$dir/data"
  server_cert mongo
  log "starting FerretDB $FERRETDB_VERSION (SQLite backend) on 127.0.0.1:$MONGO_PORT, TLS on 127.0.0.1:$MONGO_TLS_PORT"
  setsid nohup "$BIN/ferretdb" -sqlite-url="file:$dir/data/" -listen-addr="127.0.0.1:$MONGO_PORT" \
    -listen-tls="127.0.0.1:$MONGO_TLS_PORT" -listen-tls-cert-file="$TLS_DIR/mongo.crt" -listen-tls-key-file="$TLS_DIR/mongo.key" \
    -log-level=warn > "$dir/server.log" 2>&1 < /dev/null &
  echo $! > "$dir/pid"
  wait_port "$MONGO_PORT" 30 || die "FerretDB did not open its port; see $dir/server.log"
  wait_port "$MONGO_TLS_PORT" 30 || die "FerretDB did not open its TLS port; see $dir/server.log"
}
down_mongo() {
  stop_pid "$RUN/ferretdb/pid" 10
  [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$RUN/ferretdb"
}
version_mongo() { echo "FerretDB $FERRETDB_VERSION"; }

# ---------------------------------------------------------------- kube-apiserver + etcd
install_kube() {
  bash "$INFRA_DIR/build-go-tools.sh" etcd
  bash "$INFRA_DIR/build-go-tools.sh" k8s
  # the Argo CD health-script runner and helm ride along with the cluster tools
  bash "$INFRA_DIR/build-go-tools.sh" lua
  bash "$INFRA_DIR/build-go-tools.sh" helm
  bash "$INFRA_DIR/build-go-tools.sh" upstream-crds
  # promtool for the alert-rule tests, and the Prometheus the e2e alert tests run (prometheus.sh)
  install_prometheus
  # the Dockerfile linter must not keep the services from starting; its test says if it is missing
  bash "$INFRA_DIR/build-go-tools.sh" hadolint || log "warning: hadolint could not be installed"
}
kube_certs() {
  local d="$RUN/kube/pki"
  if [ -f "$d/admin.crt" ]; then
    # a cluster made before the controller manager was an administrator: give it a new certificate
    if ! openssl x509 -in "$d/kcm.crt" -noout -subject 2>/dev/null | grep -q system:masters; then
      openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=system:kube-controller-manager" -keyout "$d/kcm.key" -out "$d/kcm.csr" 2>/dev/null
      openssl x509 -req -in "$d/kcm.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 3650 -out "$d/kcm.crt" 2>/dev/null
      stop_pid "$RUN/kube/kcm.pid" 10
    fi
    return
  fi
  mkdir -p "$d"; cd "$d"
  log "generating test CA, serving, client and service-account keys"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mobileforge-test-ca" \
    -keyout ca.key -out ca.crt 2>/dev/null
  sign() { # name subject [san]
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
    if [ -n "${3:-}" ]; then printf 'subjectAltName=%s\n' "$3" > "$1.ext"; else : > "$1.ext"; fi
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  }
  sign apiserver "/CN=kube-apiserver" "IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes.default.svc"
  sign admin "/O=system:masters/CN=mobileforge-test-admin"
  # The controllers run with their own identity, not per-controller service accounts, and the
  # built-in role of that identity may not delete a namespace's contents (pods, Secrets, custom
  # resources such as pipelines): every namespace would stay Terminating for ever. This test
  # cluster's controller manager is its administrator.
  sign kcm "/O=system:masters/CN=system:kube-controller-manager"
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  cd - >/dev/null
}
kubeconfig_for() { # user cert key -> stdout
  cat <<KC
apiVersion: v1
kind: Config
clusters:
- name: mobileforge-test
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $RUN/kube/pki/ca.crt
users:
- name: $1
  user:
    client-certificate: $2
    client-key: $3
contexts:
- name: mobileforge-test
  context: {cluster: mobileforge-test, user: $1}
current-context: mobileforge-test
KC
}
up_kube() {
  install_kube
  local dir="$RUN/kube"; mkdir -p "$dir"
  kube_certs
  kubeconfig_for admin "$dir/pki/admin.crt" "$dir/pki/admin.key" > "$dir/kubeconfig"
  kubeconfig_for kcm "$dir/pki/kcm.crt" "$dir/pki/kcm.key" > "$dir/kcm.kubeconfig"
  if ! port_open "$ETCD_PORT"; then
    log "starting etcd $ETCD_VERSION on 127.0.0.1:$ETCD_PORT"
    setsid nohup "$BIN/etcd" --name mf-test --data-dir "$dir/etcd" \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster "mf-test=http://127.0.0.1:$ETCD_PEER_PORT" \
      --unsafe-no-fsync=true --quota-backend-bytes=4294967296 --log-level=warn > "$dir/etcd.log" 2>&1 < /dev/null &
    echo $! > "$dir/etcd.pid"
    wait_port "$ETCD_PORT" 30 || die "etcd did not start; see $dir/etcd.log"
  fi
  # Every write is recorded with who made it (the user, and whom it impersonated), so a test can
  # count one client's writes on an API server other suites also write to.
  cat > "$dir/audit-policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: None
YAML
  if port_open "$APISERVER_PORT" && pid_alive "$dir/apiserver.pid" \
     && ! tr '\0' ' ' < "/proc/$(cat "$dir/apiserver.pid")/cmdline" | grep -q -- --audit-log-path; then
    log "kube-apiserver runs without its audit log: restarting it (etcd and its data kept)"
    stop_pid "$dir/apiserver.pid" 30
  fi
  if ! port_open "$APISERVER_PORT"; then
    log "starting kube-apiserver $KUBERNETES_VERSION on https://127.0.0.1:$APISERVER_PORT"
    setsid nohup "$BIN/kube-apiserver" \
      --etcd-servers="http://127.0.0.1:$ETCD_PORT" --bind-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
      --advertise-address=127.0.0.1 --cert-dir="$dir/pki" \
      --tls-cert-file="$dir/pki/apiserver.crt" --tls-private-key-file="$dir/pki/apiserver.key" \
      --client-ca-file="$dir/pki/ca.crt" --service-cluster-ip-range=10.0.0.0/16 \
      --allow-privileged=true --disable-admission-plugins=ServiceAccount --authorization-mode=RBAC \
      --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$dir/pki/sa.pub" \
      --service-account-signing-key-file="$dir/pki/sa.key" --enable-priority-and-fairness=false \
      --endpoint-reconciler-type=none \
      --audit-policy-file="$dir/audit-policy.yaml" --audit-log-path="$dir/audit.log" --audit-log-format=json --audit-log-maxsize=200 \
      --v=0 > "$dir/apiserver.log" 2>&1 < /dev/null &
    echo $! > "$dir/apiserver.pid"
    local i=0
    until "$BIN/kubectl" --kubeconfig "$dir/kubeconfig" get --raw /readyz >/dev/null 2>&1; do
      i=$((i + 1)); [ $i -gt 120 ] && die "kube-apiserver not ready after 60 s; see $dir/apiserver.log"
      sleep 0.5
    done
  fi
  if ! port_open "$KCM_PORT"; then
    # Only the controllers our tests rely on: real garbage collection of owned objects and
    # namespace deletion. No kubelet exists, so Deployment status is set by tests that need it.
    log "starting kube-controller-manager (garbagecollector, namespace)"
    setsid nohup "$BIN/kube-controller-manager" --kubeconfig="$dir/kcm.kubeconfig" \
      --authentication-kubeconfig="$dir/kcm.kubeconfig" --authorization-kubeconfig="$dir/kcm.kubeconfig" \
      --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false \
      --controllers=garbagecollector,namespace --use-service-account-credentials=false \
      --v=0 > "$dir/kcm.log" 2>&1 < /dev/null &
    echo $! > "$dir/kcm.pid"
    wait_port "$KCM_PORT" 30 || die "kube-controller-manager did not start; see $dir/kcm.log"
  fi
}
down_kube() {
  local dir="$RUN/kube"
  stop_pid "$dir/kcm.pid" 10; stop_pid "$dir/apiserver.pid" 20; stop_pid "$dir/etcd.pid" 10
  [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$dir"
}
version_kube() { echo "$KUBERNETES_VERSION (etcd $ETCD_VERSION)"; }

# ---------------------------------------------------------------- the node (real pods)
# shellcheck source=node.sh
source "$INFRA_DIR/node.sh"
# shellcheck source=prometheus.sh
source "$INFRA_DIR/prometheus.sh"
# shellcheck source=autoscalers.sh
source "$INFRA_DIR/autoscalers.sh"
# shellcheck source=tls.sh
source "$INFRA_DIR/tls.sh"
# shellcheck source=argocd.sh
source "$INFRA_DIR/argocd.sh"
# shellcheck source=kafka3.sh
source "$INFRA_DIR/kafka3.sh"
# shellcheck source=node2.sh
source "$INFRA_DIR/node2.sh"

# ---------------------------------------------------------------- common
# A process that exited stays a zombie until PID 1 reaps it, which here can take seconds.
alive() { kill -0 "$1" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
stop_pid() { # pidfile timeout
  local f=$1 t=${2:-10} pid i=0
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid"; do
      i=$((i + 1)); if [ $i -gt $((t * 5)) ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
      sleep 0.2
    done
  fi
  rm -f "$f"
}
addr_of() {
  case $1 in
    postgres) echo "127.0.0.1:$PG_PORT (TLS too)" ;;
    kafka) echo "127.0.0.1:$KAFKA_PORT, SASL_SSL :$KAFKA_SASL_PORT" ;;
    mongo) echo "127.0.0.1:$MONGO_PORT, TLS :$MONGO_TLS_PORT" ;;
    kube) echo "https://127.0.0.1:$APISERVER_PORT" ;;
    node) addr_node ;;
    prometheus) addr_prometheus ;;
    argocd) addr_argocd ;;
    kafka3) addr_kafka3 ;;
    node2) addr_node2 ;;
  esac
}
is_up() {
  case $1 in
    postgres) port_open "$PG_PORT" ;;
    kafka) port_open "$KAFKA_PORT" && port_open "$KAFKA_SASL_PORT" ;;
    mongo) port_open "$MONGO_PORT" && port_open "$MONGO_TLS_PORT" ;;
    kube) port_open "$APISERVER_PORT" && "$BIN/kubectl" --kubeconfig "$RUN/kube/kubeconfig" get --raw /readyz >/dev/null 2>&1 ;;
    node) is_up_node ;;
    prometheus) is_up_prometheus ;;
    argocd) is_up_argocd ;;
    kafka3) is_up_kafka3 ;;
    node2) is_up_node2 ;;
  esac
}
write_env() {
  cat > "$RUN/env" <<ENV
KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
KAFKA_SASL_BROKERS=127.0.0.1:$KAFKA_SASL_PORT
KAFKA_SCRAM_USERNAME=$KAFKA_SCRAM_USER
KAFKA_SCRAM_PASSWORD_FILE=$KAFKA_SCRAM_PASSWORD_FILE
KAFKA_CA_FILE=$TEST_CA_FILE
PGHOST=127.0.0.1
PGPORT=$PG_PORT
PGUSER=$PG_USER
PGPASSWORD=$PG_PASSWORD
PGDATABASE=postgres
PG_CA_FILE=$TEST_CA_FILE
DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres
MONGODB_URI=mongodb://127.0.0.1:$MONGO_PORT/
MONGODB_TLS_URI=mongodb://127.0.0.1:$MONGO_TLS_PORT/?tls=true
MONGODB_CA_FILE=$TEST_CA_FILE
KUBECONFIG=$RUN/kube/kubeconfig
KUBE_AUDIT_LOG=$RUN/kube/audit.log
KUBECTL=$BIN/kubectl
MOBILEFORGE_BIN=$BIN
MOBILEFORGE_CRDS=$CACHE/crds
NODE_KUBECONFIG=$NODE_DIR/kubeconfig
NODE_NAME=$NODE_NAME
NODE_IP=$NODE_IP
NODE_AUDIT_LOG=$NODE_AUDIT_LOG
NODE_CONTAINERD_ADDRESS=$NODE_CONTAINERD_SOCK
NODE_KAFKA_BROKERS=$NODE_IP:$KAFKA_BRIDGE_PORT
NODE_KAFKA_SASL_BROKERS=$NODE_IP:$KAFKA_SASL_BRIDGE_PORT
NODE_PGHOST=$NODE_IP
NODE_MONGODB_URI=mongodb://$NODE_IP:$MONGO_PORT/
NODE_MONGODB_TLS_URI=mongodb://$NODE_IP:$MONGO_TLS_PORT/?tls=true
PROMETHEUS_URL=http://127.0.0.1:$PROM_PORT
ARGOCD_NAMESPACE=$ARGOCD_NAMESPACE
ARGOCD_GIT_ROOT=$ARGOCD_GIT_ROOT
ARGOCD_GIT_URL=git://$NODE_IP:$ARGOCD_GIT_PORT
KAFKA3_BROKERS=$KAFKA3_BROKERS
NODE_KAFKA3_BROKERS=$KAFKA3_NODE_BROKERS
NODE2_NAME=$NODE2_NAME
NODE2_IP=$NODE2_IP
ENV
}
services_from_args() { if [ $# -eq 0 ]; then echo "${ALL_SERVICES[@]}"; else echo "$@"; fi; }
# With --skip-external, services the caller points at elsewhere are not started here
# (the same markers as test/support/endpoints.ts).
is_external() {
  case $1 in
    postgres) [ -n "${MOBILEFORGE_TEST_DATABASE_URL:-}" ] ;;
    kafka) [ -n "${MOBILEFORGE_TEST_KAFKA_BROKERS:-}" ] ;;
    mongo) [ -n "${MOBILEFORGE_TEST_MONGODB_URI:-}" ] ;;
    kube) [ -n "${MOBILEFORGE_TEST_KUBECONFIG:-}" ] ;;
    node) [ -n "${MOBILEFORGE_E2E_KUBECONFIG:-}" ] ;;
    prometheus) [ -n "${MOBILEFORGE_E2E_KUBECONFIG:-}" ] ;;
    argocd | kafka3 | node2) [ -n "${MOBILEFORGE_E2E_KUBECONFIG:-}" ] ;;
  esac
}

# A fresh machine may lack the system tools (JDK, Maven, Go, PostgreSQL, OpenSSL): install them.
ensure_prereqs() {
  if ! command -v go >/dev/null || ! command -v mvn >/dev/null || ! command -v java >/dev/null \
     || ! command -v openssl >/dev/null || ! command -v unzip >/dev/null || [ ! -x "$PG_BIN/postgres" ] \
     || ! command -v containerd >/dev/null || ! command -v podman >/dev/null || ! command -v socat >/dev/null; then
    bash "$INFRA_DIR/prereqs.sh"
  fi
}

cmd=${1:-status}; shift || true
case "$cmd" in
  install|up) ensure_prereqs ;;
esac
case "$cmd" in
  install)
    install_postgres; install_kafka; install_mongo; install_kube; install_node; install_argocd ;;
  up)
    start=$(date +%s%N)
    skip_external=0; if [ "${1:-}" = --skip-external ]; then skip_external=1; shift; fi
    reserve_ports $(for v in $(compgen -v | grep -E '_PORT$'); do echo "${!v}"; done) "$(kafka3_port 1)-$(kafka3_node_port 3)"
    for s in $(services_from_args "$@"); do
      if [ $skip_external = 1 ] && is_external "$s"; then log "$s: using the external one you configured"; continue; fi
      "up_$s"
    done
    write_env
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    log "services up in $((ms / 1000)).$(( (ms % 1000) / 100 )) s; endpoints in $RUN/env"
    bash "$INFRA_DIR/infra.sh" status ;;
  down)
    for s in $([ $# -eq 0 ] && echo "${OPTIONAL_SERVICES[@]}") $(services_from_args "$@"); do "down_$s"; done
    # the test CA goes with the last service that used it
    if [ $# -eq 0 ] && [ "${KEEP_DATA:-}" != 1 ]; then rm -rf "$TLS_DIR"; fi
    log "stopped: $(services_from_args "$@")" ;;
  status)
    printf '%-10s %-32s %-44s %s\n' SERVICE VERSION ADDRESS STATE
    for s in "${ALL_SERVICES[@]}" "${OPTIONAL_SERVICES[@]}"; do
      if is_up "$s"; then st=up; else st=down; fi
      [ "$s" = node ] && [ "$st" = up ] && st="up (node $NODE_NAME Ready)"
      printf '%-10s %-32s %-44s %s\n' "$s" "$("version_$s")" "$(addr_of "$s")" "$st"
    done
    tls_status ;;
  env)
    write_env; cat "$RUN/env" ;;
  empty-cluster)
    argocd_empty_cluster "$@" ;;
  kafka3)
    kafka3_command "$@" ;;
  node2)
    node2_command "$@" ;;
  *) die "usage: infra.sh up|down|status|env|install [service...] | empty-cluster up|down ID | kafka3 stop|start N | node2 lose|restore" ;;
esac
