#!/usr/bin/env bash
# The one test command: installs what is missing, builds the default (release with assertions) and
# the asan (AddressSanitizer + UndefinedBehaviorSanitizer) presets, and runs every test in both.
set -euo pipefail
cd "$(dirname "$0")/.."

./examples/install-deps.sh --test

jobs=$(nproc)
# ccache (installed above) makes every run after the first rebuild only what changed.
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
for preset in default asan; do
  echo "=== preset ${preset}: configure and build"
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" -j "${jobs}"
  echo "=== preset ${preset}: tests"
  ctest --preset "${preset}" -j "${jobs}" --timeout 300
  if [[ "${preset}" == default ]]; then
    echo "=== preset default: browser tests (tests/browser, Chromium + playwright-core)"
    ./tests/browser/run.sh
  fi
done
