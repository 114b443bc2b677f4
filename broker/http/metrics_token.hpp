// The bearer token that may guard GET /metrics (broker.yaml `metrics:`), read once at start-up,
// and the check of a request's Authorization header against it.
#pragma once

#include "broker/http/http_types.hpp"
#include "ca/bytes.hpp"
#include "config/broker_config.hpp"

#include <optional>
#include <string>

namespace jit::broker {

// Bounds of a token: long enough not to be guessed, short enough for one header line.
inline constexpr std::size_t kMinMetricsTokenBytes = 16;
inline constexpr std::size_t kMaxMetricsTokenBytes = 1024;

// The configured token, or nullopt when /metrics stays open. A token file loses one trailing line
// break. Throws std::runtime_error with one line naming the variable or file when it is unset,
// unreadable, readable by group or others (files; like the data key), shorter than 16 or longer
// than 1024 bytes, or holds anything but visible ASCII (it must fit a header as it is).
std::optional<std::string> load_metrics_token(const config::MetricsSettings& settings);

// Keeps only a SHA-256 digest of the token; a request matches when it carries
// `Authorization: Bearer TOKEN` (scheme case-insensitive), compared in constant time over the
// digests, so neither the token's bytes nor its length show in the timing.
class MetricsTokenCheck {
 public:
  explicit MetricsTokenCheck(const std::string& token);
  [[nodiscard]] bool allows(const HttpRequest& request) const;

 private:
  ca::Bytes digest_;
};

}  // namespace jit::broker
