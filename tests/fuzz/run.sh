#!/usr/bin/env bash
# Runs every libFuzzer target of the asan build for SECONDS each (default 60), two at a time, each
# over a scratch copy of its seed corpus (new inputs never go into the repository). Exits non-zero
# if any target crashed, leaked, hit a sanitizer or a property check, and prints the reproducer.
# Usage: tests/fuzz/run.sh [SECONDS]        (./tests/run.sh calls it with 5; by hand e.g. 3600)
# Env:   JIT_FUZZ_BUILD_DIR (default build/asan), JIT_FUZZ_TARGETS (names, default all),
#        JIT_FUZZ_PARALLEL (default 2)
# Reproduce a finding: build/asan/tests/fuzz/<target> <reproducer file>
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: tests/fuzz/run.sh [SECONDS]" >&2
  exit 2
fi
build_dir=${JIT_FUZZ_BUILD_DIR:-$repo/build/asan}
parallel=${JIT_FUZZ_PARALLEL:-2}
targets=(${JIT_FUZZ_TARGETS:-http_request api_json config_yaml ssh_key csr webauthn_cbor webauthn_client_data oidc_id_token})

# Longest input each target may build: past every limit it must enforce (8 KiB of HTTP headers,
# the CSR and key sizes it accepts), short enough to keep the executions fast.
declare -A max_len=(
  [http_request]=16384 [api_json]=4096 [config_yaml]=8192 [ssh_key]=4096 [csr]=4096
  [webauthn_cbor]=2048 [webauthn_client_data]=2048 [oidc_id_token]=4096
)

for target in "${targets[@]}"; do
  if [[ ! -x $build_dir/tests/fuzz/${target}_fuzz ]]; then
    echo "no $build_dir/tests/fuzz/${target}_fuzz: build the asan preset first" \
      "(cmake --preset asan && cmake --build --preset asan)" >&2
    exit 2
  fi
done

# Scratch space on tmpfs when there is one: corpus copies and the API targets' SQLite database
# (the fuzzers' TMPDIR), which fsyncs on every commit.
scratch_root=/tmp
[[ -d /dev/shm && -w /dev/shm ]] && scratch_root=/dev/shm
work=$(mktemp -d "$scratch_root/jit-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts=$build_dir/fuzz-artifacts
mkdir -p "$artifacts"

run_target() {
  local target=$1 dir=$work/$1
  mkdir -p "$dir/corpus" "$dir/tmp"
  cp "$repo/tests/fuzz/corpus/$target/"* "$dir/corpus/"
  rm -f "$artifacts/$target-"*
  set +e
  TMPDIR=$dir/tmp \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build_dir/tests/fuzz/${target}_fuzz" "$dir/corpus" \
    -max_total_time="$seconds" -max_len="${max_len[$target]:-4096}" -rss_limit_mb=2048 \
    -timeout=25 -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
    >"$dir/log" 2>&1
  echo $? >"$dir/status"
  set -e
}

started=$(date +%s)
echo "=== fuzzing ${#targets[@]} targets for ${seconds}s each, $parallel at a time"
running=0
for target in "${targets[@]}"; do
  if ((running >= parallel)); then
    wait -n
    running=$((running - 1))
  fi
  run_target "$target" &
  running=$((running + 1))
done
wait

failed=0
printf '%-22s %10s %8s %7s %7s %7s %7s\n' target runs exec/s cov0 cov ft rss_mb
for target in "${targets[@]}"; do
  dir=$work/$target
  log=$dir/log
  status=$(cat "$dir/status")
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  initial_cov=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$log" | tail -1)
  final_line=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE).*cov: ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$final_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$final_line")
  printf '%-22s %10s %8s %7s %7s %7s %7s\n' "$target" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "${initial_cov:-?}" "${cov:-?}" "${ft:-?}" "$(stat peak_rss_mb)"
  if [[ $status != 0 ]] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|==FUZZ FINDING==' "$log"; then
    failed=1
    echo "--- $target FAILED (exit $status); the end of its log:"
    tail -n 60 "$log"
    sed -n "s|.*Test unit written to \(.*\)|--- $target reproducer: \1|p" "$log"
    cp "$log" "$artifacts/$target.log"
    echo "--- full log: $artifacts/$target.log; run it again: $build_dir/tests/fuzz/${target}_fuzz FILE"
  fi
done
echo "=== fuzzing took $(($(date +%s) - started))s"
exit "$failed"
