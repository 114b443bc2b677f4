#!/usr/bin/env bash
# Full benchmark runs: builds the default preset and runs every *_bench binary (the ca
# micro-benchmarks, the revocation rebuild, the HTTPS mint load and the request flow), printing
# their figures and writing them all into one report, build/default/bench-report.txt, headed by the
# machine, the date and the commit. Long runs: several minutes. Never fails on timing; it fails only
# when a benchmark finds the broker misbehaving (an error answer, a certificate missing from the
# database).
set -euo pipefail
cd "$(dirname "$0")/../.."
./examples/install-deps.sh --test
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
cmake --preset default >/dev/null 2>&1 || cmake --preset default --fresh >/dev/null
cmake --build --preset default -j "$(nproc)"
report=build/default/bench-report.txt
set +e
{
  failed=0
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "date: $(date -u '+%F %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for bench in build/default/tests/bench/*_bench; do
    [[ -x "$bench" ]] || continue
    echo
    echo "=== $(basename "$bench")"
    "$bench" || { failed=1; echo "=== $(basename "$bench") FAILED"; }
  done
  exit "$failed"
} 2>&1 | tee "$report"
status=${PIPESTATUS[0]}
set -e
echo "report: $report"
exit "$status"
