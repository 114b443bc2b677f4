#!/usr/bin/env bash
# Fails when an integration test binary holds a GoogleTest suite that CTest does not run.
# CMake registers one CTest entry per suite it finds in the sources' TEST/TEST_F/TEST_P lines
# (cmake/JitLibrary.cmake, jit_add_integration_suites); a suite declared any other way would
# silently never run. Usage: check_registered_suites.sh BINARY SUITE...
set -euo pipefail
binary=$1
shift
declare -A registered=()
for suite in "$@"; do registered[$suite]=1; done
missing=0
# --gtest_list_tests prints "Suite." (or "Prefix/Suite.  # TypeParam ...") then indented tests.
while IFS= read -r line; do
  [[ $line =~ ^[A-Za-z0-9_/]+\.( |$) ]] || continue
  suite=${line%%.*}
  suite=${suite##*/}
  if [[ -z ${registered[$suite]:-} ]]; then
    echo "suite ${suite} of $(basename "$binary") has no CTest entry" >&2
    missing=1
  fi
done < <("$binary" --gtest_list_tests)
((missing == 0)) && echo "all $# suites of $(basename "$binary") are registered"
exit "$missing"
