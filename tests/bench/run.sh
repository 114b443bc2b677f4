#!/usr/bin/env bash
# Full benchmark runs: builds the default preset and runs every *_bench binary, printing figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
./examples/install-deps.sh --test
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
for bench in build/default/tests/bench/*_bench; do
  [[ -x "$bench" ]] || continue
  echo "=== $(basename "$bench")"
  "$bench"
done
