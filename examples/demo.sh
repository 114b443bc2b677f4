#!/usr/bin/env bash
# One command for a first look: installs what is missing (Debian packages), builds, and starts the
# broker on https://127.0.0.1:8443 with the embedded defaults of examples/broker.yaml: a SQLite file
# and dev CA keys under ./var/ (made on first start), the demo policy examples/policy.yaml, and the
# demo users enrolled. Each user's password and TOTP secret are printed once, at enrolment.
set -euo pipefail
cd "$(dirname "$0")/.."

./examples/install-deps.sh
# A build folder made with another compiler (GCC before) cannot switch in place: configure it afresh.
cmake --preset default >/dev/null 2>&1 || cmake --preset default --fresh >/dev/null
cmake --build --preset default -j "$(nproc)" --target jit-broker jit

broker=build/default/broker/jit-broker
config=examples/broker.yaml
mkdir -p var
chmod 0700 var

if [[ ! -e var/demo-users-enrolled ]]; then
  echo "Enrolling the demo users (shown once; they are not stored in clear anywhere):"
  printf '  %-6s %-22s %s\n' user password "TOTP (add the otpauth URI to an authenticator app)"
  for user in alice bob carol dave erin frank; do
    password=$(openssl rand -base64 18 | tr -d '/+=' | cut -c1-20)
    uri=$(printf '%s\n' "$password" | "$broker" --config "$config" user enroll "$user")
    printf '  %-6s %-22s %s\n' "$user" "$password" "$uri"
  done
  touch var/demo-users-enrolled
fi

cat <<MSG

Starting jit-broker at https://localhost:8443/ (browsers need the name localhost for passkeys).
Health: curl -k https://127.0.0.1:8443/healthz
Stop it with Ctrl-C here, or from another shell: pkill -TERM -f 'jit-broker --config $config serve'
Start again from scratch: remove ./var/
MSG
exec "$broker" --config "$config" serve
