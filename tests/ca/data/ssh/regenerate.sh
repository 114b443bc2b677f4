#!/usr/bin/env bash
# Regenerates the golden SSH test data with Debian 12's ssh-keygen (OpenSSH 9.2p1). Throwaway keys
# made for the unit tests only; they protect nothing. Run from anywhere:
#   tests/ca/data/ssh/regenerate.sh
set -euo pipefail
export TZ=UTC  # ssh-keygen -V reads local time; the tests expect these instants in UTC
cd "$(dirname "$0")"
rm -f -- *.pub *.key *.krl *.txt
keygen() { ssh-keygen -q -C "$1" -N "${3:-}" -t "$2" "${@:4}" -f "$1.key"; mv "$1.key.pub" "$1.pub"; }
keygen ed25519_ca ed25519
keygen ecdsa256_ca ecdsa "" -b 256
keygen ecdsa384_user ecdsa "" -b 384
keygen ecdsa521_user ecdsa "" -b 521
keygen rsa3072_ca rsa "" -b 3072
keygen ed25519_encrypted ed25519 "jit-test-passphrase"
keygen rsa2048_user rsa "" -b 2048
keygen dsa_user dsa
keygen ed25519_user ed25519
rm -f dsa_user.key rsa2048_user.key  # only their .pub lines are used (to be refused)

# Fingerprints as ssh-keygen prints them: "<bits> SHA256:<fp> <comment> (<TYPE>)".
for pub in ed25519_ca ecdsa256_ca ecdsa384_user ecdsa521_user rsa3072_ca ed25519_user; do
  ssh-keygen -l -E sha256 -f "$pub.pub"
done > fingerprints.txt

# A certificate minted by ssh-keygen, for the parser: all five default extensions, two critical options.
cp ed25519_user.pub keygen_user.pub
ssh-keygen -q -s ed25519_ca.key -I "keygen:cert" -n alice,bob -z 4242 -V 20300101000000:20300102000000 \
  -O force-command=/bin/true -O source-address=127.0.0.0/8,::1 keygen_user.pub
rm keygen_user.pub

# A KRL made by ssh-keygen -k: a list, a range, a bitmap-worthy cluster and key ids for one CA.
{
  echo "serial: 7"
  echo "serial: 100-200"
  for s in $(seq 1000 2 1100); do echo "serial: $s"; done
  echo "id: jit:req-1:alice:prod-db-read"
  echo "id: alice@jit"
} > krl_spec.txt
ssh-keygen -q -k -f keygen.krl -s ed25519_ca.pub -z 12 krl_spec.txt
ssh-keygen -Q -l -f keygen.krl > keygen_krl_dump.txt || true
