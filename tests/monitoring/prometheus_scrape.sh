#!/usr/bin/env bash
# A real Prometheus (Debian's `prometheus`) scrapes a real `jit-broker serve` on 127.0.0.1 over
# HTTPS, trusting the broker's dev certificate and sending the /metrics bearer token, with
# examples/monitoring/alerts.yml loaded, as docs/operations.md ("Monitoring") tells operators to.
# Checks: /metrics refuses a scrape without the token; every jit_* name the alert rules and the
# dashboard use is one the broker exports; Prometheus' HTTP API answers the CRL's nextUpdate series
# (in the future) and up == 1; every dashboard query evaluates; every alert rule evaluates
# cleanly and JitBrokerDown does not fire. Without prometheus or curl it fails, it does not skip.
# Usage: prometheus_scrape.sh JIT_BROKER_BINARY SOURCE_DIR
set -euo pipefail

broker=$(realpath "$1")
source_dir=$(realpath "$2")
fail() {
  echo "prometheus_scrape: $*" >&2
  [[ -f ${work:-}/broker.err ]] && sed 's/^/  broker: /' "$work/broker.err" >&2
  [[ -f ${work:-}/prometheus.log ]] && tail -n 20 "$work/prometheus.log" | sed 's/^/  prometheus: /' >&2
  exit 1
}
for tool in prometheus curl jq; do
  command -v "$tool" > /dev/null || fail "$tool not found: run examples/install-deps.sh --test"
done
[[ -x $broker ]] || fail "no jit-broker binary at $broker"

