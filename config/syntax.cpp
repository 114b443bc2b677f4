#include "config/syntax.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <string>

namespace jit::config::syntax {
namespace {

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_visible_ascii(char c) { return c > 0x20 && c < 0x7f; }

// inet_pton wants a NUL-terminated string; addresses are short, so a bounded copy is enough.
template <std::size_t N>
bool to_address(int family, std::string_view text, std::array<std::uint8_t, N>& out) {
  if (text.empty() || text.size() > 45) return false;  // 45: longest textual IPv6 address
  const std::string copy(text);
  return inet_pton(family, copy.c_str(), out.data()) == 1;
}

template <std::size_t N>
bool host_bits_are_zero(const std::array<std::uint8_t, N>& address, unsigned prefix) {
  for (std::size_t bit = prefix; bit < N * 8; ++bit) {
    if (address[bit / 8] & (0x80u >> (bit % 8))) return false;
  }
  return true;
}

}  // namespace

bool is_ipv4(std::string_view text) {
  std::array<std::uint8_t, 4> address{};
  return to_address(AF_INET, text, address);
}

bool is_ipv6(std::string_view text) {
  std::array<std::uint8_t, 16> address{};
  return to_address(AF_INET6, text, address);
}

bool is_source_address(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view host = text.substr(0, slash);
  std::optional<unsigned> prefix;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return false;
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return false;
    prefix = value;
  }
  std::array<std::uint8_t, 4> v4{};
  if (to_address(AF_INET, host, v4)) {
    if (!prefix) return true;
    return *prefix <= 32 && host_bits_are_zero(v4, *prefix);
  }
  std::array<std::uint8_t, 16> v6{};
  if (to_address(AF_INET6, host, v6)) {
    if (!prefix) return true;
    return *prefix <= 128 && host_bits_are_zero(v6, *prefix);
  }
  return false;
}

bool is_dns_name(std::string_view text) {
  if (text.empty() || text.size() > 253 || is_ipv4(text)) return false;
  std::size_t start = 0;
  while (true) {
    const auto dot = text.find('.', start);
    const std::string_view label = text.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!is_alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool is_env_var_name(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  if (text.front() >= '0' && text.front() <= '9') return false;
  for (char c : text) {
    if (!is_alnum(c) && c != '_') return false;
  }
  return true;
}

bool is_http_url(std::string_view text, bool https_only) {
  if (text.size() > 2048) return false;
  std::string_view rest;
  if (text.starts_with("https://")) {
    rest = text.substr(8);
  } else if (!https_only && text.starts_with("http://")) {
    rest = text.substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') return false;
  for (char c : rest) {
    if (!is_visible_ascii(c)) return false;
  }
  return true;
}

bool is_email(std::string_view text) {
  if (text.size() > 254) return false;
  const auto at = text.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  if (text.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : text.substr(0, at)) {
    if (!is_visible_ascii(c) || c == '"' || c == '<' || c == '>' || c == ',' || c == ';') {
      return false;
    }
  }
  return is_dns_name(text.substr(at + 1));
}

std::optional<unsigned> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);  // 5 digits cannot overflow
  if (value > 65535) return std::nullopt;
  return value;
}

std::optional<std::string_view> origin_host(std::string_view origin) {
  if (!origin.starts_with("https://")) return std::nullopt;
  std::string_view authority = origin.substr(8);
  const auto colon = authority.find(':');
  std::string_view host = authority.substr(0, colon);
  if (colon != std::string_view::npos) {
    const auto port = parse_port(authority.substr(colon + 1));
    if (!port || *port == 0) return std::nullopt;
  }
  if (!is_dns_name(host)) return std::nullopt;
  return host;
}

bool is_printable(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return false;
  }
  return true;
}

std::string quoted(std::string_view text) {
  constexpr std::size_t kShown = 100;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (char c : text.substr(0, kShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  if (text.size() > kShown) out += "...";
  return out + "'";
}

}  // namespace jit::config::syntax
