// SHA-256 for rpIdHash, clientDataJSON hashes and request digests.
#pragma once

#include "approvals/approvals_error.hpp"
#include "ca/bytes.hpp"

#include <array>

namespace jit::approvals {

using Sha256Digest = std::array<std::byte, 32>;

// internal_error only if OpenSSL fails on valid input.
[[nodiscard]] Result<Sha256Digest> sha256(ca::ByteView data);

}  // namespace jit::approvals
