#include "approvals/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace jit::approvals {
namespace {

double refilled(const TokenBucket& bucket, const RateLimit& limit, TimePoint now) noexcept {
  const double burst = static_cast<double>(std::max<std::uint32_t>(limit.burst, 1));
  if (bucket.updated == TimePoint{}) return burst;
  const double elapsed = std::max(0.0, std::chrono::duration<double>(now - bucket.updated).count());
  return std::min(burst, bucket.tokens + elapsed * limit.per_second);
}

}  // namespace

TakeResult take_token(const TokenBucket& bucket, const RateLimit& limit, TimePoint now) noexcept {
  TakeResult result;
  result.next.tokens = refilled(bucket, limit, now);
  result.next.updated = std::max(now, bucket.updated);
  if (result.next.tokens >= 1.0) {
    result.next.tokens -= 1.0;
    result.allowed = true;
    return result;
  }
  const double rate = limit.per_second > 0 ? limit.per_second : 1.0;
  const double wait = std::ceil((1.0 - result.next.tokens) / rate);
  result.retry_after = std::chrono::seconds{
      std::max<std::int64_t>(1, static_cast<std::int64_t>(std::min(wait, 86400.0)))};
  return result;
}

bool is_full(const TokenBucket& bucket, const RateLimit& limit, TimePoint now) noexcept {
  return refilled(bucket, limit, now) >=
         static_cast<double>(std::max<std::uint32_t>(limit.burst, 1));
}

}  // namespace jit::approvals
