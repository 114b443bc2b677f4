#include "tests/support/http_test_client.hpp"

#include <poll.h>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <stdexcept>

namespace jit::testing {

using namespace jit::broker;  // the HTTP layer's types, which these helpers drive
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;

asio::ssl::context client_context(const std::filesystem::path& ca_file) {
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.load_verify_file(ca_file.string());
  return context;
}
}  // namespace

TlsTestClient::TlsTestClient(asio::ip::tcp::endpoint server, const std::filesystem::path& ca_file,
                             std::chrono::milliseconds step_timeout)
    : tls_(client_context(ca_file)),
      server_(server),
      step_timeout_(step_timeout),
      stream_(io_, tls_) {
  stream_.set_verify_mode(asio::ssl::verify_peer);
  stream_.set_verify_callback(asio::ssl::host_name_verification("localhost"));
  SSL_set_tlsext_host_name(stream_.native_handle(), "localhost");
}

template <typename Operation>
boost::system::error_code TlsTestClient::run(std::chrono::milliseconds timeout,
                                             Operation operation) {
  boost::system::error_code result = asio::error::would_block;
  beast::get_lowest_layer(stream_).expires_after(timeout);
  io_.restart();
  operation([&result](boost::system::error_code ec, auto&&...) { result = ec; });
  io_.run();
  return result;
}

boost::system::error_code TlsTestClient::bind_source(const asio::ip::address& source) {
  auto& socket = beast::get_lowest_layer(stream_).socket();
  boost::system::error_code ec;
  socket.open(source.is_v6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), ec);
  if (!ec) socket.bind({source, 0}, ec);
  return ec;
}

boost::system::error_code TlsTestClient::connect_tcp() {
  return run(step_timeout_, [&](auto handler) {
    beast::get_lowest_layer(stream_).async_connect(server_, handler);
  });
}

boost::system::error_code TlsTestClient::handshake() {
  return run(step_timeout_, [&](auto handler) {
    stream_.async_handshake(asio::ssl::stream_base::client, handler);
  });
}

boost::system::error_code TlsTestClient::write(std::string_view bytes) {
  return run(step_timeout_, [&](auto handler) {
    asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()), handler);
  });
}

boost::system::error_code TlsTestClient::write_plain(std::string_view bytes) {
  return run(step_timeout_, [&](auto handler) {
    asio::async_write(beast::get_lowest_layer(stream_), asio::buffer(bytes.data(), bytes.size()),
                      handler);
  });
}

boost::system::error_code TlsTestClient::read(HttpResponse& response) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  const auto ec = run(step_timeout_,
                      [&](auto handler) { http::async_read(stream_, buffer_, parser, handler); });
  if (!ec) response = parser.release();
  return ec;
}

HttpResponse TlsTestClient::request(HttpRequest request) {
  request.version(11);
  if (request[http::field::host].empty()) request.set(http::field::host, "localhost");
  request.prepare_payload();
  auto ec = run(step_timeout_, [&](auto handler) { http::async_write(stream_, request, handler); });
  if (ec) throw std::runtime_error("write failed: " + ec.message());
  HttpResponse response;
  ec = read(response);
  if (ec) throw std::runtime_error("read failed: " + ec.message());
  return response;
}

HttpResponse TlsTestClient::get(std::string_view target) {
  return request(HttpRequest(http::verb::get, target, 11));
}

bool TlsTestClient::wait_closed(std::chrono::milliseconds limit, std::string* received,
                                bool over_tls) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char chunk[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    std::size_t got = 0;
    const auto ec = run(left, [&](auto handler) {
      auto done = [handler, &got](boost::system::error_code e, std::size_t n) mutable {
        got = n;
        handler(e);
      };
      if (over_tls) {
        stream_.async_read_some(asio::buffer(chunk), done);
      } else {
        beast::get_lowest_layer(stream_).async_read_some(asio::buffer(chunk), done);
      }
    });
    if (received != nullptr) received->append(chunk, got);
    if (ec == beast::error::timeout) return false;
    if (ec) return true;
  }
  return false;
}

bool TlsTestClient::readable_within(std::chrono::milliseconds limit) {
  if (stream_.native_handle() != nullptr && SSL_pending(stream_.native_handle()) > 0) return true;
  pollfd descriptor{beast::get_lowest_layer(stream_).socket().native_handle(), POLLIN, 0};
  return ::poll(&descriptor, 1, static_cast<int>(limit.count())) > 0;
}

boost::system::error_code TlsTestClient::shutdown_send() {
  boost::system::error_code ec;
  beast::get_lowest_layer(stream_).socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  return ec;
}

void TlsTestClient::close() {
  boost::system::error_code ignored;
  beast::get_lowest_layer(stream_).socket().close(ignored);
}

}  // namespace jit::testing
