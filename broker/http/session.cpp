#include "broker/http/session.hpp"

#include "broker/http/json_response.hpp"
#include "broker/http/metrics.hpp"
#include "broker/http/router.hpp"
#include "broker/log.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <limits>

namespace jit::broker {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

// A closing TLS connection waits this long at most for the client's close_notify. Meanwhile it
// drains what the client still sends, so an error answer is not lost to a TCP reset.
constexpr std::chrono::seconds kMaxShutdownWait{2};

// Extra room in the read buffer beyond the header limit, for body bytes and a pipelined request.
constexpr std::size_t kReadBufferSlack = 16 * 1024;

std::uint32_t clamp_to_u32(std::size_t value) {
  return static_cast<std::uint32_t>(
      std::min<std::size_t>(value, std::numeric_limits<std::uint32_t>::max()));
}

std::string remote_ip_of(const asio::ip::tcp::socket& socket) {
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  const auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// Beast frames a request body by Transfer-Encoding only when "chunked" is its one final coding;
// otherwise ("gzip", "chunked, chunked", "identity") it reads no body, and the body's bytes would
// be parsed as a next, smuggled request. RFC 9112 section 6.3 asks for a 400 and a close. Other
// codings before "chunked" are not decoded either. So exactly one field, exactly "chunked".
bool has_unsupported_transfer_coding(const HttpRequest& request) {
  const auto count = request.count(http::field::transfer_encoding);
  if (count == 0) return false;
  return count > 1 || !beast::iequals(request[http::field::transfer_encoding], "chunked");
}

// HTTP/1.0 is served only to OCSP clients: RFC 6960 responders must answer them, and OpenSSL's
// own client (`openssl ocsp -url`, libcrypto's OSSL_HTTP) speaks nothing else. Everything else
// needs HTTP/1.1.
bool accepts_version(const HttpRequest& request) {
  if (request.version() == 11) return true;
  const std::string_view target = request.target();
  constexpr std::string_view kOcsp = "/v1/ca/x509/ocsp";
  return request.version() == 10 && target.starts_with(kOcsp) &&
         (target.size() == kOcsp.size() || target[kOcsp.size()] == '/');
}

bool is_http_syntax_error(const beast::error_code& ec) {
  return ec.category() == beast::http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::short_read;
}

}  // namespace

void HttpsSession::serve(asio::ip::tcp::socket&& socket, asio::ssl::context& tls,
                         const std::shared_ptr<SessionRegistry>& registry) noexcept {
  try {
    auto session = std::make_shared<HttpsSession>(std::move(socket), tls, registry);
    std::vector<std::shared_ptr<HttpsSession>> evicted;
    {
      const std::lock_guard lock(registry->mutex);
      if (registry->stopping) return;  // the socket closes with the unregistered session
      std::vector<ConnectionSlots::Id> evicted_slots;
      const auto slot = registry->slots.admit(session->remote_ip_, evicted_slots);
      if (!slot) {
        registry->metrics.record_connection(ConnectionEvent::refused);
        return;
      }
      for (const auto id : evicted_slots) {
        const auto it = registry->sessions.find(id);
        if (it == registry->sessions.end()) continue;
        // Empty when that session is being destroyed right now (it waits on this mutex).
        if (auto owner = it->second->weak_from_this().lock()) evicted.push_back(std::move(owner));
      }
      session->slot_ = *slot;
      registry->sessions.emplace(*slot, session.get());
      session->registered_ = true;
    }
    // Outside the lock: dropping the last reference runs a destructor that takes the lock.
    for (auto& victim : evicted) {
      registry->metrics.record_connection(ConnectionEvent::evicted);
      victim->stop();
    }
    evicted.clear();
    registry->metrics.record_connection(ConnectionEvent::opened);
    asio::dispatch(session->executor_, [session] { session->do_handshake(); });
  } catch (...) {
    // Out of memory or OpenSSL unable to create a connection: drop this one, keep accepting.
  }
}

HttpsSession::HttpsSession(asio::ip::tcp::socket&& socket, asio::ssl::context& tls,
                           std::shared_ptr<SessionRegistry> registry)
    : registry_(std::move(registry)),
      stream_(beast::tcp_stream(std::move(socket)), tls),
      executor_(stream_.get_executor()),
      buffer_(registry_->limits.max_header_bytes + kReadBufferSlack) {
  remote_ip_ = remote_ip_of(beast::get_lowest_layer(stream_).socket());
}

HttpsSession::~HttpsSession() {
  if (!registered_) return;
  {
    const std::lock_guard lock(registry_->mutex);
    registry_->slots.release(slot_);
    registry_->sessions.erase(slot_);
  }
  registry_->metrics.record_connection(ConnectionEvent::closed);
}

void HttpsSession::stop() {
  asio::post(executor_, [self = shared_from_this()] { self->on_stop(); });
}

void HttpsSession::on_stop() {
  stopping_ = true;
  // A pending handshake or read is cancelled; an answer being made or written finishes first.
  if (step_ == Step::handshake || step_ == Step::read) beast::get_lowest_layer(stream_).cancel();
}

void HttpsSession::do_handshake() {
  step_ = Step::handshake;
  if (stopping_) return close_socket();
  // A connection that says nothing is cut after the short first-byte deadline, so a flood of them
  // frees its slots quickly; whoever starts the handshake has the whole read_timeout for it.
  beast::get_lowest_layer(stream_).expires_after(
      std::min(registry_->limits.first_byte_timeout, registry_->limits.read_timeout));
  beast::get_lowest_layer(stream_).async_read_some(
      asio::buffer(first_bytes_),
      beast::bind_front_handler(&HttpsSession::on_first_bytes, shared_from_this()));
}

void HttpsSession::on_first_bytes(beast::error_code ec, std::size_t bytes) {
  if (ec) return fail(ec, "handshake");
  if (stopping_) return close_socket();
  beast::get_lowest_layer(stream_).expires_after(registry_->limits.read_timeout);
  // Asio completes a buffered handshake with (error, bytes used); Boost 1.81's Beast wrapper
  // declares only (error), so the handler takes both.
  stream_.async_handshake(
      asio::ssl::stream_base::server, asio::buffer(first_bytes_.data(), bytes),
      [self = shared_from_this()](beast::error_code handshake_ec, auto&&... /*bytes_used*/) {
        self->on_handshake(handshake_ec);
      });
}

void HttpsSession::on_handshake(beast::error_code ec) {
  if (ec) return fail(ec, "handshake");
  {
    // Past its handshake a connection is never evicted for a newcomer.
    const std::lock_guard lock(registry_->mutex);
    registry_->slots.handshake_done(slot_);
  }
  do_read();
}

void HttpsSession::do_read() {
  step_ = Step::read;
  if (stopping_) return close_socket();
  parser_.emplace();
  parser_->header_limit(clamp_to_u32(registry_->limits.max_header_bytes));
  parser_->body_limit(registry_->limits.max_body_bytes);
  // One deadline for the whole request, so a client trickling bytes cannot hold the connection.
  beast::get_lowest_layer(stream_).expires_after(registry_->limits.read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpsSession::on_read, shared_from_this()));
}

