#include "support/keep_alive_client.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/http.hpp>

#include <stdexcept>

namespace jit::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

KeepAliveClient::KeepAliveClient(unsigned short port, const std::filesystem::path& ca_file)
    : port_(port), tls_(asio::ssl::context::tls_client) {
  tls_.load_verify_file(ca_file.string());
  tls_.set_verify_mode(asio::ssl::verify_peer);
  connect();
}

void KeepAliveClient::connect() {
  stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, tls_);
  beast::get_lowest_layer(*stream_).connect({asio::ip::make_address("127.0.0.1"), port_});
  beast::get_lowest_layer(*stream_).socket().set_option(asio::ip::tcp::no_delay(true));
  if (!SSL_set_tlsext_host_name(stream_->native_handle(), "localhost")) {
    throw std::runtime_error("SNI setup failed");
  }
  stream_->set_verify_callback(asio::ssl::host_name_verification("localhost"));
  stream_->handshake(asio::ssl::stream_base::client);
  buffer_.clear();
}

CallResult KeepAliveClient::call(http::verb method, const std::string& target,
                                 const std::string& token, const boost::json::object* body) {
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, "localhost");
  if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
  if (body != nullptr) {
    request.set(http::field::content_type, "application/json");
    request.body() = boost::json::serialize(*body);
  }
  request.prepare_payload();
  http::response<http::string_body> response;
  beast::error_code ec;
  http::write(*stream_, request, ec);
  if (!ec) http::read(*stream_, buffer_, response, ec);
  if (ec) throw std::runtime_error(target + ": " + ec.message());
  CallResult result{response.result_int(), nullptr};
  if (!response.body().empty()) result.body = boost::json::parse(response.body());
  if (!response.keep_alive()) connect();  // the broker closed it (e.g. after an error)
  return result;
}

}  // namespace jit::bench
