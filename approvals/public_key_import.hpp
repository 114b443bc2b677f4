// Public keys that arrive as raw numbers (a JSON Web Key's members, a COSE key's coordinates)
// turned into OpenSSL keys through OpenSSL 3 parameters, each checked by OpenSSL: a P-256 point
// must lie on the curve, an RSA modulus and exponent must have a valid shape. One home for the
// passkey (webauthn_cose.cpp) and ID token (json_web_key.cpp) paths.
#pragma once

#include "approvals/approvals_error.hpp"
#include "ca/bytes.hpp"
#include "ca/openssl_handles.hpp"

#include <openssl/param_build.h>

namespace jit::approvals {

inline constexpr std::size_t kP256CoordinateBytes = 32;
inline constexpr std::size_t kEd25519PublicKeyBytes = 32;

// The key that `builder`'s parameters describe, of OpenSSL key type `type` ("RSA", "EC",
// "ED25519"); invalid_input when OpenSSL refuses the numbers, internal_error when it fails.
[[nodiscard]] Result<ca::EvpPkeyPtr> public_key_from_params(const char* type,
                                                            OSSL_PARAM_BLD* builder);

// A P-256 public key from its two 32-byte big-endian coordinates.
[[nodiscard]] Result<ca::EvpPkeyPtr> p256_public_key(ca::ByteView x, ca::ByteView y);

// An Ed25519 public key from its 32 bytes.
[[nodiscard]] Result<ca::EvpPkeyPtr> ed25519_public_key(ca::ByteView x);

}  // namespace jit::approvals
