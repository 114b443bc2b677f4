// A stand-in for jit-broker's JSON API (docs/api.md) for tests of the `jit` command: a
// TestHttpsServer whose request, grant and minting routes answer from scripts the test sets, and
// which records every call (method, path, Authorization header, JSON body).
#pragma once

#include "broker/http/http_types.hpp"
#include "tests/support/http_test_server.hpp"

#include <boost/json/value.hpp>

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace jit::testing {

struct RecordedCall {
  std::string method;  // "POST"
  std::string target;  // "/v1/requests/req-.../approve"
  std::string authorization;
  boost::json::value body;  // null when there was none or it was not JSON
};

class CannedBroker {
 public:
  using Answer = std::function<broker::HttpResponse(const RecordedCall&)>;

  CannedBroker();

  // Answers for "METHOD pattern" (e.g. "GET /v1/requests/{id}"), used in order; the last one
  // repeats. Calls without a script get 500.
  void script(const std::string& key, std::vector<Answer> answers);
  static Answer json(broker::http::status status, boost::json::value body);
  static Answer error(broker::http::status status, std::string code, std::string text);

  std::vector<RecordedCall> calls() const;
  std::string url() const;
  const std::filesystem::path& ca_file() const { return server_.ca_file(); }

 private:
  broker::HttpResponse answer(const std::string& key, const broker::RequestContext& context);

  mutable std::mutex mutex_;
  std::map<std::string, std::deque<Answer>> scripts_;
  std::vector<RecordedCall> calls_;
  TestHttpsServer server_;  // last: destroyed first, so no handler runs on freed members
};

}  // namespace jit::testing
