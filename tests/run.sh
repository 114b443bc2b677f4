#!/usr/bin/env bash
# The one test command: installs what is missing, builds the default (release with assertions) and
# the asan (AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer targets) presets, both with
# clang, runs every test in the default preset and every test but the interop suites of
# tests/asan_skipped.txt in the asan preset, then fuzzes each libFuzzer target for 5 s
# (tests/fuzz/run.sh): a smoke run that catches a new crash early; longer campaigns are
# `tests/fuzz/run.sh 3600` by hand.
# Timing (README, "Build time"): the two builds are most of it, so the default preset's tests and
# the browser tests run while the asan preset compiles, and CTest starts two tests per core because
# most tests wait on a child process, a socket or a timeout rather than compute.
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
  # A build folder configured with another compiler (both presets used GCC once) cannot switch
  # in place: CMake drops its cache and fails once, so configure it afresh.
  cmake --preset "${preset}" >/dev/null 2>&1 || cmake --preset "${preset}" --fresh >/dev/null
  cmake --build --preset "${preset}" -j "${jobs}"
}

build default

# The asan build runs in the background, at the lowest priority, while the default preset's tests
# and the browser tests run: they mostly wait on processes and sockets, so the compiler gets the
# idle cores, and the tests get a core whenever they need one.
echo "=== preset asan: configure and build, in the background (nice 19)"
asan_log=build/asan-build.log
mkdir -p build
# Its own process group (setsid), so that a failure below stops the whole build with it.
setsid nice -n 19 bash -c '
  cmake --preset asan >/dev/null 2>&1 || cmake --preset asan --fresh >/dev/null
  cmake --build --preset asan -j "$1"' asan-build "${jobs}" >"${asan_log}" 2>&1 &
asan_pid=$!
trap 'kill -- "-${asan_pid}" 2>/dev/null || true' EXIT

echo "=== preset default: tests"
ctest --preset default -j "${test_jobs}" --timeout 300

echo "=== preset default: browser tests (tests/browser, Chromium + playwright-core)"
./tests/browser/run.sh

echo "=== preset asan: waiting for the build"
asan_status=0
wait "${asan_pid}" || asan_status=$?
trap - EXIT
cat "${asan_log}"
if ((asan_status != 0)); then
  echo "=== preset asan: build failed (exit ${asan_status})" >&2
  exit "${asan_status}"
fi

# tests/asan_skipped.txt: integration suites that prove interop with a real tool; their C++ runs
# under AddressSanitizer in the unit and API tests already (the file says why each is there).
asan_skip=$(sed -e 's/#.*//' tests/asan_skipped.txt | awk 'NF {print $1}' | paste -sd'|')
echo "=== preset asan: tests (skipping the interop suites of tests/asan_skipped.txt)"
ctest --preset asan -j "${test_jobs}" --timeout 300 -E "${asan_skip}"
echo "=== fuzzing: each libFuzzer target of the asan preset for 5 s"
./tests/fuzz/run.sh 5
