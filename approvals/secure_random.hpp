// Random bytes from OpenSSL's CSPRNG for salts, nonces, secrets and challenges.
#pragma once

#include "approvals/approvals_error.hpp"
#include "ca/bytes.hpp"

#include <cstddef>

namespace jit::approvals {

// internal_error when the RNG fails (it then has no entropy; nothing secret may be made).
[[nodiscard]] Result<ca::Bytes> random_bytes(std::size_t count);

}  // namespace jit::approvals
