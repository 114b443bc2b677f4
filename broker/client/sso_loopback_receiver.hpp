// The loopback redirect receiver of `jit login --sso` (RFC 8252 section 7.3; docs/sso.md "Signing
// in from the command line"): listens on 127.0.0.1 on a port the system picks, and takes exactly
// one `GET /callback?code=...&state=...` from the browser the identity provider redirects. Other
// requests (a favicon, a request too large or too slow) get a 4xx and are not the callback.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jit::broker {

struct LoopbackCallback {
  std::optional<std::string> code;  // set when the callback carried our state and a code
  std::string problem;              // otherwise, a one-line reason for the user
};

class SsoLoopbackReceiver {
 public:
  static constexpr std::size_t kMaxRequestBytes = 8 * 1024;  // request line and headers
  static constexpr std::chrono::seconds kConnectionTimeout{10};

  SsoLoopbackReceiver();  // throws boost::system::system_error when it cannot listen
  SsoLoopbackReceiver(const SsoLoopbackReceiver&) = delete;
  SsoLoopbackReceiver& operator=(const SsoLoopbackReceiver&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  // http://127.0.0.1:PORT/callback
  [[nodiscard]] std::string redirect_uri() const;

  // Serves connections until one is `GET /callback` or `timeout` passes. The callback's `state`
  // must equal `expected_state` (compared in constant time). The browser gets a short plain page
  // either way; nothing from the request is echoed into it.
  [[nodiscard]] LoopbackCallback wait_for_callback(std::string_view expected_state,
                                                   std::chrono::steady_clock::duration timeout);

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

// One query parameter's value from a request target ("/callback?a=1&b=%2F"), percent-decoded.
// nullopt when absent; `malformed` is set for bad escapes or a parameter given twice.
[[nodiscard]] std::optional<std::string> query_parameter(std::string_view target,
                                                         std::string_view name, bool& malformed);

}  // namespace jit::broker
