#include "config/duration.hpp"

#include <array>
#include <cstdint>

namespace jit::config {
namespace {

struct Unit {
  char letter;
  std::int64_t seconds;
};

// Largest first: parsing requires this order, formatting emits it.
constexpr std::array<Unit, 4> kUnits{{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<Seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::int64_t limit = kMaxDuration.count();
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits of the smallest unit still allowed
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (!is_digit(text[pos])) return std::nullopt;
    std::int64_t number = 0;
    while (pos < text.size() && is_digit(text[pos])) {
      number = number * 10 + (text[pos] - '0');
      // Checked per digit, so the number itself can never overflow: limit * 10 + 9 fits easily.
      if (number > limit) return std::nullopt;
      ++pos;
    }
    if (pos == text.size()) return std::nullopt;  // a number without its unit
    const char letter = text[pos++];
    std::size_t unit = next_unit;
    while (unit < kUnits.size() && kUnits[unit].letter != letter) ++unit;
    if (unit == kUnits.size()) return std::nullopt;  // unknown, repeated or out-of-order unit
    next_unit = unit + 1;
    if (number > (limit - total) / kUnits[unit].seconds) return std::nullopt;
    total += number * kUnits[unit].seconds;
  }
  return Seconds{total};
}

std::string format_duration(Seconds duration) {
  std::int64_t value = duration.count();
  if (value == 0) return "0s";
  std::string out;
  // Work on the negative magnitude so that INT64_MIN needs no special case.
  std::int64_t negative = value < 0 ? value : -value;
  if (value < 0) out.push_back('-');
  for (const Unit& unit : kUnits) {
    const std::int64_t count = negative / unit.seconds;  // <= 0
    if (count == 0) continue;
    negative -= count * unit.seconds;
    // |count| <= |INT64_MIN| / 86400 for days and < 60 for the rest, so negating is safe.
    out += std::to_string(-count);
    out.push_back(unit.letter);
  }
  return out;
}

}  // namespace jit::config
