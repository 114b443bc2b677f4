// Signed webhook deliveries (README, "Verifying webhook deliveries"): each POST carries
// X-Jit-Timestamp (Unix seconds) and X-Jit-Signature "v1=" + hex HMAC-SHA256 over
// "<timestamp>.<body>" under the URL's own secret, like GitHub's and Stripe's schemes, so a
// receiver can tell our events from forged ones and refuse an old one replayed.
#pragma once

#include "ca/openssl_handles.hpp"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace jit::broker {

// HMAC-SHA256 through OpenSSL's EVP_MAC, the MAC object and its context owned here. Throws
// std::runtime_error when OpenSSL fails (a broken installation, never bad input).
class HmacSha256 {
 public:
  explicit HmacSha256(std::string_view key);
  // A fresh MAC over `parts`, concatenated.
  [[nodiscard]] std::string hex(std::initializer_list<std::string_view> parts) const;

 private:
  ca::EvpMacPtr mac_;
  ca::EvpMacCtxPtr key_ctx_;  // keyed once; each MAC works on a copy
};

// The X-Jit-Signature value for a delivery of `body` at `timestamp`: "v1=<64 hex digits>".
[[nodiscard]] std::string webhook_signature(const HmacSha256& secret, std::int64_t timestamp,
                                            std::string_view body);

}  // namespace jit::broker
