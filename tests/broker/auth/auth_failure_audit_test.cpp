// Anonymous callers cannot grow the audit log without bound (issue 14, B9): failed logins are
// recorded up to a budget per minute and per target (the user, or every unknown name together);
// the rest are counted, and the count goes into the next record that is written.
#include "tests/support/api_fixture.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;

class AuthFailureAuditTest : public ::testing::Test {
 protected:
  std::vector<json::object> failure_records(const std::string& object) {
    return f_.store_->read([&](SQLite::Database& db) {
      SQLite::Statement q(db,
                          "SELECT details FROM audit WHERE action = 'login.failure' AND object = ? "
                          "ORDER BY seq");
      q.bind(1, object);
      std::vector<json::object> rows;
      while (q.executeStep()) rows.push_back(json::parse(q.getColumn(0).getString()).as_object());
      return rows;
    });
  }

  ApiFixture f_;
};

TEST_F(AuthFailureAuditTest, UnknownNameFailuresAreRecordedUpToABudgetAndCounted) {
  const auto secret = f_.enroll("alice");
  const std::size_t budget = 20;  // limits.failure_audit_per_minute's default
  const std::size_t attempts = budget + 12;
  for (std::size_t i = 0; i < attempts; ++i) {
    EXPECT_EQ(f_.login("nobody" + std::to_string(i), "guess", "000000").status, 401u);
  }
  EXPECT_EQ(failure_records("user/unknown").size(), budget);
  // A real user's failures have a budget of their own: an unknown-name flood hides none of them.
  for (int i = 0; i < 2; ++i) EXPECT_EQ(f_.login("alice", "wrong", f_.totp(secret)).status, 401u);
  EXPECT_EQ(failure_records("user/alice").size(), 2u);
  // A minute later the next failure is recorded again, with how many were left out before it.
  f_.advance(std::chrono::seconds(60));
  EXPECT_EQ(f_.login("nobody-else", "guess", "000000").status, 401u);
  const auto records = failure_records("user/unknown");
  ASSERT_EQ(records.size(), budget + 1);
  ASSERT_TRUE(records.back().contains("suppressed"));
  EXPECT_EQ(records.back().at("suppressed").as_int64(), 12);
  EXPECT_FALSE(records.front().contains("suppressed"));
}

}  // namespace
}  // namespace jit::broker
