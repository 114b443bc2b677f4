// The address the broker listens on: "127.0.0.1:8443" or "[::1]:8443". Shared by broker.yaml's
// `listen` key and the `--listen` command-line option.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jit::config {

struct ListenAddress {
  std::string host;    // an IP literal, IPv6 without brackets ("::1")
  std::uint16_t port;  // 0 asks the kernel for a free port (tests use it)

  bool operator==(const ListenAddress&) const = default;
};

// Why a listen address text was refused: one sentence and what would be accepted.
struct ListenAddressProblem {
  std::string message;
  std::string expected;
};

// Parses "IPV4:PORT" or "[IPV6]:PORT". Host names are refused: the server binds to a literal
// address, and resolving names at start-up would make the bound address depend on DNS. The port
// is 0..65535, decimal digits only. Exactly one of the two results is set.
struct ListenAddressParse {
  std::optional<ListenAddress> address;
  std::optional<ListenAddressProblem> problem;
};
[[nodiscard]] ListenAddressParse try_parse_listen_address(std::string_view text);

// The same, throwing ConfigError(file "", line 0, key, ...) on bad text; for command-line options
// such as `--listen` (pass the option name as key).
[[nodiscard]] ListenAddress parse_listen_address(std::string_view text, std::string_view key);

// "127.0.0.1:8443" or "[::1]:8443": the text try_parse_listen_address reads back.
[[nodiscard]] std::string format_listen_address(const ListenAddress& address);

}  // namespace jit::config
