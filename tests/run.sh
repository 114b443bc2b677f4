#!/usr/bin/env bash
# The one test command: installs what is missing, builds the default (release with assertions, GCC)
# and the asan (clang, AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer targets) presets,
# runs every test in both, then fuzzes each libFuzzer target for 30 s (tests/fuzz/run.sh): a smoke
# run that catches a new crash early; longer campaigns are `tests/fuzz/run.sh 3600` by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

./examples/install-deps.sh --test

echo "=== clang-format: every C++ file as .clang-format says"
find broker ca approvals config tests -name node_modules -prune -o \( -name '*.cpp' -o -name '*.hpp' \) -print |
  xargs clang-format --dry-run -Werror

jobs=$(nproc)
# ccache (installed above) makes every run after the first rebuild only what changed.
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
for preset in default asan; do
  echo "=== preset ${preset}: configure and build"
  # A build folder configured with another compiler (the asan preset used GCC before it used
  # clang) cannot switch in place: CMake drops its cache and fails once, so configure it afresh.
  cmake --preset "${preset}" >/dev/null 2>&1 || cmake --preset "${preset}" --fresh >/dev/null
  cmake --build --preset "${preset}" -j "${jobs}"
  echo "=== preset ${preset}: tests"
  ctest --preset "${preset}" -j "${jobs}" --timeout 300
  if [[ "${preset}" == default ]]; then
    echo "=== preset default: browser tests (tests/browser, Chromium + playwright-core)"
    ./tests/browser/run.sh
  fi
done
echo "=== fuzzing: each libFuzzer target of the asan preset for 30 s"
./tests/fuzz/run.sh 30
