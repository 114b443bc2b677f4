#include "config/listen_address.hpp"

#include "config/config_error.hpp"
#include "config/syntax.hpp"

namespace jit::config {
namespace {

constexpr std::string_view kExpected =
    "IPV4:PORT or [IPV6]:PORT, e.g. 127.0.0.1:8443 or [::1]:8443";

ListenAddressParse refuse(std::string message) {
  return {std::nullopt, ListenAddressProblem{std::move(message), std::string(kExpected)}};
}

}  // namespace

ListenAddressParse try_parse_listen_address(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return refuse("unclosed '[' in the address");
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.starts_with(':')) return refuse("no port after the bracketed address");
    port_text = rest.substr(1);
    if (!syntax::is_ipv6(host)) return refuse(syntax::quoted(host) + " is not an IPv6 address");
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return refuse("no port in the address");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return refuse("an IPv6 address must be written in brackets");
    }
    if (!syntax::is_ipv4(host)) {
      return refuse(syntax::quoted(host) + " is not an IP address (host names are not resolved)");
    }
  }
  const auto port = syntax::parse_port(port_text);
  if (!port)
    return refuse("port " + syntax::quoted(port_text) + " is not a number from 0 to 65535");
  return {ListenAddress{std::string(host), static_cast<std::uint16_t>(*port)}, std::nullopt};
}

ListenAddress parse_listen_address(std::string_view text, std::string_view key) {
  auto parsed = try_parse_listen_address(text);
  if (!parsed.address) {
    throw ConfigError("", 0, std::string(key), parsed.problem->message, parsed.problem->expected);
  }
  return *parsed.address;
}

std::string format_listen_address(const ListenAddress& address) {
  const std::string port = std::to_string(address.port);
  if (address.host.find(':') != std::string::npos) return "[" + address.host + "]:" + port;
  return address.host + ":" + port;
}

}  // namespace jit::config
