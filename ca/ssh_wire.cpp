#include "ca/ssh_wire.hpp"

#include <algorithm>

namespace jit::ca {

bool read_mpint_positive(ByteReader& reader, std::size_t max_bytes, ByteView& magnitude) {
  ByteReader probe = reader;
  ByteView raw;
  // One extra byte for the 0x00 that keeps a magnitude with its top bit set positive.
  if (!probe.string(max_bytes + 1, raw)) return false;
  if (raw.empty()) {
    magnitude = raw;
    reader = probe;
    return true;
  }
  const unsigned first = std::to_integer<unsigned>(raw[0]);
  if ((first & 0x80U) != 0) return false;  // negative
  if (first == 0) {
    // A leading zero is allowed only as the pad in front of a byte with its top bit set.
    if (raw.size() < 2 || (std::to_integer<unsigned>(raw[1]) & 0x80U) == 0) return false;
    raw = raw.subspan(1);
  }
  if (raw.size() > max_bytes) return false;
  magnitude = raw;
  reader = probe;
  return true;
}

namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view text) noexcept {
  const auto is_blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

std::string_view take_token(std::string_view& text) noexcept {
  const std::size_t end = std::min(text.find_first_of(" \t"), text.size());
  const std::string_view token = text.substr(0, end);
  text.remove_prefix(end);
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  return token;
}

}  // namespace

bool split_ssh_line(std::string_view line, SshLineParts& out) {
  std::string_view rest = trim(line);
  const std::string_view type = take_token(rest);
  const std::string_view base64 = take_token(rest);
  if (type.empty() || base64.empty()) return false;
  if (!is_printable_ascii(type)) return false;
  // Tabs inside a comment are harmless; every other control character (newline, NUL) is refused.
  for (char c : rest) {
    if (c != '\t' && (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)) return false;
  }
  out = SshLineParts{type, base64, rest};
  return true;
}

bool is_printable_ascii(std::string_view text) noexcept {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u <= 0x7e;
  });
}

}  // namespace jit::ca
