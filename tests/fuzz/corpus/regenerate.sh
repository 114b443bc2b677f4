#!/usr/bin/env bash
# Regenerates the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/): a few small,
# valid inputs each, from real data: the shipped examples, the SSH keys and CSRs of tests/ca/data,
# keys, certificates and CSRs made here by ssh-keygen and openssl, and the W3C WebAuthn test
# vectors (as transcribed in tests/approvals/webauthn_vectors_test.cpp). Generated keys are thrown
# away. Usage: tests/fuzz/corpus/regenerate.sh   (from anywhere; rewrites the folders next to it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
ssh_data=$repo/tests/ca/data/ssh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for target in http_request api_json config_yaml ssh_key csr webauthn_cbor webauthn_client_data \
  oidc_id_token; do
  rm -rf "${here:?}/$target"
  mkdir -p "$here/$target"
done

hex_to_file() {  # hex_to_file HEX FILE
  printf '%s' "$1" | tr 'a-f' 'A-F' | basenc --base16 -d >"$2"
}
b64url() {  # b64url FILE: unpadded base64url, as the API carries binary fields
  basenc --base64url -w0 "$1" | tr -d '='
}
json_text() {  # json_text FILE: the file as a JSON string body (newlines escaped)
  awk 'BEGIN { ORS = "" } { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); print $0 "\\n" }' "$1"
}

# --- W3C WebAuthn Level 3 test vectors (sctn-test-vectors-none-es256, -packed-self-es256) and the
# Ed25519 self-attestation of docs/protocols.md 4.9.
none_attestation=a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b559000000008446ccb9ab1db374750b2367ff6f3a1f0020f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220
self_attestation=a363666d74667061636b65646761747453746d74a263616c672663736967584630440220067a20754ab925005dbf378097c92120031581c73228d1fb4f5b881bcd7da98302207fc7b147558c7c0eba3af18bd9d121fa3d3a26d17fe3f220272178f473b6006d68617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b55d00000000df850e09db6afbdfab51697791506cfc0020455ef34e2043a87db3d4afeb39bbcb6cc32df9347c789a865ecdca129cbef58ca5010203262001215820eb151c8176b225cc651559fecf07af450fd85802046656b34c18f6cf193843c5225820927b8aa427a2be1b8834d233a2d34f61f13bfd44119c325d5896e183fee484f2
ed_self_attestation=a363666d74667061636b65646761747453746d74a263616c67276373696758400e8c36f2fbcc893498994a10bd9d61780638e87be118b7661e89e8db0273ba782d7af694d66f44a909c4a3def73b66489b005a81ca376b695e7c2167361de6046861757468446174615881bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b54100000000d5aa33581e8ca478e20fe713f5d32ff20020ce9f840ed96599580cd140fbc7bb3230633f50f61041aff73308ae71caa8a2bda401010327200621582044e06ddd331c36a8dc667bab52bcae63486c916aa5e339e6acebaa84934bf832
es256_cose_key=a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220
ed25519_cose_key=a401010327200621582044e06ddd331c36a8dc667bab52bcae63486c916aa5e339e6acebaa84934bf832
assertion_auth_data=bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000
assertion_signature=3046022100f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd380221008480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87
credential_id=f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4
reg_client_data='{"type":"webauthn.create","challenge":"AMMPt4UxxGTStncdq417YDwBFi8vpIa-pw8oOuVW4TA","origin":"https://example.org","crossOrigin":false,"extraData":"clientDataJSON may be extended with additional fields in the future, such as this: BkQeDjdcTBrXBiAwJTLE5Q"}'
get_client_data='{"type":"webauthn.get","challenge":"OcDnUhQXulTUPo3JUXT0I97pvzzYBP9tZchXyav01Ag","origin":"https://example.org","crossOrigin":false}'
cross_client_data='{"type":"webauthn.create","challenge":"O-WqzQNTcUJHI0CrWWnyQPHYdxbiC2gHrCMGVfpLO0k","origin":"https://example.org","crossOrigin":true,"extraData":"clientDataJSON may be extended with additional fields in the future, such as this: zZquEtDR9DWqpW5tBWTFug"}'
top_client_data='{"type":"webauthn.create","challenge":"Th9MYZhpnjPBTxkhU_Sdfg6ONXfVrEFsXzrckqQfJ-U","origin":"https://example.org","crossOrigin":true,"topOrigin":"https://example.com"}'

out=$here/webauthn_cbor
hex_to_file "$none_attestation" "$out/attestation_none_es256.cbor"
hex_to_file "$self_attestation" "$out/attestation_packed_self_es256.cbor"
hex_to_file "$ed_self_attestation" "$out/attestation_packed_self_eddsa.cbor"
hex_to_file "$es256_cose_key" "$out/cose_key_es256.cbor"
hex_to_file "$ed25519_cose_key" "$out/cose_key_ed25519.cbor"
hex_to_file "$assertion_auth_data" "$out/authenticator_data_assertion.bin"
# The registration's authenticatorData: the last member ("authData", a 164-byte string) of the
# none attestation object.
hex_to_file "${none_attestation#*68617574684461746158a4}" "$out/authenticator_data_registration.bin"

