#include "broker/client/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

#include <memory>
#include <optional>

namespace jit::broker {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Result<Url> parse_url(std::string_view text) {
  Url url;
  if (text.starts_with("https://")) {
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    url.tls = false;
    text.remove_prefix(7);
  } else {
    return BrokerErrc::invalid_input;
  }
  const auto slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      url.target.find('#') != std::string::npos) {
    return BrokerErrc::invalid_input;
  }
  std::string_view port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return BrokerErrc::invalid_input;
    url.host = std::string(authority.substr(1, close - 1));
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return BrokerErrc::invalid_input;
      port = rest.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) return BrokerErrc::invalid_input;
  if (port.empty()) {
    url.port = url.tls ? "443" : "80";
  } else {
    if (port.size() > 5) return BrokerErrc::invalid_input;
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return BrokerErrc::invalid_input;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return BrokerErrc::invalid_input;
    url.port = std::string(port);
  }
  for (unsigned char c : url.target) {
    if (c <= 0x20 || c >= 0x7F) return BrokerErrc::invalid_input;
  }
  return url;
}

namespace {

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// One exchange. Owns everything it touches and keeps itself alive through its handlers.
class FetchOperation : public std::enable_shared_from_this<FetchOperation> {
 public:
  FetchOperation(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls_context,
                 ClientRequest request, ClientCallback callback)
      : resolver_(io),
        tls_context_(std::move(tls_context)),
        stream_(io, *tls_context_),
        request_(std::move(request)),
        callback_(std::move(callback)) {}

  void start() {
    stream_.next_layer().expires_after(request_.timeout);
    if (request_.url.tls) {
      auto* ssl = stream_.native_handle();
      if (!is_ip_literal(request_.url.host) &&
          SSL_set_tlsext_host_name(ssl, request_.url.host.c_str()) != 1) {
        return finish(asio::error::invalid_argument);
      }
      stream_.set_verify_mode(asio::ssl::verify_peer);
      stream_.set_verify_callback(asio::ssl::host_name_verification(request_.url.host));
    }
    outgoing_.method(request_.method);
    outgoing_.target(request_.url.target);
    outgoing_.version(11);
    // RFC 9110 section 7.2: the port unless it is the scheme's default (an OpenID provider
    // builds its endpoint URLs from Host), IPv6 literals in brackets.
    std::string host = request_.url.host.find(':') == std::string::npos
                           ? request_.url.host
                           : "[" + request_.url.host + "]";
    if (request_.url.port != (request_.url.tls ? "443" : "80")) host += ":" + request_.url.port;
    outgoing_.set(http::field::host, host);
    outgoing_.set(http::field::user_agent, "jitbroker/0.1");
    outgoing_.set(http::field::connection, "close");
    for (const auto& [name, value] : request_.headers) outgoing_.set(name, value);
    if (!request_.body.empty() || request_.method == http::verb::post) {
      outgoing_.set(http::field::content_type, request_.content_type);
      outgoing_.body() = std::move(request_.body);
      outgoing_.prepare_payload();
    }
    parser_.emplace();
    parser_->body_limit(request_.max_response_bytes);
    resolver_.async_resolve(request_.url.host, request_.url.port,
                            [self = shared_from_this()](auto ec, auto results) {
                              self->on_resolve(ec, std::move(results));
                            });
  }

 private:
  void on_resolve(boost::system::error_code ec, tcp::resolver::results_type results) {
    if (ec) return finish(ec);
    stream_.next_layer().async_connect(
        results, [self = shared_from_this()](auto ec, auto) { self->on_connect(ec); });
  }

  void on_connect(boost::system::error_code ec) {
    if (ec) return finish(ec);
    if (!request_.url.tls) return do_write();
    stream_.async_handshake(asio::ssl::stream_base::client,
                            [self = shared_from_this()](auto ec) { self->on_handshake(ec); });
  }

  void on_handshake(boost::system::error_code ec) {
    if (ec) return finish(ec);
    do_write();
  }

  void do_write() {
    auto handler = [self = shared_from_this()](auto ec, std::size_t) { self->on_write(ec); };
    if (request_.url.tls) {
      http::async_write(stream_, outgoing_, std::move(handler));
    } else {
      http::async_write(stream_.next_layer(), outgoing_, std::move(handler));
    }
  }

  void on_write(boost::system::error_code ec) {
    if (ec) return finish(ec);
    auto handler = [self = shared_from_this()](auto ec, std::size_t) { self->on_read(ec); };
    if (request_.url.tls) {
      http::async_read(stream_, buffer_, *parser_, std::move(handler));
    } else {
      http::async_read(stream_.next_layer(), buffer_, *parser_, std::move(handler));
    }
  }

  void on_read(boost::system::error_code ec) {
    if (ec) return finish(ec);
    auto message = parser_->release();
    ClientResponse response;
    response.status = message.result_int();
    response.content_type = std::string(message[http::field::content_type]);
    for (const auto& field : message) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message.body());
    // The connection is closed by dropping it: we asked for "Connection: close".
    auto callback = std::move(callback_);
    callback({}, std::move(response));
  }

  void finish(boost::system::error_code ec) {
    auto callback = std::move(callback_);
    if (callback) callback(ec, {});
  }

  tcp::resolver resolver_;
  std::shared_ptr<asio::ssl::context> tls_context_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  ClientRequest request_;
  ClientCallback callback_;
  http::request<http::string_body> outgoing_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

std::shared_ptr<asio::ssl::context> make_client_context(const ClientTlsOptions& tls,
                                                        boost::system::error_code& ec) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  if (tls.ca_file) {
    context->load_verify_file(tls.ca_file->string(), ec);
  } else {
    context->set_default_verify_paths(ec);
  }
  return context;
}

}  // namespace

void async_fetch(asio::io_context& io, const ClientTlsOptions& tls, ClientRequest request,
                 ClientCallback callback) {
  boost::system::error_code ec;
  auto context = make_client_context(tls, ec);
  if (ec) {
    asio::post(io, [callback = std::move(callback), ec] { callback(ec, {}); });
    return;
  }
  std::make_shared<FetchOperation>(io, std::move(context), std::move(request), std::move(callback))
      ->start();
}

Result<ClientResponse> fetch(const ClientTlsOptions& tls, ClientRequest request) {
  asio::io_context io;
  boost::system::error_code result_ec;
  ClientResponse result;
  async_fetch(io, tls, std::move(request),
              [&](boost::system::error_code ec, ClientResponse response) {
                result_ec = ec;
                result = std::move(response);
              });
  io.run();
  if (result_ec) return result_ec;
  return result;
}

}  // namespace jit::broker
