// A small HTTP(S) client: one connection per request, every step bounded by a deadline, the peer
// verified against the system roots or a given CA file. The `jit` CLI talks to the broker with it
// and the broker sends webhooks with it.
#pragma once

#include "broker/broker_error.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jit::broker {

struct Url {
  bool tls = true;
  std::string host;  // without brackets for IPv6
  std::string port;
  std::string target;  // path and query, at least "/"
};

// http:// and https:// URLs only; no user info, no fragment.
Result<Url> parse_url(std::string_view text);

struct ClientTlsOptions {
  std::optional<std::filesystem::path> ca_file;  // trust only this CA (else the system roots)
};

struct ClientRequest {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  Url url;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10'000};  // whole exchange: connect, handshake, write, read
  std::size_t max_response_bytes = 4 * 1024 * 1024;
};

struct ClientResponse {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
};

using ClientCallback = std::function<void(boost::system::error_code, ClientResponse)>;

// Runs on `io`; the callback runs on `io` exactly once. Errors are transport errors (connection
// refused, timeout, TLS verification); any HTTP status is a successful exchange.
void async_fetch(boost::asio::io_context& io, const ClientTlsOptions& tls, ClientRequest request,
                 ClientCallback callback);

// Blocking form with its own io_context, for the command-line client.
Result<ClientResponse> fetch(const ClientTlsOptions& tls, ClientRequest request);

}  // namespace jit::broker
