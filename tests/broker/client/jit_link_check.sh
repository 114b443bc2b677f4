#!/usr/bin/env bash
# The engineer's `jit` client links no server or storage code (docs/architecture.md, "Folders"):
# checked on the link command the build runs and on the built binary, so that a dependency of
# jit_client on the daemon's library, SQLite or the server fails this test. The link command is
# the real proof: the linker drops unused libraries (--as-needed) and objects, so `ldd` and `nm` of
# a jit that still links the daemon can look clean.
# Usage: jit_link_check.sh JIT_BINARY BUILD_DIR [NINJA]   (NINJA empty for other generators)
set -euo pipefail

jit=$1
build_dir=$2
ninja=${3:-}
fail() {
  echo "jit_link_check: $*" >&2
  exit 1
}
[[ -x $jit ]] || fail "no jit binary at $jit"

if [[ -n $ninja ]]; then
  target=$(realpath --relative-to="$build_dir" "$jit")
  link=$("$ninja" -C "$build_dir" -t commands "$target" | tail -n 1)
  [[ $link == *libjit_client.a* ]] || fail "not jit's link command: $link"
  for library in libjit_broker.a SQLiteCpp sqlite3 systemd; do
    [[ $link != *"$library"* ]] || fail "jit's link command names $library: $link"
  done
  echo "link command: no libjit_broker.a, SQLiteCpp, sqlite3 or libsystemd"
fi

# libsystemd (sd_notify) is the daemon's alone.
loaded=$(ldd "$jit" | grep -i -E 'sqlite|libsystemd' || true)
[[ -z $loaded ]] || fail "jit loads SQLite or libsystemd: $loaded"

symbols=$(nm -C "$jit" | grep -E 'sqlite3_|SQLite::|jit::broker::(Store|HttpsServer|Router|BrokerApp)::' || true)
[[ -z $symbols ]] || fail "jit holds daemon code: $(head -n 5 <<<"$symbols")"
echo "ldd and nm: no SQLite, store or server code in $jit"
