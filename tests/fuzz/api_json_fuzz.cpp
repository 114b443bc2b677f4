// The JSON bodies of every API endpoint that reads one. The first byte picks the endpoint (a
// letter from the table below, so that seeds stay readable; any other byte picks by its value,
// logins excepted), the rest is the body, sent as application/json by the user the endpoint needs
// (a requester, a reviewer, the on-call responder) to the pending request or active grant of
// support/fuzz_broker. The real handler then reads the body (parse_json_body, only_fields,
// string_field) and hands it to the services, which check MFA submissions, durations, roles,
// public keys and CSRs.
// Findings beyond the sanitizers': a 5xx answer or no answer; and a body that the broker's strict
// JSON reader accepts but approvals/strict_json refuses or reads differently (the two must agree,
// since MFA submissions pass from one to the other).
#include "approvals/strict_json.hpp"
#include "broker/http/json_response.hpp"
#include "support/fuzz_broker.hpp"
#include "support/fuzz_check.hpp"

#include <boost/json/value.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace http = jit::broker::http;
using jit::fuzz::FuzzBroker;

struct Endpoint {
  char key;
  const char* target;  // with @request and @grant placeholders
  const char* user;    // nullptr: no authentication
};

constexpr std::array<Endpoint, 14> kEndpoints{{
    {'L', "/v1/login", nullptr},
    {'W', "/v1/webauthn/login/finish", nullptr},
    {'B', "/v1/webauthn/login/begin", nullptr},
    {'F', "/v1/webauthn/register/finish", "alice"},
    {'Q', "/v1/requests", "alice"},
    {'G', "/v1/breakglass", "erin"},
    {'A', "/v1/requests/@request/approve", "carol"},
    {'D', "/v1/requests/@request/deny", "carol"},
    {'V', "/v1/requests/@request/review", "carol"},
    {'C', "/v1/requests/@request/cancel", "alice"},
    {'P', "/v1/requests/@request/webauthn/begin", "carol"},
    {'R', "/v1/grants/@grant/revoke", "alice"},
    {'S', "/v1/grants/@grant/ssh-cert", "alice"},
    {'X', "/v1/grants/@grant/x509-cert", "alice"},
}};

// Endpoints from kFirstByValue on are also picked by any byte that is not a letter of the table.
// The two login endpoints are not: a login costs a full scrypt hash (about 60 ms, more under ASan,
// by design), so they are reached only through their letters and the seeds that carry them.
constexpr std::size_t kFirstByValue = 2;

const Endpoint& pick(std::uint8_t selector) {
  for (const Endpoint& endpoint : kEndpoints) {
    if (static_cast<std::uint8_t>(endpoint.key) == selector) return endpoint;
  }
  return kEndpoints[kFirstByValue + selector % (kEndpoints.size() - kFirstByValue)];
}

// The broker's body reader and approvals' strict JSON must agree on every body the broker accepts.
void check_readers_agree(const jit::broker::HttpRequest& request) {
  const auto broker_view = jit::broker::parse_json_body(request);
  if (!broker_view) return;
  auto approvals_view = jit::approvals::parse_strict_json(request.body());
  jit::fuzz::require(approvals_view.has_value(),
                     "a body parse_json_body accepts is refused by parse_strict_json");
  jit::fuzz::require(*approvals_view == boost::json::value(*broker_view),
                     "parse_json_body and parse_strict_json read a body differently");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return -1;  // no endpoint: not worth keeping in the corpus
  FuzzBroker& broker = FuzzBroker::instance();
  const Endpoint& endpoint = pick(data[0]);
  jit::broker::HttpRequest request{
      http::verb::post, broker.substitute(endpoint.target, FuzzBroker::Field::target), 11};
  request.set(http::field::host, "localhost");
  request.set(http::field::content_type, "application/json");
  if (endpoint.user != nullptr) {
    request.set(http::field::authorization, broker.bearer(endpoint.user));
  }
  request.body().assign(reinterpret_cast<const char*>(data + 1), size - 1);
  request.prepare_payload();
  check_readers_agree(request);
  (void)broker.dispatch(std::move(request));
  broker.restore();
  return 0;
}
