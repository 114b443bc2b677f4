#!/usr/bin/env bash
# Installs the test OpenID provider's npm packages (exactly package-lock.json's versions) once;
# test processes that start test_idp.js at the same time wait on the lock instead of racing npm.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "tests/sso: node is missing (node >= 20 with npm)" >&2; exit 1; }
exec 9>"${TMPDIR:-/tmp}/jit-sso-npm-ci.lock"
flock 9
if [[ ! -f node_modules/oidc-provider/package.json ]]; then
  npm ci --no-audit --no-fund >&2
fi
