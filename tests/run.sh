#!/usr/bin/env bash
# The one test command: installs what is missing, builds the default (release with assertions, GCC)
# and the asan (clang, AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer targets) presets,
# runs every test in both, then fuzzes each libFuzzer target for 10 s (tests/fuzz/run.sh): a smoke
# run that catches a new crash early; longer campaigns are `tests/fuzz/run.sh 3600` by hand.
# Timing (README, "Build time"): the two builds are most of it, so the browser tests run
# while the asan preset compiles, and CTest starts two tests per core because most tests wait on
# a child process, a socket or a timeout rather than compute.
set -euo pipefail
cd "$(dirname "$0")/.."

./examples/install-deps.sh --test

echo "=== clang-format: every C++ file as .clang-format says"
find broker ca approvals config tests -name node_modules -prune -o \( -name '*.cpp' -o -name '*.hpp' \) -print |
  xargs clang-format --dry-run -Werror

jobs=$(nproc)
test_jobs=$((2 * jobs))
# ccache (installed above) makes every run after the first rebuild only what changed.
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
build() {
  local preset=$1
  echo "=== preset ${preset}: configure and build"
  # A build folder configured with another compiler (the asan preset used GCC before it used
  # clang) cannot switch in place: CMake drops its cache and fails once, so configure it afresh.
  cmake --preset "${preset}" >/dev/null 2>&1 || cmake --preset "${preset}" --fresh >/dev/null
  cmake --build --preset "${preset}" -j "${jobs}"
}

build default
echo "=== preset default: tests"
ctest --preset default -j "${test_jobs}" --timeout 300

echo "=== preset default: browser tests (tests/browser, Chromium + playwright-core), in the background"
browser_log=build/default/browser-tests.log
./tests/browser/run.sh >"${browser_log}" 2>&1 &
browser_pid=$!
browser_status=0
build asan || { kill "${browser_pid}" 2>/dev/null; wait "${browser_pid}" || true; exit 1; }
wait "${browser_pid}" || browser_status=$?
echo "=== preset default: browser tests (output of the background run)"
cat "${browser_log}"
if ((browser_status != 0)); then
  echo "=== browser tests failed (exit ${browser_status})" >&2
  exit "${browser_status}"
fi

echo "=== preset asan: tests"
ctest --preset asan -j "${test_jobs}" --timeout 300
echo "=== fuzzing: each libFuzzer target of the asan preset for 10 s"
./tests/fuzz/run.sh 10
