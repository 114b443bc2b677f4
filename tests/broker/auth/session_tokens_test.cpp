#include "broker/auth/session_tokens.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

namespace jit::broker {
namespace {

class SessionTokensTest : public ::testing::Test {
 protected:
  IssuedSession login(const std::string& user, std::int64_t now) {
    IssuedSession issued;
    EXPECT_FALSE(store_->write_sync([&](WriteContext& tx) -> boost::system::error_code {
      issued = create_session(tx, user, now, limits_);
      return {};
    }));
    return issued;
  }
  Result<SessionRecord> find(std::string_view token, std::int64_t now) {
    return store_->read(
        [&](broker::db::Connection& db) { return find_live_session(db, token, now, limits_); });
  }

  jit::testing::TempDir dir_;
  std::unique_ptr<Store> store_ = Store::open(dir_ / "broker.db", jit::testing::test_audit_key());
  SessionLimits limits_{std::chrono::seconds(900), std::chrono::seconds(8 * 3600)};
};

TEST_F(SessionTokensTest, TokenIs256RandomBitsAndOnlyItsHashIsStored) {
  const auto issued = login("alice", 1000);
  EXPECT_EQ(issued.token.size(), 43u);  // 32 bytes, base64url without padding
  EXPECT_NE(issued.token, login("alice", 1000).token);
  const auto stored = store_->read([&](SQLite::Database& db) {
    return db.execAndGet("SELECT group_concat(token_hash || csrf_hash || user) FROM sessions")
        .getString();
  });
  EXPECT_EQ(stored.find(issued.token), std::string::npos);
  EXPECT_EQ(stored.find(issued.csrf_token), std::string::npos);
  EXPECT_NE(stored.find(token_hash_hex(issued.token)), std::string::npos);
}

TEST_F(SessionTokensTest, LiveSessionIsFound) {
  const auto issued = login("alice", 1000);
  auto found = find(issued.token, 1100);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user, "alice");
  EXPECT_EQ(found->last_mfa_at, 1000);
}

TEST_F(SessionTokensTest, IdleTimeoutEndsTheSession) {
  const auto issued = login("alice", 1000);
  EXPECT_TRUE(find(issued.token, 1000 + 899));
  EXPECT_EQ(find(issued.token, 1000 + 900).error(), BrokerErrc::unauthenticated);
}

TEST_F(SessionTokensTest, TouchExtendsIdleButNotAbsoluteLimit) {
  const auto issued = login("alice", 0);
  std::int64_t now = 0;
  for (; now < 8 * 3600 - 600; now += 600) {
    ASSERT_TRUE(find(issued.token, now)) << now;
    ASSERT_FALSE(store_->write_sync([&](WriteContext& tx) -> boost::system::error_code {
      touch_session(tx, token_hash_hex(issued.token), now);
      return {};
    }));
  }
  EXPECT_EQ(find(issued.token, 8 * 3600).error(), BrokerErrc::unauthenticated);
}

TEST_F(SessionTokensTest, UnknownMalformedAndDeletedTokensAreRefusedAlike) {
  const auto issued = login("alice", 1000);
  EXPECT_EQ(find("", 1000).error(), BrokerErrc::unauthenticated);
  EXPECT_EQ(find(std::string(43, 'A'), 1000).error(), BrokerErrc::unauthenticated);
  EXPECT_EQ(find(issued.token + "x", 1000).error(), BrokerErrc::unauthenticated);
  ASSERT_FALSE(store_->write_sync([&](WriteContext& tx) -> boost::system::error_code {
    delete_user_sessions(tx, "alice");
    return {};
  }));
  EXPECT_EQ(find(issued.token, 1000).error(), BrokerErrc::unauthenticated);
}

TEST_F(SessionTokensTest, CsrfTokenMustMatchItsSession) {
  const auto a = login("alice", 1000);
  const auto b = login("alice", 1000);
  EXPECT_TRUE(csrf_token_matches(a.record, a.csrf_token));
  EXPECT_FALSE(csrf_token_matches(a.record, b.csrf_token));
  EXPECT_FALSE(csrf_token_matches(a.record, ""));
}

}  // namespace
}  // namespace jit::broker
