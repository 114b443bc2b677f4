#!/usr/bin/env bash
# examples/production/broker.yaml starts a real broker once its files exist, made the way
# docs/operations.md ("Production checklist") says: a TLS certificate from "your PKI" (here a test
# CA), CA keys made with openssl and encrypted (PKCS#8) under the passphrase file, a metrics token.
# /etc/jitbroker and /var/lib/jitbroker are moved into a temporary folder and the listen address
# overridden to 127.0.0.1:0; nothing else of the example changes. Checks: the CA keys on disk are
# encrypted; a wrong passphrase stops start-up with one line; the broker serves /healthz over TLS,
# refuses /metrics without the token; `ca show` and `backup` work on it.
# CONFIG_DIR (default SOURCE_DIR/examples/production) holds broker.yaml and policy.yaml: the
# Debian package's test passes its extracted /etc/jitbroker (tests/packaging/deb_package.sh).
# Usage: production_example.sh JIT_BROKER_BINARY SOURCE_DIR [CONFIG_DIR]
set -euo pipefail

broker=$(realpath "$1")
source_dir=$(realpath "$2")
config_dir=$(realpath "${3:-$source_dir/examples/production}")
fail() {
  echo "production_example: $*" >&2
  [[ -f ${work:-}/broker.err ]] && sed 's/^/  broker: /' "$work/broker.err" >&2
  exit 1
}
[[ -x $broker ]] || fail "no jit-broker binary at $broker"

work=$(mktemp -d /tmp/jit-production-XXXXXX)
broker_pid=""
cleanup() {
  if [[ -n $broker_pid ]]; then
    kill "$broker_pid" 2> /dev/null || true
    wait "$broker_pid" 2> /dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
umask 077
etc=$work/etc/jitbroker
mkdir -p "$etc/ca" "$etc/tls" "$work/var/lib/jitbroker"
cd "$work"

sed -e "s|/etc/jitbroker|$etc|g" -e "s|/var/lib/jitbroker|$work/var/lib/jitbroker|g" \
  "$config_dir/broker.yaml" > "$etc/broker.yaml"
cp "$config_dir/policy.yaml" "$etc/policy.yaml"
grep -q "dev_tls: false" "$etc/broker.yaml" || fail "the example no longer says dev_tls: false"

# The checklist's commands (docs/operations.md), with $etc for /etc/jitbroker.
openssl rand -base64 32 > "$etc/ca.pass"
openssl rand -hex 32 > "$etc/metrics.token"
openssl genpkey -algorithm ed25519 -aes-256-cbc -pass "file:$etc/ca.pass" \
  -out "$etc/ca/ssh_ca.key" 2> /dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc \
  -pass "file:$etc/ca.pass" -out "$etc/ca/x509_root.key" 2> /dev/null
openssl req -x509 -new -key "$etc/ca/x509_root.key" -passin "file:$etc/ca.pass" -days 3650 \
  -subj "/O=Corp/CN=Corp jitbroker root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$etc/ca/x509_root.crt"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc \
  -pass "file:$etc/ca.pass" -out "$etc/ca/x509_issuing.key" 2> /dev/null
openssl req -new -key "$etc/ca/x509_issuing.key" -passin "file:$etc/ca.pass" \
  -subj "/O=Corp/CN=Corp jitbroker issuing CA" -out issuing.csr
printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" \
  "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
  "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" > issuing.ext
openssl x509 -req -in issuing.csr -CA "$etc/ca/x509_root.crt" -CAkey "$etc/ca/x509_root.key" \
  -passin "file:$etc/ca.pass" -CAcreateserial -days 730 -extfile issuing.ext \
  -out "$etc/ca/x509_issuing.crt" 2> /dev/null

# "Your PKI": a test CA that signs the server certificate for jit.corp.example and 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pki.key -days 1 \
  -subj "/CN=test PKI" -out pki.crt 2> /dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$etc/tls/server.key" \
  -subj "/CN=jit.corp.example" -out server.csr 2> /dev/null
printf '%s\n' "subjectAltName=DNS:jit.corp.example,IP:127.0.0.1" > server.ext
openssl x509 -req -in server.csr -CA pki.crt -CAkey pki.key -CAcreateserial -days 1 \
  -extfile server.ext -out "$etc/tls/server.crt" 2> /dev/null

for key in ssh_ca x509_root x509_issuing; do
  grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$etc/ca/$key.key" || fail "$key.key is not encrypted"
done

jit_broker() { "$broker" --config "$etc/broker.yaml" "$@"; }

# A wrong passphrase: one line, exit 2, nothing served.
cp "$etc/ca.pass" right.pass
echo "not the passphrase" > "$etc/ca.pass"
set +e
jit_broker serve --listen 127.0.0.1:0 > wrong.out 2> wrong.err
code=$?
set -e
cp right.pass "$etc/ca.pass"
[[ $code == 2 ]] || fail "a wrong CA passphrase exited $code, not 2"
[[ $(wc -l < wrong.err) == 1 ]] || fail "a wrong CA passphrase printed: $(cat wrong.err)"

# The binary itself in the background (not the jit_broker function, whose subshell would be the
# pid that cleanup kills, leaving the broker running).
"$broker" --config "$etc/broker.yaml" serve --listen 127.0.0.1:0 > broker.out 2> broker.err &
broker_pid=$!
port=""
for _ in $(seq 300); do
  port=$(sed -n 's|.*listening on https://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' broker.out)
  [[ -n $port ]] && break
  kill -0 "$broker_pid" 2> /dev/null || fail "jit-broker exited: $(cat broker.err)"
  sleep 0.1
done
[[ -n $port ]] || fail "jit-broker did not start listening"

url=https://127.0.0.1:$port
curl -sf --cacert pki.crt "$url/healthz" | grep -q '"ok"' || fail "/healthz failed"
status=$(curl -s -o /dev/null -w '%{http_code}' --cacert pki.crt "$url/metrics")
[[ $status == 401 ]] || fail "/metrics without the token answered $status"
curl -sf --cacert pki.crt -H "Authorization: Bearer $(cat "$etc/metrics.token")" "$url/metrics" |
  grep -q '^jit_crl_next_update_seconds ' || fail "/metrics with the token failed"
jit_broker ca show | grep -q "BEGIN CERTIFICATE" || fail "ca show printed no chain"
jit_broker backup "$work/backup.db" | grep -q "audit head" || fail "backup failed"
echo "production_example: the production example serves on 127.0.0.1:$port"