out=$here/webauthn_client_data
printf '%s' "$reg_client_data" >"$out/create.json"
printf '%s' "$get_client_data" >"$out/get.json"
printf '%s' "$cross_client_data" >"$out/cross_origin.json"
printf '%s' "$top_client_data" >"$out/top_origin.json"
printf '\xef\xbb\xbf%s' "$reg_client_data" >"$out/create_with_bom.json"

# --- SSH: the keys of tests/ca/data/ssh (made by ssh-keygen, see its regenerate.sh), their wire
# blobs, and certificates signed here by ssh-keygen with options and extensions.
out=$here/ssh_key
for key in ed25519_user ecdsa384_user ecdsa521_user rsa3072_ca ecdsa256_ca; do
  cp "$ssh_data/$key.pub" "$out/$key.pub"
done
cp "$ssh_data/keygen_user-cert.pub" "$out/keygen_user-cert.pub"
cut -d' ' -f2 "$ssh_data/ed25519_user.pub" | base64 -d >"$out/ed25519_user.blob"
ssh-keygen -q -t ecdsa -b 256 -N '' -C 'fuzz ca' -f "$work/ca"
ssh-keygen -q -t ed25519 -N '' -C 'fuzz user' -f "$work/user"
ssh-keygen -q -s "$work/ca" -I 'jit:req-1:alice:prod-db-read' -n dbread,alice -z 42 -V +1h \
  -O clear -O permit-pty -O permit-port-forwarding -O force-command=/usr/bin/psql \
  -O source-address=127.0.0.0/8,::1/128 "$work/user.pub"
cp "$work/user-cert.pub" "$out/ecdsa_ca_options-cert.pub"
cut -d' ' -f2 "$work/user-cert.pub" | base64 -d >"$out/ecdsa_ca_options-cert.blob"

# --- CSRs: made by openssl (PEM and DER), plus the CSR of tests/ca/data that asks for everything
# the broker must ignore.
out=$here/csr
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/p256.key"
openssl req -new -key "$work/p256.key" -subj "/CN=alice" -out "$out/p256.pem"
openssl req -new -key "$work/p256.key" -subj "/CN=alice" -outform DER -out "$out/p256.der"
openssl genpkey -quiet -algorithm ED25519 -out "$work/ed25519.key"
openssl req -new -key "$work/ed25519.key" -subj "/CN=bob/O=corp" -out "$out/ed25519.pem"
cp "$repo/tests/ca/data/x509_csr_p384_greedy.pem" "$out/p384_greedy.pem"
cp "$repo/tests/ca/data/x509_csr_rsa3072.pem" "$out/rsa3072.pem"

# --- YAML: the shipped examples and a minimal config.
out=$here/config_yaml
cp "$repo/examples/broker.yaml" "$out/broker.yaml"
cp "$repo/examples/policy.yaml" "$out/policy.yaml"
printf 'data_dir: /var/lib/jit\npolicy_file: policy.yaml\ntls: { cert_file: a.crt, key_file: a.key }\n' \
  >"$out/broker_minimal.yaml"

# --- API bodies: the endpoint letter of api_json_fuzz.cpp, then the JSON body.
out=$here/api_json
cose_b64() { hex_to_file "$1" "$work/bin" && b64url "$work/bin"; }
printf '%s' "$get_client_data" >"$work/client_data"
printf '%s' "$reg_client_data" >"$work/reg_client_data"
webauthn="{\"credential_id\":\"$(cose_b64 "$credential_id")\",\"client_data_json\":\"$(b64url "$work/client_data")\",\"authenticator_data\":\"$(cose_b64 "$assertion_auth_data")\",\"signature\":\"$(cose_b64 "$assertion_signature")\",\"user_handle\":null}"
printf 'L{"user":"alice","password":"correct horse battery staple","mfa":{"totp":"123456"}}' >"$out/login"
printf 'W{"user":"alice","password":"correct horse battery staple","webauthn":%s}' "$webauthn" >"$out/login_webauthn"
printf 'B{"user":"alice"}' >"$out/login_begin"
printf 'F{"client_data_json":"%s","attestation_object":"%s"}' "$(b64url "$work/reg_client_data")" \
  "$(cose_b64 "$none_attestation")" >"$out/register_finish"
printf 'Q{"role":"prod-db-read","reason":"migrate orders","ticket":"OPS-1","duration":"30m"}' \
  >"$out/request"
printf 'Q{"role":"auto-read","reason":"read","duration":"1h30m","mfa":{"totp":"12345678"}}' \
  >"$out/request_auto"
printf 'G{"role":"prod-db-read","incident":"INC-7","reason":"db down","duration":"15m","mfa":{"totp":"123456"}}' \
  >"$out/breakglass"
