#include "broker/auth/credential_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

class CredentialStoreTest : public ::testing::Test {
 protected:
  void write(const std::function<void(WriteContext&)>& fn) {
    ASSERT_FALSE(store_->write_sync([&](WriteContext& tx) -> boost::system::error_code {
      fn(tx);
      return {};
    }));
  }
  std::optional<CredentialRecord> load(const std::string& user) {
    return store_->read([&](broker::db::Connection& db) { return find_credentials(db, user); });
  }
  jit::testing::TempDir dir_;
  std::unique_ptr<Store> store_ = Store::open(dir_ / "broker.db", jit::testing::test_audit_key());
  ca::Bytes sealed_ = ca::Bytes{std::byte{1}, std::byte{0}, std::byte{2}};
};

TEST_F(CredentialStoreTest, EnrollThenResetClearsFailuresAndReplayState) {
  write([&](WriteContext& tx) { upsert_credentials(tx, "alice", "$scrypt$1", sealed_); });
  write([&](WriteContext& tx) {
    record_totp_step(tx, "alice", 100);
    record_login_failure(tx, "alice", 3, 5000);
  });
  auto before = load("alice");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->totp_last_step, 100);
  EXPECT_EQ(before->failed_attempts, 3);
  EXPECT_EQ(before->locked_until, 5000);
  EXPECT_EQ(before->sealed_totp_secret, sealed_);  // NUL byte inside survives

  write([&](WriteContext& tx) { upsert_credentials(tx, "alice", "$scrypt$2", sealed_); });
  auto after = load("alice");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->password_hash, "$scrypt$2");
  EXPECT_EQ(after->totp_last_step, 0);
  EXPECT_EQ(after->failed_attempts, 0);
  EXPECT_EQ(after->locked_until, 0);
  EXPECT_FALSE(load("bob"));
}

TEST_F(CredentialStoreTest, SourceCountersAreKeptPerSourcePrunedAndClearedByAnAdmin) {
  const auto counter = [&](const std::string& source) {
    return store_->read(
        [&](broker::db::Connection& db) { return find_source_failures(db, "alice", source); });
  };
  write([&](WriteContext& tx) { upsert_credentials(tx, "alice", "h", sealed_); });
  write([&](WriteContext& tx) {
    record_source_failure(tx, "alice", "192.0.2.1", 3, 5000, 1000);
    record_source_success(tx, "alice", "192.0.2.2", true, 1000);
    record_source_failure(tx, "alice", "session/ab", 1, 0, 1000);
  });
  EXPECT_EQ(counter("192.0.2.1").failures, 3);
  EXPECT_EQ(counter("192.0.2.1").locked_until, 5000);
  EXPECT_EQ(counter("192.0.2.2").last_success_at, 1000);
  EXPECT_EQ(counter("192.0.2.2").failures, 0);
  EXPECT_EQ(counter("192.0.2.3").failures, 0);  // never seen: no failures
  write([&](WriteContext& tx) { record_source_success(tx, "alice", "session/ab", false, 1001); });
  EXPECT_EQ(counter("session/ab").failures, 0);
  // Stale rows go unless a recent success keeps them (trust).
  write([&](WriteContext& tx) { prune_source_failures(tx, 2000, 500); });
  EXPECT_EQ(counter("192.0.2.1").failures, 0);
  EXPECT_EQ(counter("192.0.2.2").last_success_at, 1000);
  write([&](WriteContext& tx) { set_admin_lock(tx, "alice", false); });
  EXPECT_EQ(counter("192.0.2.2").last_success_at, 0);
}

TEST_F(CredentialStoreTest, TotpStepNeverGoesBack) {
  write([&](WriteContext& tx) { upsert_credentials(tx, "alice", "h", sealed_); });
  write([&](WriteContext& tx) {
    record_totp_step(tx, "alice", 200);
    record_totp_step(tx, "alice", 150);
  });
  EXPECT_EQ(load("alice")->totp_last_step, 200);
}

TEST_F(CredentialStoreTest, AdminLockAndUnlock) {
  write([&](WriteContext& tx) { upsert_credentials(tx, "alice", "h", sealed_); });
  write([&](WriteContext& tx) { set_admin_lock(tx, "alice", true); });
  EXPECT_TRUE(load("alice")->admin_locked);
  write([&](WriteContext& tx) { set_admin_lock(tx, "alice", false); });
  EXPECT_FALSE(load("alice")->admin_locked);
}

TEST_F(CredentialStoreTest, WebAuthnCredentialsRoundTripAndCounterUpdates) {
  write([&](WriteContext& tx) { upsert_credentials(tx, "carol", "h", sealed_); });
  const ca::Bytes id{std::byte{9}, std::byte{8}};
  write([&](WriteContext& tx) {
    insert_webauthn_credential(tx, {id, "carol", ca::Bytes{std::byte{0xA5}}, -7, 5, false});
  });
  write([&](WriteContext& tx) { update_webauthn_sign_count(tx, id, 6); });
  auto found =
      store_->read([&](broker::db::Connection& db) { return find_webauthn_credential(db, id); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user, "carol");
  EXPECT_EQ(found->algorithm, -7);
  EXPECT_EQ(found->sign_count, 6u);
  write([&](WriteContext& tx) { mark_webauthn_cloned(tx, id); });
  auto all = store_->read(
      [&](broker::db::Connection& db) { return find_webauthn_credentials(db, "carol"); });
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].possibly_cloned);
}

}  // namespace
}  // namespace jit::broker
