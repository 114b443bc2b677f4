// An action authorised by a factor in the call spends that factor (the TOTP step) in the same store
// transaction as the action itself: an approval, a break-glass, a post-incident review, a mint and
// a revocation each make exactly one durable COMMIT (Store::commits), and the spent code cannot be
// used again.
#include "ca/ssh_public_key.hpp"
#include "tests/support/access_fixture.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;
using Headers = std::map<std::string, std::string>;

class OneWriteApprovalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* user : {"alice", "carol", "dave", "erin"}) headers_[user] = f_.sign_in(user);
  }

  // A fresh factor for `user`, with everything else that moving the clock queues (the session's
  // idle-time touch) already committed, so that only the next call's own writes are counted.
  json::object settled_mfa(const std::string& user) {
    auto mfa = f_.mfa(user);
    EXPECT_EQ(f_.get("/v1/session", headers_[user]).status, 200u);
    EXPECT_FALSE(
        f_.store_->write_sync([](broker::WriteContext&) { return boost::system::error_code{}; }));
    return mfa;
  }

  // The durable commits `post` made.
  std::uint64_t commits_of(const std::function<Answer()>& post, Answer& answer) {
    const auto before = f_.store_->commits();
    answer = post();
    return f_.store_->commits() - before;
  }

  AccessFixture f_;
  std::map<std::string, Headers> headers_;
};

TEST_F(OneWriteApprovalTest, ApprovalBreakGlassAndReviewWithAFactorEachCommitOnce) {
  auto created = f_.post("/v1/requests",
                         {{"role", "prod-db-read"},
                          {"reason", "migrate orders"},
                          {"ticket", "OPS-1"},
                          {"duration", "30m"}},
                         headers_["alice"]);
  ASSERT_EQ(created.status, 201u) << created.raw.body();
  const auto id = str(created.body, "id");

  Answer approved;
  const auto carol_mfa = settled_mfa("carol");
  EXPECT_EQ(commits_of(
                [&] {
                  return f_.post("/v1/requests/" + id + "/approve", {{"mfa", carol_mfa}},
                                 headers_["carol"]);
                },
                approved),
            1u);
  ASSERT_EQ(approved.status, 200u) << approved.raw.body();
  EXPECT_EQ(approved.body.at("approvals").as_int64(), 1);

  Answer last;
  const auto dave_mfa = settled_mfa("dave");
  EXPECT_EQ(commits_of(
                [&] {
                  return f_.post("/v1/requests/" + id + "/approve", {{"mfa", dave_mfa}},
                                 headers_["dave"]);
                },
                last),
            1u);
  ASSERT_EQ(last.status, 200u) << last.raw.body();
  EXPECT_EQ(str(last.body, "state"), "active");

  Answer breakglass;
  const auto erin_mfa = settled_mfa("erin");
  EXPECT_EQ(commits_of(
                [&] {
                  return f_.post("/v1/breakglass",
                                 {{"role", "prod-db-read"},
                                  {"incident", "INC-7"},
                                  {"reason", "db down"},
                                  {"mfa", erin_mfa}},
                                 headers_["erin"]);
                },
                breakglass),
            1u);
  ASSERT_EQ(breakglass.status, 201u) << breakglass.raw.body();
  const auto incident = str(breakglass.body, "id");

  // Dave's step was spent by his approval's one commit: the same code authorises nothing else
  // (refused as used: 409 totp_code_used, docs/api.md "Errors").
  auto replayed = f_.post("/v1/requests/" + incident + "/review",
                          {{"comment", "replayed"}, {"mfa", dave_mfa}}, headers_["dave"]);
  EXPECT_EQ(replayed.status, 409u) << replayed.raw.body();
  EXPECT_EQ(code_of(replayed), "totp_code_used");

  Answer reviewed;
  const auto review_mfa = settled_mfa("carol");
  EXPECT_EQ(commits_of(
                [&] {
                  return f_.post("/v1/requests/" + incident + "/review",
                                 {{"comment", "justified"}, {"mfa", review_mfa}},
                                 headers_["carol"]);
                },
                reviewed),
            1u);
  ASSERT_EQ(reviewed.status, 200u) << reviewed.raw.body();
  EXPECT_EQ(str(reviewed.body, "reviewed_by"), "carol");
}

TEST_F(OneWriteApprovalTest, MintAndRevokeWithAFactorEachCommitOnce) {
  auto created = f_.post("/v1/requests",
                         {{"role", "prod-db-read"},
                          {"reason", "migrate orders"},
                          {"ticket", "OPS-1"},
                          {"duration", "30m"}},
                         headers_["alice"]);
  ASSERT_EQ(created.status, 201u) << created.raw.body();
  const auto id = str(created.body, "id");
  for (const char* approver : {"carol", "dave"}) {
    auto approved =
        f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa(approver)}}, headers_[approver]);
    ASSERT_EQ(approved.status, 200u) << approved.raw.body();
  }
  const auto grant = str(f_.get("/v1/requests/" + id, headers_["alice"]).body.at("grant"), "id");

  Answer minted;
  const auto key = jit::testing::generate(ca::KeyAlgorithm::ed25519);
  const auto mint_mfa = settled_mfa("alice");
  EXPECT_EQ(commits_of(
                [&] {
                  return f_.post("/v1/grants/" + grant + "/ssh-cert",
                                 {{"public_key", ca::SshPublicKey::from_evp(key.get())->line()},
                                  {"mfa", mint_mfa}},
                                 headers_["alice"]);
                },
                minted),
            1u);
  ASSERT_EQ(minted.status, 201u) << minted.raw.body();

  Answer revoked;
  const auto revoke_mfa = settled_mfa("alice");
  EXPECT_EQ(commits_of(
                [&] {
                  return f_.post("/v1/grants/" + grant + "/revoke",
                                 {{"reason", "done early"}, {"mfa", revoke_mfa}},
                                 headers_["alice"]);
                },
                revoked),
            1u);
  ASSERT_EQ(revoked.status, 200u) << revoked.raw.body();
  EXPECT_EQ(str(revoked.body, "state"), "revoked");
}

}  // namespace
}  // namespace jit::broker