void HttpsSession::on_read(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec == http::error::end_of_stream) return do_shutdown();
  if (ec == http::error::header_limit ||
      (ec == http::error::buffer_overflow && !parser_->is_header_done())) {
    return answer_and_close(http::status::request_header_fields_too_large, "header_too_large",
                            "the request header is too large");
  }
  if (ec == http::error::body_limit || ec == http::error::buffer_overflow) {
    return answer_and_close(http::status::payload_too_large, "body_too_large",
                            "the request body is too large");
  }
  if (is_http_syntax_error(ec)) {
    return answer_and_close(http::status::bad_request, "malformed_request",
                            "the request is not valid HTTP/1.1");
  }
  if (ec) return fail(ec, "read");
  if (!accepts_version(parser_->get())) {
    return answer_and_close(http::status::bad_request, "unsupported_http_version",
                            "only HTTP/1.1 is served");
  }
  if (has_unsupported_transfer_coding(parser_->get())) {
    return answer_and_close(http::status::bad_request, "unsupported_transfer_encoding",
                            "the only transfer coding served is chunked");
  }
  handle_request();
}

void HttpsSession::handle_request() {
  step_ = Step::handle;
  request_read_at_ = std::chrono::steady_clock::now();
  awaiting_response_ = true;
  answer_pending_.emplace(registry_->io.get_executor());
  const std::uint64_t sequence = ++request_sequence_;
  keep_alive_ = parser_->get().keep_alive();
  method_ = parser_->get().method();
  route_ = {};
  request_log_ = std::make_shared<RequestLog>(RequestLog{new_http_request_id(), {}});

  RequestContext context{parser_->release(), {}, remote_ip_, {}, request_log_};
  parser_.reset();
  // Copyable, as std::function needs; the answer itself is moved onto the strand.
  Responder respond = [self = shared_from_this(), sequence](HttpResponse response) {
    asio::dispatch(self->executor_, [self, sequence, response = std::move(response)]() mutable {
      self->on_response(sequence, std::move(response));
    });
  };
  // A synchronous answer runs on_response inside dispatch(); its write completes only later, on
  // this strand, so route_ is set before on_write reads it.
  route_ = registry_->router.dispatch(std::move(context), respond);
}

