# The `prometheus` test service: a Prometheus server and promtool, built from the Go module
# proxy, that scrapes the real pods on the node (Kubernetes service discovery, pod role, through
# the node's API server) with the shipped alert rules (config/prometheus/rules.yaml) loaded.
# Sourced by infra.sh, not run; needs the node (node.sh) for its targets.
#
# Intervals are short so tests see alerts within a minute: scrape and rule evaluation every 5 s.
# PROMETHEUS_RULE_FILES (colon-separated) loads other rule files instead of the shipped ones
# (tests pass the shipped rules rewritten with short `for:` durations).

PROM_PORT=${MF_PROMETHEUS_PORT:-59090}
PROM_DIR="$RUN/prometheus"

install_prometheus() {
  local v=$PROMETHEUS_VERSION
  stamp_ok prometheus "$v" && stamp_ok promtool "$v" && return
  local dir="$CACHE/go-src/prometheus-$v"; mkdir -p "$dir"
  log "building Prometheus and promtool $v (Go module proxy); the first build takes several minutes"
  (
    cd "$dir"
    export GOFLAGS=-mod=mod CGO_ENABLED=0
    printf 'module mobileforge.local/prometheus-build\ngo 1.26.7\nrequire github.com/prometheus/prometheus %s\n' "$v" > go.mod
    printf '//go:build tools\npackage tools\nimport (\n\t_ "github.com/prometheus/prometheus/cmd/prometheus"\n\t_ "github.com/prometheus/prometheus/cmd/promtool"\n)\n' > tools.go
    go mod tidy -e >/dev/null 2>&1 || true
    # Only Kubernetes service discovery; the web UI's assets are not embedded (the API is all tests use).
    local tags=tools,remove_all_sd,enable_kubernetes_sd
    # module v0.3MM.P is Prometheus 3.MM.P
    local n=${v#v0.}; local ldf="-s -w -X github.com/prometheus/common/version.Version=3.$(( ${n%%.*} - 300 )).${n#*.}"
    go_build "Prometheus and promtool $v" -tags "$tags" -ldflags "$ldf" -o "$BIN/" github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool
    for cmd in prometheus promtool; do echo "$v" > "$BIN/$cmd.version"; done
  ) || die "building Prometheus $v failed"
}

prometheus_config() {
  local rules=${PROMETHEUS_RULE_FILES:-$INFRA_DIR/../../config/prometheus/rules.yaml} files=""
  local IFS=:
  for f in $rules; do files+="  - '$f'"$'\n'; done
  cat <<CFG
global:
  scrape_interval: 5s
  scrape_timeout: 4s
  evaluation_interval: 5s
rule_files:
$files
scrape_configs:
  # Every pod container port named "metrics": the operator, the Producer API and the consumers
  # (the same port the chart's ServiceMonitor and the pipelines' PodMonitors scrape).
  - job_name: kubernetes-pods
    kubernetes_sd_configs:
      - role: pod
        kubeconfig_file: '$NODE_DIR/kubeconfig'
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_container_port_name]
        regex: metrics
        action: keep
      - source_labels: [__meta_kubernetes_pod_phase]
        regex: Running
        action: keep
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
      - source_labels: [__meta_kubernetes_pod_container_name]
        target_label: container
      # a pipeline's pods: the labels its PodMonitor sets (operator/model/objects/monitoring.ts)
      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name, __meta_kubernetes_pod_label_app_kubernetes_io_instance]
        regex: 'mobileforge-sync;(.+)'
        target_label: pipeline
      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name, __meta_kubernetes_pod_label_app_kubernetes_io_component]
        regex: 'mobileforge-sync;(.+)'
        target_label: component
CFG
}

up_prometheus() {
  install_prometheus
  is_up_node || die "prometheus scrapes the node's pods: start the node first (infra.sh up node prometheus)"
  mkdir -p "$PROM_DIR"
  prometheus_config > "$PROM_DIR/prometheus.yml"
  if port_open "$PROM_PORT"; then
    # running already: pick up the (possibly different) rule files
    curl -fsS -X POST "http://127.0.0.1:$PROM_PORT/-/reload" >/dev/null || die "prometheus did not reload"
    return
  fi
  log "starting Prometheus $PROMETHEUS_VERSION on 127.0.0.1:$PROM_PORT (scraping the node's pods)"
  setsid nohup "$BIN/prometheus" --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-lifecycle --log.level=warn \
    > "$PROM_DIR/server.log" 2>&1 < /dev/null &
  echo $! > "$PROM_DIR/pid"
  local i=0
  until curl -fsS "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 120 ] && die "Prometheus not ready after 60 s; see $PROM_DIR/server.log"
    sleep 0.5
  done
}
down_prometheus() {
  stop_pid "$PROM_DIR/pid" 10
  [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$PROM_DIR"
}
is_up_prometheus() { curl -fsS "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1; }
version_prometheus() { echo "$PROMETHEUS_VERSION"; }
addr_prometheus() { echo "http://127.0.0.1:$PROM_PORT"; }
