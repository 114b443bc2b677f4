// Raw bytes from a client, as HttpsSession reads them after TLS: Beast's request parser with the
// server's limits (http_limits.hpp) and a read buffer of the session's size, then each request the
// parser accepts is dispatched into the real Router with every API route (support/fuzz_broker),
// up to a few pipelined requests per input while they ask for keep-alive. Placeholders in the
// target and in the Authorization, Cookie and X-CSRF-Token fields (@alice, @request, @grant, ...)
// become real session tokens and ids, so inputs get past authentication.
// Findings beyond the sanitizers': a 5xx answer, or no answer.
#include "broker/http/http_limits.hpp"
#include "support/fuzz_broker.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using jit::fuzz::FuzzBroker;

// session.cpp's read buffer: the header limit plus room for body bytes and a pipelined request.
constexpr std::size_t kReadBufferSlack = 16 * 1024;
// TLS hands the session at most a record (16 KiB) per read; smaller reads split headers and bodies
// at arbitrary points, which the parser must handle like whole ones.
constexpr std::size_t kReadChunk = 1000;
constexpr int kMaxRequestsPerInput = 4;

// A SyncReadStream over the input that returns it a chunk at a time, then end of stream.
class InputStream {
 public:
  explicit InputStream(std::span<const std::uint8_t> data) : rest_(data) {}

  template <typename Buffers>
  std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    if (rest_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    const std::size_t copied =
        asio::buffer_copy(buffers, asio::buffer(rest_.data(), std::min(rest_.size(), kReadChunk)));
    rest_ = rest_.subspan(copied);
    ec = {};
    return copied;
  }

  template <typename Buffers>
  std::size_t read_some(const Buffers& buffers) {
    boost::system::error_code ec;
    const std::size_t copied = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return copied;
  }

 private:
  std::span<const std::uint8_t> rest_;
};

void substitute_field(jit::broker::HttpRequest& request, http::field field,
                      FuzzBroker::Field kind) {
  const auto it = request.find(field);
  if (it == request.end()) return;
  request.set(field, FuzzBroker::instance().substitute(it->value(), kind));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzBroker& broker = FuzzBroker::instance();
  const jit::broker::HttpLimits limits;
  InputStream stream({data, size});
  beast::flat_buffer buffer(limits.max_header_bytes + kReadBufferSlack);
  for (int i = 0; i < kMaxRequestsPerInput; ++i) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    // The session answers 4xx (or just closes) and ends the connection: nothing reaches the router.
    if (ec) break;
    // (The session answers HTTP/1.0 with 400 before routing; the router gets those requests here
    // too, since nothing in it may depend on that.)
    auto request = parser.release();
    request.target(broker.substitute(request.target(), FuzzBroker::Field::target));
    substitute_field(request, http::field::authorization, FuzzBroker::Field::authorization);
    substitute_field(request, http::field::cookie, FuzzBroker::Field::cookie);
    const auto csrf = request.find("X-CSRF-Token");
    if (csrf != request.end()) {
      request.set("X-CSRF-Token", broker.substitute(csrf->value(), FuzzBroker::Field::csrf));
    }
    const bool keep_alive = request.keep_alive();
    (void)broker.dispatch(std::move(request));
    if (!keep_alive) break;
  }
  broker.restore();
  return 0;
}