void HttpsSession::on_response(std::uint64_t sequence, HttpResponse&& response) {
  if (sequence != request_sequence_ || !awaiting_response_) return;  // a second or late answer
  awaiting_response_ = false;
  answer_pending_.reset();
  response_ = std::move(response);
  add_transport_security_headers(response_);
  response_.set("X-Request-Id", request_log_->id);
  const bool keep_alive = keep_alive_ && !stopping_;
  response_.version(11);
  response_.keep_alive(keep_alive);
  response_.prepare_payload();
  do_write(!keep_alive);
}

void HttpsSession::answer_and_close(http::status status, std::string_view code,
                                    std::string_view message) {
  step_ = Step::handle;
  request_read_at_ = std::chrono::steady_clock::now();
  ++request_sequence_;
  awaiting_response_ = false;
  method_ = parser_ && parser_->is_header_done() ? parser_->get().method() : http::verb::unknown;
  route_ = {};
  request_log_ = std::make_shared<RequestLog>(RequestLog{new_http_request_id(), {}});
  parser_.reset();
  response_ = error_response(status, code, message);
  response_.set("X-Request-Id", request_log_->id);
  response_.keep_alive(false);
  do_write(true);
}

void HttpsSession::do_write(bool close_after) {
  step_ = Step::write;
  close_after_write_ = close_after;
  beast::get_lowest_layer(stream_).expires_after(registry_->limits.read_timeout);
  http::async_write(stream_, response_,
                    beast::bind_front_handler(&HttpsSession::on_write, shared_from_this()));
}

void HttpsSession::on_write(beast::error_code ec, std::size_t /*bytes*/) {
  const std::string_view method = method_ == http::verb::unknown
                                      ? std::string_view("OTHER")
                                      : std::string_view(http::to_string(method_));
  registry_->metrics.record_request(route_, method, response_.result_int(),
                                    std::chrono::steady_clock::now() - request_read_at_);
  log_access(method);
  if (ec) return fail(ec, "write");
  response_ = {};
  if (close_after_write_) return do_shutdown();
  do_read();
}

// One line per answered request: the route's pattern, never the path (ids are in the pattern's
// place) nor the query string (which may carry a token), and the user's name, never a credential.
void HttpsSession::log_access(std::string_view method) {
  LogLine line(log_format(), LogLevel::info, "request", std::chrono::system_clock::now());
  line.text("request_id", request_log_ ? std::string_view(request_log_->id) : "")
      .text_or_null("user", request_log_ ? std::string_view(request_log_->user) : "")
      .text("method", method)
      .text_or_null("route", route_)
      .number("status", response_.result_int())
      .millis("duration_ms", std::chrono::steady_clock::now() - request_read_at_)
      .text("client", remote_ip_);
  write_log_line(std::move(line).finish());
}

void HttpsSession::do_shutdown() {
  step_ = Step::shutdown;
  beast::get_lowest_layer(stream_).expires_after(std::min<std::chrono::steady_clock::duration>(
      registry_->limits.read_timeout, kMaxShutdownWait));
  stream_.async_shutdown(beast::bind_front_handler(&HttpsSession::on_shutdown, shared_from_this()));
}

void HttpsSession::on_shutdown(beast::error_code /*ec*/) {
  // Whatever the client did (close_notify, a bare FIN, nothing), the connection is over.
  close_socket();
}

void HttpsSession::fail(beast::error_code ec, std::string_view step) {
  // No logging here: this runs for every scanner and dropped client. Metrics count the kinds.
  if (ec == beast::error::timeout) {
    registry_->metrics.record_connection(ConnectionEvent::timed_out);
  } else if (step == "handshake" && ec != asio::error::operation_aborted) {
    registry_->metrics.record_connection(ConnectionEvent::handshake_failed);
  }
  close_socket();
}

void HttpsSession::close_socket() {
  step_ = Step::closed;
  beast::error_code ignored;
  auto& socket = beast::get_lowest_layer(stream_).socket();
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace jit::broker
