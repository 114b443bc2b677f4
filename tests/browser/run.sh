#!/usr/bin/env bash
# Browser tests of the approval page: Debian's Chromium driven by playwright-core (from npm, no
# browser download) against a real `jit-broker serve` that each test file starts on a free
# loopback port. Needs the default preset's jit-broker built (tests/run.sh does that first), the
# Debian packages chromium and libnss3-tools, and node >= 20 with npm.
# Screenshots go to build/default/test-artifacts/browser/ (JIT_BROWSER_ARTIFACTS overrides).
# Usage: tests/browser/run.sh [test files...]   (default: every tests/browser/*.test.js)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "${here}/../.." && pwd)"

export JIT_BROKER="${JIT_BROKER:-${root}/build/default/broker/jit-broker}"
export JIT_BROWSER_ARTIFACTS="${JIT_BROWSER_ARTIFACTS:-${root}/build/default/test-artifacts/browser}"
export JIT_CHROMIUM="${JIT_CHROMIUM:-/usr/bin/chromium}"

fail() {
  echo "tests/browser: $*" >&2
  exit 1
}
[[ -x "${JIT_BROKER}" ]] || fail "${JIT_BROKER} is missing: cmake --build --preset default --target jit-broker"
[[ -x "${JIT_CHROMIUM}" ]] || fail "${JIT_CHROMIUM} is missing: apt-get install chromium (examples/install-deps.sh --test)"
command -v certutil >/dev/null || fail "certutil is missing: apt-get install libnss3-tools"
command -v oathtool >/dev/null || fail "oathtool is missing: apt-get install oathtool"
command -v node >/dev/null || fail "node is missing (node >= 20 with npm)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || fail "node $(node --version) is too old: playwright-core needs node >= 20"

cd "${here}"
if [[ ! -d node_modules/playwright-core || ! -d node_modules/axe-core ]]; then
  # Exactly the versions in package-lock.json; playwright-core downloads no browser, axe-core
  # (the accessibility checks of a11y.test.js) is one script file.
  npm ci --no-audit --no-fund
fi
mkdir -p "${JIT_BROWSER_ARTIFACTS}"
# Screenshots are of this run only.
rm -f "${JIT_BROWSER_ARTIFACTS}"/*.png

# Each test file starts and stops its own broker; their pids are also listed here so that a node
# process that dies on the way cannot leave a broker behind.
run_dir="$(mktemp -d /tmp/jit-browser-run.XXXXXX)"
export JIT_BROWSER_PIDS="${run_dir}/broker.pids"
: >"${JIT_BROWSER_PIDS}"
idp_pid=""
cleanup() {
  while read -r pid; do
    if [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null; then
      echo "tests/browser: stopping leftover broker ${pid}" >&2
      kill -TERM "${pid}" 2>/dev/null || true
    fi
  done <"${JIT_BROWSER_PIDS}"
  if [[ -n "${idp_pid}" ]]; then kill -TERM "${idp_pid}" 2>/dev/null || true; fi
  rm -rf "${run_dir}"
}
trap cleanup EXIT

if (($# == 0)); then
  set -- ./*.test.js
fi

# The OpenID provider the SSO scenarios sign in through (tests/sso/test_idp.js: npm
# oidc-provider over TLS on 127.0.0.1 with a self-signed certificate made here), one for the run,
# started only when an sso test file runs. lib/idp.js reads where it is from the environment.
start_test_idp() {
  local dir="${run_dir}/idp"
  mkdir -p "${dir}"
  bash "${root}/tests/sso/setup.sh"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=test-idp \
    -addext "subjectAltName=IP:127.0.0.1" -addext "basicConstraints=critical,CA:FALSE" \
    -addext "extendedKeyUsage=serverAuth" -days 2 \
    -keyout "${dir}/idp.key" -out "${dir}/idp.crt" 2>/dev/null
  (umask 077 && openssl rand -hex 24 >"${dir}/client.secret")
  echo '{}' >"${dir}/users.json"
  node "${root}/tests/sso/test_idp.js" --cert "${dir}/idp.crt" --key "${dir}/idp.key" \
    --users "${dir}/users.json" --client-id jit-broker --client-secret-file "${dir}/client.secret" \
    >"${dir}/out" 2>"${dir}/err" &
  idp_pid=$!
  local waited=0
  until grep -q '^listening ' "${dir}/out"; do
    kill -0 "${idp_pid}" 2>/dev/null || fail "test_idp.js did not start: $(cat "${dir}/err")"
    ((waited++ < 150)) || fail "test_idp.js did not start within 15 s"
    sleep 0.1
  done
  export JIT_SSO_ISSUER="https://127.0.0.1:$(awk '/^listening /{print $2}' "${dir}/out")"
  export JIT_SSO_CA_FILE="${dir}/idp.crt" JIT_SSO_CLIENT_SECRET_FILE="${dir}/client.secret"
}
if printf '%s\n' "$@" | grep -q 'sso'; then
  start_test_idp
fi
# One file at a time: the machine has two cores, and each file runs a broker and a Chromium.
node --test --test-concurrency=1 --test-timeout=120000 "$@"