printf 'A{"comment":"ok","mfa":{"totp":"123456"}}' >"$out/approve"
printf 'D{"comment":"no","mfa":{"webauthn":%s}}' "$webauthn" >"$out/deny_webauthn"
printf 'V{"comment":"reviewed","mfa":{"totp":"000000"}}' >"$out/review"
printf 'C{}' >"$out/cancel"
printf 'P' >"$out/approval_challenge"
printf 'R{"reason":"done"}' >"$out/revoke"
printf 'S{"public_key":"%s"}' "$(cat "$ssh_data/ed25519_user.pub")" >"$out/ssh_cert"
printf 'S{"public_key":"%s","mfa":{"totp":"123456"}}' "$(cat "$ssh_data/ecdsa384_user.pub")" \
  >"$out/ssh_cert_mfa"
printf 'X{"csr":"%s"}' "$(json_text "$here/csr/p256.pem")" >"$out/x509_cert"

# --- HTTP: raw requests as a client sends them inside TLS; @user, @request and @grant are
# placeholders that http_request_fuzz.cpp replaces with real session tokens and ids.
out=$here/http_request
crlf() { sed 's/$/\r/'; }
request_body='{"role":"prod-db-read","reason":"migrate orders","ticket":"OPS-1","duration":"30m"}'
printf 'GET /healthz HTTP/1.1\nHost: localhost\n\n' | crlf >"$out/healthz"
printf 'GET /v1/requests/@request HTTP/1.1\nHost: localhost\nAuthorization: Bearer @alice\n\n' |
  crlf >"$out/get_request"
printf 'GET /v1/grants?state=active HTTP/1.1\nHost: localhost\nAuthorization: Bearer @frank\n\nGET /v1/session HTTP/1.1\nHost: localhost\nAuthorization: Bearer @frank\nConnection: close\n\n' |
  crlf >"$out/pipelined"
{ printf 'POST /v1/requests HTTP/1.1\nHost: localhost\nAuthorization: Bearer @alice\nContent-Type: application/json\nContent-Length: %d\n\n' "${#request_body}" | crlf
  printf '%s' "$request_body"; } >"$out/post_request"
printf 'POST /v1/requests/@request/cancel HTTP/1.1\nHost: localhost\nCookie: theme=dark; __Host-jit_session=@alice\nX-CSRF-Token: @alice\nContent-Length: 0\n\n' |
  crlf >"$out/cancel_with_cookie"
key_body="{\"public_key\":\"$(cat "$ssh_data/ed25519_user.pub")\"}"
{ printf 'POST /v1/grants/@grant/ssh-cert HTTP/1.1\nHost: localhost\nAuthorization: Bearer @alice\nContent-Type: application/json; charset=utf-8\nTransfer-Encoding: chunked\n\n' | crlf
  printf '%x\r\n%s\r\n0\r\n\r\n' "${#key_body}" "$key_body"; } >"$out/ssh_cert_chunked"
printf 'GET /v1/ca/x509/crl?format=pem-bundle HTTP/1.1\nHost: localhost\nIf-None-Match: W/"x", "y"\n\n' |
  crlf >"$out/crl_etag"
printf 'GET /v1/requests?state=review_due&x=%%41+b HTTP/1.1\nHost: localhost\nAuthorization: Bearer @carol\n\n' |
  crlf >"$out/list_query"
printf 'DELETE /v1/grants/@grant HTTP/1.1\nHost: localhost\nAuthorization: Bearer @alice\n\n' |
  crlf >"$out/method_not_allowed"

# --- OpenID Connect: the P-256 key set the target verifies with (the curve's generator as key), an
# RSA key set made here by openssl, and ID tokens whose signatures do not verify (the seeds reach
# the header, key and signature checks; past them only a real signature goes).
out=$here/oidc_id_token
b64url_text() {  # b64url_text TEXT
  printf '%s' "$1" | basenc --base64url -w0 | tr -d '='
}
printf '%s' '{"keys":[{"kty":"EC","crv":"P-256","kid":"g","alg":"ES256","x":"axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY","y":"T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"}]}' \
  >"$out/jwks_p256.json"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/oidc_rsa.pem" 2>/dev/null
hex_to_file "$(openssl rsa -in "$work/oidc_rsa.pem" -noout -modulus | cut -d= -f2)" "$work/oidc_n.bin"
printf '{"keys":[{"kty":"RSA","kid":"r","use":"sig","alg":"RS256","n":"%s","e":"AQAB"},{"kty":"oct","k":"AA"}]}' \
  "$(b64url "$work/oidc_n.bin")" >"$out/jwks_rsa.json"
oidc_payload=$(b64url_text '{"iss":"https://idp.example.test","sub":"s1","aud":"jit-broker","exp":1800000300,"iat":1800000000,"nonce":"n-1","amr":["pwd"]}')
head -c 64 /dev/zero >"$work/oidc_sig.bin"
printf '%s.%s.%s' "$(b64url_text '{"alg":"ES256","kid":"g","typ":"JWT"}')" "$oidc_payload" \
  "$(b64url "$work/oidc_sig.bin")" >"$out/token_es256.txt"
printf '%s.%s.' "$(b64url_text '{"alg":"none","kid":"g"}')" "$oidc_payload" >"$out/token_none.txt"

echo "seed corpora written under $here"
