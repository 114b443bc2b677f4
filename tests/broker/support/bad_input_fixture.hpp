// The bad-input suite's fixture: one `jit-broker serve` for the whole suite (short HTTP timeouts,
// so the slow-client cases take seconds), and the check every case ends with: the answer is a 4xx
// with a JSON error body or the connection closed, the process is alive, GET /healthz answers 200,
// and the database is as it was, except for the audit records the design writes on purpose.
#pragma once

#include "tests/support/http_answers.hpp"
#include "tests/support/running_broker.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace jit::testing {

using namespace std::chrono_literals;

// alice may ask and may break the glass; carol approves but never signs in. One enrolled user
// keeps the start-up short (each ctest run of a case starts its own broker).
inline constexpr std::string_view kBadInputPolicy = R"yaml(
groups: { developers: [alice], sre-leads: [carol], oncall: [alice] }
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    approvals_required: 1
    max_duration: 1h
    require_reason: true
    require_ticket: true
    ssh: { principals: [dbread] }
    breakglass: { allowed: [oncall], max_duration: 30m, review_within: 24h }
)yaml";

// Every step of a connection (handshake, reading one request) has 2 s.
inline constexpr std::string_view kExtraConfig = "http:\n  read_timeout: 2s\n";
inline constexpr auto kReadTimeout = 2s;

// What a case may write on purpose: audit records of refused attempts, a request accepted as
// valid, a counted login failure.
struct Writes {
  std::vector<AuditRow> audit;
  std::int64_t requests = 0;
  std::int64_t failed_logins = 0;
};

class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      broker_ =
          std::make_unique<RunningBroker>(std::string(kBadInputPolicy), std::string(kExtraConfig),
                                          std::vector<std::string>{"alice"});
    } catch (const std::exception& e) {
      start_error_ = e.what();
    }
  }

  static void TearDownTestSuite() {
    std::cout << "[ bad input ] " << cases_ << " cases against one broker\n";
    if (broker_ != nullptr) {
      // Whatever it went through, the broker stops cleanly (and, under ASan, without a leak).
      EXPECT_EQ(broker_->stop(), 0) << broker_->stderr_text();
      // No answer of the whole suite was a 5xx (the metrics were read before the stop).
      for (const auto& line : server_error_lines(last_metrics_)) {
        ADD_FAILURE() << "a 5xx answer: " << line;
      }
    }
    broker_.reset();
  }

  void SetUp() override { ASSERT_NE(broker_, nullptr) << start_error_; }

  void TearDown() override {
    if (broker_ == nullptr || !broker_->alive()) return;
    try {
      last_metrics_ = broker_->metrics();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "GET /metrics failed: " << e.what();
    }
  }

  static RunningBroker& broker() { return *broker_; }

  // A request on a new connection; the answer, or nullopt (with the reason traced) when the
  // connection failed or closed without one.
  static std::optional<broker::HttpResponse> send(broker::HttpRequest request) {
    try {
      return broker_->client()->request(std::move(request));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "no answer: " << e.what();
      return std::nullopt;
    }
  }

  static broker::HttpRequest make(broker::http::verb method, std::string_view target,
                                  const std::string& user = {}, std::string body = {},
                                  std::string_view content_type = {}) {
    broker::HttpRequest request(method, target, 11);
    if (!user.empty())
      request.set(broker::http::field::authorization, "Bearer " + broker_->token(user));
    if (!content_type.empty()) request.set(broker::http::field::content_type, content_type);
    request.body() = std::move(body);
    return request;
  }

  // POST of a JSON text (any bytes) as `user`.
  static std::optional<broker::HttpResponse> post(
      std::string_view target, const std::string& user, std::string body,
      std::string_view content_type = "application/json") {
    return send(make(broker::http::verb::post, target, user, std::move(body), content_type));
  }

  // Raw bytes on a new TLS connection, then one answer; nullopt when the server closed the
  // connection without answering (or reset it before the answer could be read).
  static std::optional<broker::HttpResponse> send_raw(std::string_view bytes) {
    auto client = broker_->client();
    if (client->write(bytes)) return std::nullopt;
    broker::HttpResponse response;
    if (client->read(response)) return std::nullopt;
    return response;
  }

  // The answer is `status` with {"error": ..., "code": `code`} as application/json.
  static void expect_refusal(const std::optional<broker::HttpResponse>& response,
                             broker::http::status status, std::string_view code) {
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->result(), status) << response->body();
    EXPECT_EQ(error_code_of(*response), code) << response->body();
    EXPECT_EQ((*response)[broker::http::field::content_type], "application/json");
  }

  // After a case: alive, healthy, and the database as `before` but for `writes`.
  static void expect_untouched(const DatabaseSnapshot& before, const Writes& writes = {}) {
    EXPECT_TRUE(broker_->alive()) << broker_->stderr_text();
    EXPECT_TRUE(broker_->healthy());
    const auto after = broker_->snapshot();
    DatabaseSnapshot expected = before;
    expected.requests += writes.requests;
    expected.failed_logins += writes.failed_logins;
    expected.audit_records += static_cast<std::int64_t>(writes.audit.size());
    if (!writes.audit.empty()) {
      expected.audit_seq = after.audit_seq;
      expected.audit_hash = after.audit_hash;
    }
    EXPECT_EQ(after, expected);
    EXPECT_EQ(broker_->audit_after(before.audit_seq), writes.audit);
  }

  // Runs `attack` (which checks the answer itself) and then the aftermath, both named `label`.
  template <typename Attack>
  static void check(const std::string& label, Attack attack, const Writes& writes = {}) {
    SCOPED_TRACE(label);
    ++cases_;
    const auto before = broker_->snapshot();
    attack();
    expect_untouched(before, writes);
  }

  static inline std::unique_ptr<RunningBroker> broker_;
  static inline std::string start_error_;
  static inline int cases_ = 0;
  static inline std::string last_metrics_;
};

}  // namespace jit::testing
