// COSE_Key public keys of WebAuthn credentials (docs/protocols.md 4.3), to/from OpenSSL keys, and
// the signature check of both ceremonies (4.4). Two algorithms only:
//   ES256 (-7): kty 2 (EC2), crv 1 (P-256), x and y 32 bytes each; DER ECDSA signatures over
//   SHA-256. EdDSA (-8): kty 1 (OKP), crv 6 (Ed25519), x 32 bytes; raw 64-byte signatures, no
//   pre-hash.
// The stored form of a credential's key is its canonical COSE encoding (77 or 42 bytes).
#pragma once

#include "approvals/approvals_error.hpp"
#include "ca/bytes.hpp"
#include "ca/openssl_handles.hpp"

namespace jit::approvals {

enum class CoseAlgorithm : int { es256 = -7, eddsa = -8 };

struct CosePublicKey {
  CoseAlgorithm alg = CoseAlgorithm::es256;
  ca::EvpPkeyPtr key;
};

// Parses exactly one COSE_Key covering all of `cose_key`. It must carry kty, alg and the curve
// parameters and nothing else. unsupported: another algorithm, key type or curve (RS256, P-384...).
// invalid_input: malformed CBOR, missing or extra labels, wrong sizes, a point not on the curve.
[[nodiscard]] Result<CosePublicKey> parse_cose_public_key(ca::ByteView cose_key);

// The canonical COSE encoding of a P-256 or Ed25519 public key; unsupported for other keys.
[[nodiscard]] Result<ca::Bytes> encode_cose_public_key(const EVP_PKEY* key);

// Checks `signature` over `message` (authenticatorData || SHA-256(clientDataJSON)).
// unauthenticated: it does not verify. invalid_input: a signature of impossible size.
[[nodiscard]] Result<void> verify_cose_signature(const CosePublicKey& key, ca::ByteView message,
                                                 ca::ByteView signature);

}  // namespace jit::approvals
