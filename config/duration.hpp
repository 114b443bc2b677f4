// Durations as people write them in config files and request bodies: "30s", "15m", "8h", "1h30m",
// "2d". Shared by config/ (policy caps), approvals/ (requested durations) and the JSON API.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace jit::config {

using Seconds = std::chrono::seconds;

// The largest duration parse_duration accepts: 36500 days. Far beyond any sane grant, and small
// enough that adding it to a system_clock time point (nanoseconds in 64 bits) cannot overflow.
inline constexpr Seconds kMaxDuration{36500LL * 24 * 3600};

// One or more <digits><unit> groups with units d, h, m, s, each at most once and in that order
// ("1h30m", not "30m1h"). "0s" is zero. No sign, spaces, fractions or upper case. nullopt for
// anything else, including an empty text and values above kMaxDuration.
[[nodiscard]] std::optional<Seconds> parse_duration(std::string_view text);

// The shortest text parse_duration reads back as the same value: 5400s -> "1h30m", 0 -> "0s",
// 86400s -> "1d". A negative value gets a leading '-' (which parse_duration refuses).
[[nodiscard]] std::string format_duration(Seconds duration);

}  // namespace jit::config
