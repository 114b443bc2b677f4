#include "broker/http/json_response.hpp"

#include "broker/utf8.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <string_view>
#include <vector>

namespace jit::broker {
namespace {

constexpr int kMaxJsonDepth = 16;

int hex4(std::string_view text, std::size_t at) {
  if (text.size() - at < 4) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + 4; ++i) {
    const char c = text[i];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

// A \uD800-\uDFFF escape not part of a leading+trailing pair encodes no character. Boost.JSON
// 1.81 refuses some of these only as a generic syntax error, so they are found here to name the
// cause. (A backslash outside a string is a syntax error anyway, so scanning every byte is fine.)
bool has_unpaired_surrogate_escape(std::string_view text) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '\\') continue;
    if (text[i + 1] != 'u') {
      ++i;  // an escaped character, possibly a backslash
      continue;
    }
    const int unit = hex4(text, i + 2);
    if (unit >= 0xDC00 && unit <= 0xDFFF) return true;
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      const bool paired = text.size() - i >= 12 && text[i + 6] == '\\' && text[i + 7] == 'u' &&
                          hex4(text, i + 8) >= 0xDC00 && hex4(text, i + 8) <= 0xDFFF;
      if (!paired) return true;
      i += 6;
    }
    i += 5;
  }
  return false;
}

// application/json, optionally with charset=utf-8 (any case); nothing else.
bool is_json_content_type(std::string_view value) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  const std::size_t semicolon = value.find(';');
  if (!boost::beast::iequals(trim(value.substr(0, semicolon)), "application/json")) return false;
  if (semicolon == std::string_view::npos) return true;
  return boost::beast::iequals(trim(value.substr(semicolon + 1)), "charset=utf-8");
}

// Builds the value the way boost::json::parser does, and refuses an object that names a key twice
// (Boost.JSON 1.81 has no option for that: it silently keeps the last one).
class StrictJsonHandler {
 public:
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();

  StrictJsonHandler() { stack_.reset(); }

  bool duplicate_key() const noexcept { return duplicate_key_; }
  boost::json::value release() { return stack_.release(); }

  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code&) {
    frames_.push_back(key_ends_.size());
    return true;
  }
  bool on_object_end(std::size_t n, boost::json::error_code& ec) {
    const std::size_t first = frames_.back();
    frames_.pop_back();
    if (has_duplicate(first)) {
      duplicate_key_ = true;
      ec = boost::json::error::syntax;
      return false;
    }
    key_text_.resize(first == 0 ? 0 : key_ends_[first - 1]);
    key_ends_.resize(first);
    stack_.push_object(n);
    return true;
  }
  bool on_array_begin(boost::json::error_code&) { return true; }
  bool on_array_end(std::size_t n, boost::json::error_code&) {
    stack_.push_array(n);
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    key_text_.append(s.data(), s.size());
    stack_.push_chars(s);
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    key_text_.append(s.data(), s.size());
    key_ends_.push_back(key_text_.size());
    stack_.push_key(s);
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    stack_.push_string(s);
    return true;
  }
  bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_int64(std::int64_t i, boost::json::string_view, boost::json::error_code&) {
    stack_.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, boost::json::string_view, boost::json::error_code&) {
    stack_.push_uint64(u);
    return true;
  }
  bool on_double(double d, boost::json::string_view, boost::json::error_code&) {
    stack_.push_double(d);
    return true;
  }
  bool on_bool(bool b, boost::json::error_code&) {
    stack_.push_bool(b);
    return true;
  }
  bool on_null(boost::json::error_code&) {
    stack_.push_null();
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

 private:
  // Keys of the object whose first key has index `first`: sorted views, so a large object costs
  // n log n rather than n squared.
  bool has_duplicate(std::size_t first) {
    sorted_.clear();
    for (std::size_t i = first; i < key_ends_.size(); ++i) {
      const std::size_t begin = i == 0 ? 0 : key_ends_[i - 1];
      sorted_.emplace_back(key_text_.data() + begin, key_ends_[i] - begin);
    }
    std::sort(sorted_.begin(), sorted_.end());
    return std::adjacent_find(sorted_.begin(), sorted_.end()) != sorted_.end();
  }

  boost::json::value_stack stack_;
  std::string key_text_;               // the keys of every open object, back to back
  std::vector<std::size_t> key_ends_;  // where each of those keys ends in key_text_
  std::vector<std::size_t> frames_;    // index in key_ends_ of each open object's first key
  std::vector<std::string_view> sorted_;
  bool duplicate_key_ = false;
};

}  // namespace

void add_transport_security_headers(HttpResponse& response) {
  response.set("Content-Security-Policy", kContentSecurityPolicy);
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set(http::field::strict_transport_security, "max-age=31536000");
}

void add_security_headers(HttpResponse& response) {
  response.set(http::field::cache_control, "no-store");
  add_transport_security_headers(response);
}

HttpResponse text_response(http::status status, std::string body, std::string_view content_type) {
  HttpResponse response(status, 11);
  response.set(http::field::content_type, content_type);
  add_security_headers(response);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

HttpResponse json_response(http::status status, const boost::json::value& body) {
  return text_response(status, boost::json::serialize(body), "application/json");
}

HttpResponse error_response(http::status status, std::string_view code, std::string_view message) {
  boost::json::object body;
  body["error"] = message;
  body["code"] = code;
  return json_response(status, body);
}

JsonBodyResult parse_json_body(const HttpRequest& request, std::size_t max_bytes) {
  if (!is_json_content_type(request[http::field::content_type])) {
    return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                          "the request body must be application/json");
  }
  const std::string& text = request.body();
  if (text.size() > max_bytes) {
    return error_response(http::status::payload_too_large, "body_too_large",
                          "the request body is too large");
  }
  // Boost.JSON refuses malformed UTF-8 too, but only as a syntax error; here the answer names the
  // cause.
  if (!is_valid_utf8(text) || has_unpaired_surrogate_escape(text)) {
    return error_response(http::status::bad_request, "invalid_utf8",
                          "the request body is not valid UTF-8");
  }
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::json::basic_parser<StrictJsonHandler> parser(options);
  boost::json::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (parser.handler().duplicate_key()) {
    return error_response(http::status::bad_request, "duplicate_key",
                          "a JSON object in the request body names a key twice");
  }
  if (ec == boost::json::error::illegal_leading_surrogate ||
      ec == boost::json::error::illegal_trailing_surrogate) {
    return error_response(http::status::bad_request, "invalid_utf8",
                          "the request body escapes an unpaired UTF-16 surrogate");
  }
  if (ec || used != text.size() || !parser.done()) {
    return error_response(http::status::bad_request, "invalid_json",
                          "the request body is not valid JSON");
  }
  boost::json::value value = parser.handler().release();
  if (!value.is_object()) {
    return error_response(http::status::bad_request, "expected_object",
                          "the request body must be a JSON object");
  }
  return std::move(value.as_object());
}

}  // namespace jit::broker
