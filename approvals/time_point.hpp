// The one clock type of approvals/. Rule functions take `now` as an argument and never read a
// clock; only the broker's thin wrappers call Clock::now().
#pragma once

#include <chrono>
#include <cstdint>

namespace jit::approvals {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

inline std::int64_t to_unix_seconds(TimePoint t) noexcept {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline TimePoint from_unix_seconds(std::int64_t seconds) noexcept {
  return TimePoint{std::chrono::seconds{seconds}};
}

}  // namespace jit::approvals
