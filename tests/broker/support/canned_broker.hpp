// A stand-in for jit-broker's JSON API (docs/api.md) for tests of the `jit` command: a
// TestHttpsServer whose request, grant and minting routes answer from scripts the test sets, and
// which records every call (method, path, Authorization header, JSON body). Only for *_it.cpp tests
// (it uses TestHttpsServer).
#pragma once

#include "broker/http/json_response.hpp"
#include "support/http_test_server.hpp"

#include <boost/json.hpp>

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace jit::broker::http_test {

struct RecordedCall {
  std::string method;  // "POST"
  std::string target;  // "/v1/requests/req-.../approve"
  std::string authorization;
  boost::json::value body;  // null when there was none or it was not JSON
};

class CannedBroker {
 public:
  using Answer = std::function<HttpResponse(const RecordedCall&)>;

  CannedBroker()
      : server_(test_limits(), [this](Router& router) {
          for (const auto& [method, pattern] : kRoutes) {
            router.add(
                method, pattern,
                [this, key = key_of(method, pattern)](RequestContext&& context, Responder respond) {
                  respond(answer(key, context));
                });
          }
        }) {}

  // Answers for "METHOD pattern" (e.g. "GET /v1/requests/{id}"), used in order; the last one
  // repeats. Calls without a script get 500.
  void script(const std::string& key, std::vector<Answer> answers) {
    const std::lock_guard lock(mutex_);
    scripts_[key] = std::deque<Answer>(answers.begin(), answers.end());
  }
  static Answer json(http::status status, boost::json::value body) {
    return [status, body](const RecordedCall&) { return json_response(status, body); };
  }
  static Answer error(http::status status, std::string code, std::string text) {
    return [=](const RecordedCall&) { return error_response(status, code, text); };
  }

  std::vector<RecordedCall> calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }
  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(server_.endpoint().port());
  }
  const std::filesystem::path& ca_file() const { return server_.ca_file(); }

 private:
  static std::string key_of(http::verb method, std::string_view pattern) {
    return std::string(http::to_string(method)) + " " + std::string(pattern);
  }

  HttpResponse answer(const std::string& key, const RequestContext& context) {
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
    if (!next) return error_response(http::status::internal_server_error, "no_script", key);
    return next(call);
  }

  static inline const std::vector<std::pair<http::verb, std::string>> kRoutes = {
      {http::verb::get, "/v1/requests"},
      {http::verb::post, "/v1/requests"},
      {http::verb::get, "/v1/requests/{id}"},
      {http::verb::post, "/v1/requests/{id}/approve"},
      {http::verb::post, "/v1/requests/{id}/deny"},
      {http::verb::post, "/v1/requests/{id}/review"},
      {http::verb::post, "/v1/requests/{id}/cancel"},
      {http::verb::post, "/v1/breakglass"},
      {http::verb::get, "/v1/grants"},
      {http::verb::get, "/v1/grants/{id}"},
      {http::verb::post, "/v1/grants/{id}/revoke"},
      {http::verb::post, "/v1/grants/{id}/ssh-cert"},
      {http::verb::post, "/v1/grants/{id}/x509-cert"},
      {http::verb::get, "/v1/webauthn/credentials"},
      {http::verb::delete_, "/v1/webauthn/credentials/{id}"},
  };

  mutable std::mutex mutex_;
  std::map<std::string, std::deque<Answer>> scripts_;
  std::vector<RecordedCall> calls_;
  TestHttpsServer server_;  // last: destroyed first, so no handler runs on freed members
};

}  // namespace jit::broker::http_test
