#include "tests/support/webhook_check.hpp"

#include "broker/workers/webhook_signature.hpp"

#include <openssl/crypto.h>

#include <charconv>

namespace jit::testing {

std::string webhook_problem(const ReceivedRequest& request, std::string_view secret,
                            std::int64_t now_seconds) {
  const auto stamp = request.headers.find("x-jit-timestamp");
  const auto signature = request.headers.find("x-jit-signature");
  if (stamp == request.headers.end() || signature == request.headers.end()) {
    return "no X-Jit-Timestamp or X-Jit-Signature";
  }
  std::int64_t timestamp = 0;
  const auto& text = stamp->second;
  if (std::from_chars(text.data(), text.data() + text.size(), timestamp).ec != std::errc{}) {
    return "X-Jit-Timestamp is not a number";
  }
  if (timestamp < now_seconds - 300 || timestamp > now_seconds + 300) {
    return "timestamp outside 5 minutes (a replay?)";
  }
  const auto expected =
      broker::webhook_signature(broker::HmacSha256(secret), timestamp, request.body);
  if (expected.size() != signature->second.size() ||
      CRYPTO_memcmp(expected.data(), signature->second.data(), expected.size()) != 0) {
    return "signature does not match";
  }
  return {};
}

}  // namespace jit::testing