work=$(mktemp -d /tmp/jit-prometheus-XXXXXX)
broker_pid=""
prometheus_pid=""
cleanup() {
  for pid in $prometheus_pid $broker_pid; do
    kill "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# Polls "$@" every 0.1 s until it succeeds, for at most $1 seconds.
poll() {
  local limit=$1
  shift
  local deadline=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# --- the broker: dev TLS and CA, /metrics behind a bearer token --------------------------------
cd "$work"
cat > policy.yaml << 'YAML'
groups:
  developers: [alice]
  sre-leads: [carol]
roles:
  dev-shell:
    requestable_by: [developers]
    approvers: [sre-leads]
    max_duration: 1h
    ssh: { principals: [dev] }
YAML
(umask 077 && head -c 24 /dev/urandom | base64 | tr -d '\n/+=' > metrics.token && echo >> metrics.token)
cat > broker.yaml << 'YAML'
listen: 127.0.0.1:0
data_dir: data
policy_file: policy.yaml
tls: { dev_tls: true }
ca: { generate_missing: true }
metrics: { bearer_token_file: metrics.token }
audit_stream: { file: { path: audit.jsonl } }  # so the audit stream's gauges have samples
YAML
"$broker" --config broker.yaml serve > broker.out 2> broker.err &
broker_pid=$!
broker_port() { sed -n 's|.*listening on https://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' broker.out; }
broker_listening() {
  kill -0 "$broker_pid" 2> /dev/null || fail "jit-broker exited"
  [[ -n $(broker_port) ]]
}
poll 30 broker_listening || fail "jit-broker did not start listening"
port=$(broker_port)
ca_file=$work/data/tls/server.crt
metrics_url=https://127.0.0.1:$port/metrics

status=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca_file" "$metrics_url")
[[ $status == 401 ]] || fail "/metrics without the token answered $status, not 401"
curl -sf --cacert "$ca_file" -H "Authorization: Bearer $(head -n 1 metrics.token)" "$metrics_url" \
  > metrics.txt || fail "/metrics with the token failed"
for name in $(grep -oh 'jit_[a-z_]*' "$source_dir/examples/monitoring/alerts.yml" \
  "$source_dir/examples/monitoring/grafana-dashboard.json" | sort -u); do
  grep -q "^$name[ {]" metrics.txt || fail "$name is used by examples/monitoring but not exported"
done

# --- Prometheus: scrape every second over HTTPS with the test CA and the token -----------------
cat > prometheus.yml << YAML
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ["$source_dir/examples/monitoring/alerts.yml"]
scrape_configs:
  - job_name: jitbroker
    scheme: https
    tls_config: { ca_file: "$ca_file" }
    authorization: { credentials_file: "$work/metrics.token" }
    static_configs: [{ targets: ["127.0.0.1:$port"] }]
YAML
promtool check config prometheus.yml > /dev/null || fail "promtool check config failed"

# Prometheus cannot report a port the system picked, so a free-looking one is tried (a few times
# when another process takes it first).
# True once Prometheus is ready, or once it has exited (the caller tells which).
prometheus_ready_or_gone() {
  kill -0 "$prometheus_pid" 2> /dev/null || return 0
  curl -sf "http://127.0.0.1:$prom_port/-/ready" > /dev/null
}
for attempt in 1 2 3 4 5; do
  prom_port=$((20000 + RANDOM % 30000))
  ss -Hltn "sport = :$prom_port" | grep -q . && continue
  prometheus --config.file=prometheus.yml --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" --log.level=warn > prometheus.log 2>&1 &
  prometheus_pid=$!
  if poll 30 prometheus_ready_or_gone && kill -0 "$prometheus_pid" 2> /dev/null; then break; fi
  kill "$prometheus_pid" 2> /dev/null || true
  wait "$prometheus_pid" 2> /dev/null || true
  prometheus_pid=""
  grep -q "address already in use" prometheus.log || fail "prometheus did not start"
done
[[ -n $prometheus_pid ]] || fail "no free port for prometheus"
api=http://127.0.0.1:$prom_port/api/v1

# Answers the JSON of an instant query.
query() { curl -sf --get --data-urlencode "query=$1" "$api/query"; }
series_count() { query "$1" | jq '.data.result | length'; }
has_series() { [[ $(series_count "$1") -ge 1 ]]; }

poll 30 has_series 'jit_crl_next_update_seconds{job="jitbroker"}' ||
  fail "Prometheus never had jit_crl_next_update_seconds"
next_update=$(query 'jit_crl_next_update_seconds{job="jitbroker"}' | jq -r '.data.result[0].value[1]')
now=$(date +%s)
((${next_update%.*} > now)) || fail "CRL nextUpdate $next_update is not after now ($now)"
[[ $(query 'up{job="jitbroker"}' | jq -r '.data.result[0].value[1]') == 1 ]] || fail "up is not 1"

# Two scrapes at least, so that rate() and increase() have samples to work on.
poll 30 has_series 'count_over_time(up{job="jitbroker"}[1m]) >= 2' || fail "fewer than two scrapes"
while IFS= read -r expr; do
  # Grafana fills $instance in; every instance here.
  expr=${expr//\$instance/.+}
  answer=$(query "$expr") || fail "dashboard query refused: $expr"
  [[ $(jq -r .status <<< "$answer") == success ]] || fail "dashboard query failed: $expr"
done < <(jq -r '.panels[].targets[].expr' "$source_dir/examples/monitoring/grafana-dashboard.json")

# The alert rules: loaded, evaluated without error, and a healthy broker is not reported down.
rule_count=$(grep -c '^ *- alert:' "$source_dir/examples/monitoring/alerts.yml")
rules_evaluated() {
  curl -sf "$api/rules" | jq -e --argjson n "$rule_count" '[.data.groups[]
    | select(.name == "jitbroker") | .rules[]] | length == $n and all(.[]; .health == "ok")' \
    > /dev/null
}
poll 30 rules_evaluated || fail "the alert rules did not all evaluate: $(curl -sf "$api/rules")"
curl -sf "$api/alerts" | jq -e 'all(.data.alerts[]; .labels.alertname != "JitBrokerDown")' \
  > /dev/null || fail "JitBrokerDown fires for a running broker"
echo "prometheus_scrape: Prometheus scraped jit-broker on 127.0.0.1:$port (nextUpdate $next_update)"
