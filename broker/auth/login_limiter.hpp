// Admission of password logins before any work is done for them (issue 14, B5): a token bucket per
// source and one shared by all sources, so a flood is answered 429 with Retry-After at the cost of
// a map lookup, and the password workers never see more than the shared rate. Thread-safe.
#pragma once

#include "approvals/rate_limit.hpp"

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace jit::broker {

struct LoginRateLimits {
  approvals::RateLimit per_source{1.0, 20};  // a person retrying by hand never meets it
  approvals::RateLimit overall{10.0, 40};    // well below what the password workers can hash
  std::size_t max_sources = 10000;           // tracked at once; beyond, only `overall` applies
};

// The source a limit or a lockout is counted for: the IP address as text, IPv4-mapped IPv6 as
// IPv4, and an IPv6 address as its /64 ("2001:db8:1:2::/64"), which one host usually has whole.
std::string source_of(std::string_view remote_ip);

class LoginLimiter {
 public:
  explicit LoginLimiter(LoginRateLimits limits) : limits_(limits) {}

  // Zero when a login from `source` may go ahead now (and counts it), else how long to wait.
  std::chrono::seconds admit(const std::string& source, approvals::TimePoint now);

 private:
  LoginRateLimits limits_;
  std::mutex mutex_;
  approvals::TokenBucket overall_;
  std::unordered_map<std::string, approvals::TokenBucket> per_source_;
};

}  // namespace jit::broker
