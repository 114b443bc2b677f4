// PKCS#10 certificate signing requests (RFC 2986) from untrusted clients. Only two things are taken
// from a CSR: its public key, once the key passes our policy and the CSR's self-signature verifies
// (proof that the client holds the private key). Its subject, attributes and requested extensions
// are ignored: the certificate profile comes from policy (docs/architecture.md invariant 2).
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"
#include "ca/private_key.hpp"

#include <cstddef>
#include <string_view>

namespace jit::ca {

inline constexpr std::size_t kMaxCsrBytes = 64 * 1024;
inline constexpr int kMinCsrRsaBits = 3072;
// Bounds the cost of verifying one request.
inline constexpr int kMaxCsrRsaBits = 8192;

struct VerifiedCsr {
  Bytes subject_public_key_info;  // the DER SubjectPublicKeyInfo, copied into the certificate as is
  Bytes subject_key_identifier;   // SHA-1 of the subjectPublicKey bits
  KeyAlgorithm key_algorithm = KeyAlgorithm::ecdsa_p256;
};

// Accepts one PEM block ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST") with only whitespace
// around it, or the DER itself, at most kMaxCsrBytes. Errors, checked in this order:
//   malformed        empty, too large, not exactly one PEM block, bad base64, DER that does not
//                    parse strictly (trailing bytes, BER lengths, version other than v1), an EC
//                    point off its curve
//   unsupported_key  a key other than EC P-256, EC P-384, Ed25519 or RSA 3072..8192 bits (DSA,
//                    other curves, RSA-PSS keys, short RSA), or an unknown or SHA-1 signature
//                    algorithm
//   bad_signature    the self-signature does not verify, or its algorithm does not fit the key
[[nodiscard]] Result<VerifiedCsr> parse_and_verify_csr(std::string_view pem_or_der);

}  // namespace jit::ca
