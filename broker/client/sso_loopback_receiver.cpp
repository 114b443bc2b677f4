#include "broker/client/sso_loopback_receiver.hpp"

#include "ca/bytes.hpp"

#include <boost/asio/ip/address_v4.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>

namespace jit::broker {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kSignedInPage =
    "<!doctype html><meta charset=\"utf-8\"><title>jit</title>"
    "<p>Signed in. You can close this tab and go back to the terminal.</p>\n";
constexpr std::string_view kFailedPage =
    "<!doctype html><meta charset=\"utf-8\"><title>jit</title>"
    "<p>Sign-in did not complete. See the terminal for the reason.</p>\n";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_digit(text[i + 1]);
      const int low = hex_digit(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return out;
}

// Runs the io_context until `done` or the deadline; false on the deadline.
bool run_until(asio::io_context& io, const bool& done, Clock::time_point deadline) {
  io.restart();
  while (!done) {
    if (io.run_one_until(deadline) == 0) return done;
  }
  return true;
}

// Runs until the operation whose handler sets `done` completes. tcp_stream's own expiry ends it by
// the deadline; the cancel is a second guard, since the handler refers to the caller's locals.
void finish_operation(beast::tcp_stream& stream, asio::io_context& io, const bool& done,
                      Clock::time_point deadline) {
  if (run_until(io, done, deadline + std::chrono::seconds{1})) return;
  stream.cancel();
  run_until(io, done, Clock::now() + std::chrono::seconds{5});
}

void answer(beast::tcp_stream& stream, http::status status, std::string_view page,
            Clock::time_point deadline, asio::io_context& io) {
  http::response<http::string_body> response{status, 11};
  response.set(http::field::content_type, "text/html; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.set(http::field::connection, "close");
  response.set("Content-Security-Policy", "default-src 'none'");
  response.set("Referrer-Policy", "no-referrer");
  response.body() = std::string(page);
  response.prepare_payload();
  bool done = false;
  stream.expires_at(std::min(deadline, Clock::now() + SsoLoopbackReceiver::kConnectionTimeout));
  http::async_write(stream, response, [&](beast::error_code, std::size_t) { done = true; });
  finish_operation(stream, io, done, deadline);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace

std::optional<std::string> query_parameter(std::string_view target, std::string_view name,
                                           bool& malformed) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(question + 1);
  std::optional<std::string> found;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto equals = pair.find('=');
    if (pair.substr(0, equals) != name) continue;
    auto value = percent_decode(equals == std::string_view::npos ? std::string_view{}
                                                                 : pair.substr(equals + 1));
    if (!value || found) {
      malformed = true;
      return std::nullopt;
    }
    found = std::move(value);
  }
  return found;
}

SsoLoopbackReceiver::SsoLoopbackReceiver()
    : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {}

std::uint16_t SsoLoopbackReceiver::port() const { return acceptor_.local_endpoint().port(); }

std::string SsoLoopbackReceiver::redirect_uri() const {
  return "http://127.0.0.1:" + std::to_string(port()) + "/callback";
}

LoopbackCallback SsoLoopbackReceiver::wait_for_callback(std::string_view expected_state,
                                                        Clock::duration timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    tcp::socket socket(io_);
    bool accepted = false;
    beast::error_code accept_error;
    acceptor_.async_accept(socket, [&](beast::error_code ec) {
      accept_error = ec;
      accepted = true;
    });
    if (!run_until(io_, accepted, deadline)) {
      acceptor_.cancel();
      run_until(io_, accepted, Clock::now() + std::chrono::seconds{5});
      const auto seconds = std::chrono::ceil<std::chrono::seconds>(timeout).count();
      return {std::nullopt,
              "no answer from the browser within " +
                  (seconds >= 60 && seconds % 60 == 0 ? std::to_string(seconds / 60) + " minutes"
                                                      : std::to_string(seconds) + " s")};
    }
    if (accept_error) continue;

    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(kMaxRequestBytes);
    http::request_parser<http::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kMaxRequestBytes));
    parser.body_limit(0);
    bool read = false;
    beast::error_code read_error;
    stream.expires_at(std::min(deadline, Clock::now() + kConnectionTimeout));
    http::async_read(stream, buffer, parser, [&](beast::error_code ec, std::size_t) {
      read_error = ec;
      read = true;
    });
    finish_operation(stream, io_, read, deadline);
    if (read_error) {
      // Too large, malformed or too slow: not the callback. Answer when the socket still works.
      if (read_error != beast::error::timeout) {
        answer(stream, http::status::bad_request, kFailedPage, deadline, io_);
      }
      continue;
    }
    const auto& request = parser.get();
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (request.method() != http::verb::get || path != "/callback") {
      answer(stream, http::status::not_found, kFailedPage, deadline, io_);
      continue;
    }
    bool malformed = false;
    const auto state = query_parameter(target, "state", malformed);
    auto code = query_parameter(target, "code", malformed);
    const auto error = query_parameter(target, "error", malformed);
    LoopbackCallback result;
    if (malformed) {
      result.problem = "the sign-in answer from the browser was malformed";
    } else if (!state ||
               !ca::constant_time_equal(ca::as_bytes(*state), ca::as_bytes(expected_state))) {
      result.problem = "the sign-in answer did not carry this login's state; start again";
    } else if (error) {
      // The provider's error code is a short ASCII token (RFC 6749 4.1.2.1); shown, never in HTML.
      const bool printable =
          error->size() <= 64 &&
          std::all_of(error->begin(), error->end(), [](char c) { return c > 0x20 && c < 0x7f; });
      result.problem = "the identity provider refused the sign-in (" +
                       (printable ? *error : std::string("unreadable error")) + ")";
    } else if (!code || code->empty()) {
      result.problem = "the sign-in answer carried no code";
    } else {
      result.code = std::move(code);
    }
    answer(stream, result.code ? http::status::ok : http::status::bad_request,
           result.code ? kSignedInPage : kFailedPage, deadline, io_);
    return result;
  }
}

}  // namespace jit::broker
