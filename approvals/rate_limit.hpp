// A token bucket, as a pure function over a small state: `burst` calls at once, then one every
// 1/per_second seconds. The broker keeps one bucket per source address and one for everyone in
// front of password logins (issue 14, B5), so a flood is refused before any scrypt runs.
#pragma once

#include "approvals/time_point.hpp"

#include <chrono>
#include <cstdint>

namespace jit::approvals {

struct RateLimit {
  double per_second = 1.0;   // refill rate; > 0
  std::uint32_t burst = 10;  // bucket size; >= 1
};

struct TokenBucket {
  double tokens = 0;
  TimePoint updated{};  // the epoch means "never used": the bucket starts full
};

struct TakeResult {
  TokenBucket next;                    // the state to keep (unchanged in tokens when refused)
  bool allowed = false;                // one token was taken
  std::chrono::seconds retry_after{};  // when refused: whole seconds until a token is there, >= 1
};

// Refills the bucket for the time since its last use (a clock that went back adds nothing), then
// takes one token if there is one.
[[nodiscard]] TakeResult take_token(const TokenBucket& bucket, const RateLimit& limit,
                                    TimePoint now) noexcept;

// True when the bucket has refilled completely by `now`, so forgetting it changes nothing.
[[nodiscard]] bool is_full(const TokenBucket& bucket, const RateLimit& limit,
                           TimePoint now) noexcept;

}  // namespace jit::approvals
