// Paging of the listings (GET /v1/requests, GET /v1/grants): `limit` (1-500, default 100) rows
// per page and `after`, the opaque cursor a previous page answered as `next`. A listing answers
// `next` only when more rows exist, so a client follows it until it is absent.
#pragma once

#include "broker/http/json_response.hpp"
#include "broker/http/router.hpp"
#include "broker/store/access_records.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace jit::broker {

inline constexpr std::size_t kDefaultPageSize = 100;
inline constexpr std::size_t kMaxPageSize = 500;

struct PageQuery {
  std::size_t limit = kDefaultPageSize;
  std::optional<PageCursor> after;
};

// Reads `limit` and `after` from the query; a 400 answer when either is malformed. `id_prefix` is
// the listing's id prefix ("req-" or "grt-").
[[nodiscard]] std::optional<HttpResponse> read_page_query(const RequestContext& context,
                                                          std::string_view id_prefix,
                                                          PageQuery& page);

// "SECONDS.ID": digits, a dot and an id; nothing of it needs escaping in a query string.
[[nodiscard]] std::string cursor_text(const PageCursor& cursor);

// {key: items} plus "next" when a next page exists.
[[nodiscard]] boost::json::object page_answer(std::string_view key, boost::json::array items,
                                              const std::optional<PageCursor>& next);

}  // namespace jit::broker
