// Internal to config/: checks of the small text formats that config values use. Each answers only
// "is this well formed", so the YAML readers can turn a false into an error naming file and line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jit::config::syntax {

// An IPv4 or IPv6 address, optionally with "/prefix", as OpenSSH's source-address accepts it:
// the prefix fits the family and the host bits are zero (OpenSSH refuses "10.0.0.1/8").
[[nodiscard]] bool is_source_address(std::string_view text);

// An IP address literal (IPv4 dotted quad or IPv6 without brackets).
[[nodiscard]] bool is_ipv4(std::string_view text);
[[nodiscard]] bool is_ipv6(std::string_view text);

// A DNS name: dot-separated labels of [A-Za-z0-9-], 1..63 each, not starting or ending with '-',
// 253 characters at most, and not an IPv4 address.
[[nodiscard]] bool is_dns_name(std::string_view text);

// An environment variable name: [A-Za-z_][A-Za-z0-9_]*, 1..128 characters.
[[nodiscard]] bool is_env_var_name(std::string_view text);

// "http://" or "https://" (only https when https_only) followed by a non-empty host, printable
// ASCII without spaces, 2048 characters at most.
[[nodiscard]] bool is_http_url(std::string_view text, bool https_only);

// local@domain: one '@', a non-empty local part of printable ASCII without spaces, quotes or
// angle brackets, and a DNS name as domain; 254 characters at most.
[[nodiscard]] bool is_email(std::string_view text);

// The host of a WebAuthn origin "https://HOST" or "https://HOST:PORT" (no path, no trailing
// slash); nullopt when the text is not of that shape or the port is not 1..65535.
[[nodiscard]] std::optional<std::string_view> origin_host(std::string_view origin);

// A port number: 1..5 decimal digits, value 0..65535. No sign, no spaces.
[[nodiscard]] std::optional<unsigned> parse_port(std::string_view text);

// True when no byte is an ASCII control character (below 0x20, or 0x7f); UTF-8 passes.
[[nodiscard]] bool is_printable(std::string_view text);

// `text` in single quotes for an error message: control bytes shown as \xNN, and cut after 100
// bytes, so that a message stays one readable line whatever the file held.
[[nodiscard]] std::string quoted(std::string_view text);

}  // namespace jit::config::syntax
