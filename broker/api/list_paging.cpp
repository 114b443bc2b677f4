#include "broker/api/list_paging.hpp"

#include "broker/api/api_support.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

namespace jit::broker {
namespace {

constexpr std::size_t kIdHexDigits = 32;

bool is_lower_hex(std::string_view text) {
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A number of digits only (no sign, no blank), within `max`.
std::optional<std::uint64_t> parse_digits(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

std::optional<PageCursor> parse_cursor(std::string_view text, std::string_view id_prefix) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto at = parse_digits(text.substr(0, dot), std::numeric_limits<std::int64_t>::max());
  const auto id = text.substr(dot + 1);
  if (!at || !id.starts_with(id_prefix) || id.size() != id_prefix.size() + kIdHexDigits ||
      !is_lower_hex(id.substr(id_prefix.size()))) {
    return std::nullopt;
  }
  return PageCursor{static_cast<std::int64_t>(*at), std::string(id)};
}

}  // namespace

std::optional<HttpResponse> read_page_query(const RequestContext& context,
                                            std::string_view id_prefix, PageQuery& page) {
  if (context.has_query("limit")) {
    const auto limit = parse_digits(context.query("limit"), kMaxPageSize);
    if (!limit || *limit == 0) {
      return error_answer(http::status::bad_request, "invalid_input",
                          "limit must be a number from 1 to " + std::to_string(kMaxPageSize));
    }
    page.limit = static_cast<std::size_t>(*limit);
  }
  if (context.has_query("after")) {
    page.after = parse_cursor(context.query("after"), id_prefix);
    if (!page.after) {
      return error_answer(http::status::bad_request, "invalid_input",
                          "after must be the `next` value of a previous page");
    }
  }
  return std::nullopt;
}

std::string cursor_text(const PageCursor& cursor) {
  return std::to_string(cursor.at) + "." + cursor.id;
}

boost::json::object page_answer(std::string_view key, boost::json::array items,
                                const std::optional<PageCursor>& next) {
  boost::json::object answer{{key, std::move(items)}};
  if (next) answer["next"] = cursor_text(*next);
  return answer;
}

}  // namespace jit::broker
