#!/usr/bin/env bash
# Regenerates the CSRs the X.509 unit tests read (tests/ca/csr_parser_test.cpp). They are made by
# the openssl command line, an implementation independent of ours; keys are thrown away.
# Usage: tests/ca/data/make_x509_csrs.sh   (from anywhere; writes next to this script)
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

csr() {  # csr OUTPUT KEYFILE SUBJECT [extra openssl req args...]
  local out=$1 key=$2 subject=$3
  shift 3
  openssl req -new -key "$key" -subj "$subject" -out "$out" "$@"
}

openssl genpkey -quiet -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$work/dsa.param"
openssl genpkey -quiet -paramfile "$work/dsa.param" -out "$work/dsa.key"
csr x509_csr_dsa.pem "$work/dsa.key" "/CN=dsa"

openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$work/k1.key"
csr x509_csr_secp256k1.pem "$work/k1.key" "/CN=secp256k1"

openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$work/p521.key"
csr x509_csr_p521.pem "$work/p521.key" "/CN=p521"

openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa2048.key"
csr x509_csr_rsa2048.pem "$work/rsa2048.key" "/CN=rsa2048"

openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$work/rsa3072.key"
csr x509_csr_rsa3072.pem "$work/rsa3072.key" "/CN=rsa3072"

openssl genpkey -quiet -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:3072 -out "$work/pss.key"
csr x509_csr_rsa_pss.pem "$work/pss.key" "/CN=pss"

# A P-384 CSR that asks for everything we must ignore: another subject, CA:TRUE, extra SANs,
# serverAuth, keyCertSign.
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$work/p384.key"
csr x509_csr_p384_greedy.pem "$work/p384.key" "/CN=root/O=Evil Corp/emailAddress=boss@evil.example" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
  -addext "extendedKeyUsage=serverAuth,clientAuth,codeSigning" \
  -addext "subjectAltName=DNS:*.corp.example,URI:spiffe://corp.example/user/root/role/admin,email:boss@evil.example"
