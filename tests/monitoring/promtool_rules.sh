#!/usr/bin/env bash
# examples/monitoring as Prometheus and Grafana read it: `promtool check rules` on the alert rules,
# `promtool test rules` on their unit tests (alerts_test.yml beside this script), and the
# dashboard parses as JSON with a query in every panel. promtool comes from Debian's `prometheus`
# package (examples/install-deps.sh --test): without it this test fails, it does not skip.
# Usage: promtool_rules.sh SOURCE_DIR
set -euo pipefail

source_dir=$1
fail() {
  echo "promtool_rules: $*" >&2
  exit 1
}
command -v promtool > /dev/null || fail "promtool not found: run examples/install-deps.sh --test"
command -v jq > /dev/null || fail "jq not found: run examples/install-deps.sh --test"

promtool check rules "$source_dir/examples/monitoring/alerts.yml"
# Rule files in a test file are relative to it.
(cd "$source_dir/tests/monitoring" && promtool test rules alerts_test.yml)

dashboard=$source_dir/examples/monitoring/grafana-dashboard.json
jq -e '(.panels | length) > 0 and all(.panels[]; (.targets | length) > 0
       and all(.targets[]; (.expr | length) > 0))' "$dashboard" > /dev/null ||
  fail "$dashboard: a panel without a query"
echo "promtool_rules: alert rules, their tests and the dashboard are fine"
