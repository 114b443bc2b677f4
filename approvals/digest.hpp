// SHA-256 for rpIdHash, clientDataJSON hashes and request digests; HMAC-SHA256 and HKDF-SHA256 for
// the keys and tags the broker derives from its data key (the audit chain, unknown login names).
#pragma once

#include "approvals/approvals_error.hpp"
#include "ca/bytes.hpp"

#include <array>
#include <string_view>

namespace jit::approvals {

using Sha256Digest = std::array<std::byte, 32>;

// internal_error only if OpenSSL fails on valid input.
[[nodiscard]] Result<Sha256Digest> sha256(ca::ByteView data);

// HMAC-SHA256 (RFC 2104). invalid_input for an empty key.
[[nodiscard]] Result<Sha256Digest> hmac_sha256(ca::ByteView key, ca::ByteView data);

// HKDF-SHA256 (RFC 5869) with an empty salt: 32 bytes for the use named by `info`. A distinct
// `info` per use makes keys that reveal nothing about each other or the input key. invalid_input
// for an input key under 32 bytes or an empty `info`.
[[nodiscard]] Result<Sha256Digest> hkdf_sha256(ca::ByteView input_key, std::string_view info);

}  // namespace jit::approvals
