#include "tests/support/canned_broker.hpp"

#include "broker/http/json_response.hpp"

#include <boost/json.hpp>

#include <utility>

namespace jit::testing {
namespace {

namespace http = broker::http;

const std::vector<std::pair<http::verb, std::string>> kRoutes = {
    {http::verb::get, "/v1/requests"},
    {http::verb::post, "/v1/requests"},
    {http::verb::get, "/v1/requests/{id}"},
    {http::verb::post, "/v1/requests/{id}/approve"},
    {http::verb::post, "/v1/requests/{id}/deny"},
    {http::verb::post, "/v1/requests/{id}/review"},
    {http::verb::post, "/v1/requests/{id}/cancel"},
    {http::verb::post, "/v1/breakglass"},
    {http::verb::get, "/v1/session"},
    {http::verb::get, "/v1/roles"},
    {http::verb::get, "/v1/grants"},
    {http::verb::get, "/v1/grants/{id}"},
    {http::verb::post, "/v1/grants/{id}/revoke"},
    {http::verb::post, "/v1/grants/{id}/ssh-cert"},
    {http::verb::post, "/v1/grants/{id}/x509-cert"},
    {http::verb::get, "/v1/webauthn/credentials"},
    {http::verb::delete_, "/v1/webauthn/credentials/{id}"},
    {http::verb::get, "/v1/auth/sso"},
    {http::verb::post, "/v1/auth/sso/{name}/cli/begin"},
    {http::verb::post, "/v1/auth/sso/{name}/cli/finish"},
    {http::verb::post, "/v1/auth/sso/{name}/device/begin"},
    {http::verb::post, "/v1/auth/sso/{name}/device/poll"},
};

std::string key_of(http::verb method, std::string_view pattern) {
  return std::string(http::to_string(method)) + " " + std::string(pattern);
}

}  // namespace

CannedBroker::CannedBroker()
    : server_(test_limits(), [this](broker::Router& router) {
        for (const auto& [method, pattern] : kRoutes) {
          router.add(method, pattern,
                     [this, key = key_of(method, pattern)](broker::RequestContext&& context,
                                                           broker::Responder respond) {
                       respond(answer(key, context));
                     });
        }
      }) {}

void CannedBroker::script(const std::string& key, std::vector<Answer> answers) {
  const std::lock_guard lock(mutex_);
  scripts_[key] = std::deque<Answer>(answers.begin(), answers.end());
}

CannedBroker::Answer CannedBroker::json(http::status status, boost::json::value body) {
  return [status, body](const RecordedCall&) { return broker::json_response(status, body); };
}

CannedBroker::Answer CannedBroker::error(http::status status, std::string code, std::string text) {
  return [=](const RecordedCall&) { return broker::error_response(status, code, text); };
}

std::vector<RecordedCall> CannedBroker::calls() const {
  const std::lock_guard lock(mutex_);
  return calls_;
}

std::string CannedBroker::url() const {
  return "https://127.0.0.1:" + std::to_string(server_.endpoint().port());
}

broker::HttpResponse CannedBroker::answer(const std::string& key,
                                          const broker::RequestContext& context) {
  RecordedCall call{std::string(context.request.method_string()),
                    std::string(context.request.target()),
                    std::string(context.request[http::field::authorization]), nullptr};
  boost::system::error_code ec;
  if (!context.request.body().empty()) {
    call.body = boost::json::parse(context.request.body(), ec);
    if (ec) call.body = nullptr;
  }
  Answer next;
  {
    const std::lock_guard lock(mutex_);
    calls_.push_back(call);
    auto found = scripts_.find(key);
    if (found != scripts_.end() && !found->second.empty()) {
      next = found->second.front();
      if (found->second.size() > 1) found->second.pop_front();
    }
  }
  if (!next) return broker::error_response(http::status::internal_server_error, "no_script", key);
  return next(call);
}

}  // namespace jit::testing
