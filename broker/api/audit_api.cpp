#include "broker/api/audit_api.hpp"
#include "broker/store/db/db_connection.hpp"

#include "broker/api/api_support.hpp"
#include "broker/store/audit_chain.hpp"
#include "config/policy.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <limits>
#include <optional>

namespace jit::broker {
namespace {

namespace json = boost::json;

constexpr std::int64_t kDefaultAuditPageSize = 100;
constexpr std::int64_t kMaxAuditPageSize = 1000;

// A query parameter that must be a decimal integer in [min, max] when present.
std::optional<std::int64_t> bounded_number(const RequestContext& context, std::string_view name,
                                           std::int64_t fallback, std::int64_t min,
                                           std::int64_t max) {
  if (!context.has_query(name)) return fallback;
  const std::string text = context.query(name);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min ||
      value > max) {
    return std::nullopt;
  }
  return value;
}

json::object record_json(const AuditRecord& record) {
  boost::system::error_code ec;
  json::value details = json::parse(record.details, ec);
  return json::object{{"seq", record.seq},
                      {"time_us", record.time_us},
                      {"actor", record.actor},
                      {"action", record.action},
                      {"object", record.object},
                      {"details", ec ? json::value(record.details) : std::move(details)},
                      {"prev_hash", record.prev_hash},
                      {"hash", record.hash}};
}

// An authenticated handler that also requires membership of `auditors`.
template <typename Fn>
Handler auditors_only(IdentityService& identity, Fn fn) {
  return authenticated(
      identity, [&identity, fn](RequestContext&& context, Responder respond, Caller caller) {
        if (!identity.policy().in_group(caller.user, config::kAuditorsGroup)) {
          return respond(error_answer(make_error_code(BrokerErrc::permission_denied)));
        }
        fn(std::move(context), std::move(respond));
      });
}

}  // namespace

void add_audit_routes(Router& router, IdentityService& identity) {
  router.add(http::verb::get, "/v1/audit",
             auditors_only(identity, [&identity](RequestContext&& context, Responder respond) {
               const auto after =
                   bounded_number(context, "after", 0, 0, std::numeric_limits<std::int64_t>::max());
               const auto limit =
                   bounded_number(context, "limit", kDefaultAuditPageSize, 1, kMaxAuditPageSize);
               if (!after || !limit) {
                 return respond(error_answer(
                     http::status::bad_request, "invalid_input",
                     "after must be a record number >= 0 and limit a number from 1 to 1000"));
               }
               // One more than asked tells whether another page follows.
               auto records = identity.store().read(
                   [&](db::Connection& db) { return read_audit_records(db, *after, *limit + 1); });
               const bool more = static_cast<std::int64_t>(records.size()) > *limit;
               if (more) records.pop_back();
               json::array page;
               for (const auto& record : records) page.push_back(record_json(record));
               json::value next = nullptr;
               if (more) next = records.back().seq;
               respond(json_response(http::status::ok,
                                     json::object{{"records", std::move(page)}, {"next", next}}));
             }));

  router.add(http::verb::get, "/v1/audit/verify",
             auditors_only(identity, [&identity](RequestContext&&, Responder respond) {
               const auto result = identity.store().read([&](db::Connection& db) {
                 return verify_audit_chain(db, identity.store().audit_key());
               });
               json::object answer{
                   {"ok", result.ok}, {"records", result.records}, {"head", result.head_hash}};
               if (!result.ok) {
                 answer["first_bad_seq"] = *result.first_bad_seq;
                 answer["problem"] = result.problem;
               }
               respond(json_response(http::status::ok, answer));
             }));
}

}  // namespace jit::broker
