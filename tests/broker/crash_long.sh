#!/usr/bin/env bash
# The long crash-safety run: kills `jit-broker serve` with SIGKILL at random moments under load,
# JIT_CRASH_ROUNDS times (20 unless set), and prints each round's figures (acknowledged mints,
# approvals and requests, calls cut off by the kill, downtime, time until the restarted broker
# answers, grants expired at start). It builds nothing: build broker_integration_tests (which
# brings jit-broker) first, e.g.
#   cmake --preset default && cmake --build --preset default --target broker_integration_tests
# Usage: tests/broker/crash_long.sh [BUILD_DIR]   (default build/default)
# JIT_CRASH_SEED=S repeats the kill moments of an earlier run (each run prints its seed).
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir="${1:-build/default}"
binary="$build_dir/tests/broker/broker_integration_tests"
if [[ ! -x "$binary" ]]; then
  echo "crash_long.sh: $binary is missing; build broker_integration_tests first" >&2
  exit 2
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u '+%F %H:%M UTC')"
export JIT_CRASH_ROUNDS="${JIT_CRASH_ROUNDS:-20}"
exec "$binary" --gtest_filter='CrashSafetyTest.*' --gtest_color=no
