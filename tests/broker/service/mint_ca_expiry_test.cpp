// A grant that outlasts the issuing CA certificate (issue 14 E22): the X.509 mint answered 400
// after the caller's factor was spent. It is refused with 409 `grant_outlasts_ca` before the
// factor is checked, so the same code still works for another call; SSH certificates, whose CA
// key has no expiry, are unaffected.
#include "ca/ssh_public_key.hpp"
#include "tests/support/access_fixture.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;
using Headers = std::map<std::string, std::string>;

// The issuing CA certificate ends 20 minutes after the fixture's clock starts.
ca::X509HierarchyValidity issuing_ends_soon() {
  const auto real_now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto fixture_now = std::chrono::sys_seconds(std::chrono::seconds(1'800'000'000));
  ca::X509HierarchyValidity validity;
  // Both certificates start `backdate` before the real now.
  validity.issuing = fixture_now + std::chrono::minutes(20) - real_now + validity.backdate;
  return validity;
}

class MintCaExpiryTest : public ::testing::Test {
 protected:
  MintCaExpiryTest() : f_(kDemoPolicy, issuing_ends_soon()) {}

  void SetUp() override {
    for (const char* user : {"alice", "carol", "dave"}) headers_[user] = f_.sign_in(user);
  }

  // alice's grant of `duration`, approved by carol and dave.
  std::string grant(const std::string& duration) {
    auto created = f_.post("/v1/requests",
                           {{"role", "prod-db-read"},
                            {"reason", "migrate orders"},
                            {"ticket", "OPS-1"},
                            {"duration", duration}},
                           headers_["alice"]);
    EXPECT_EQ(created.status, 201u) << created.raw.body();
    const std::string id(created.body.at("id").as_string());
    for (const char* approver : {"carol", "dave"}) {
      auto approved = f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa(approver)}},
                              headers_[approver]);
      EXPECT_EQ(approved.status, 200u) << approved.raw.body();
    }
    return std::string(
        f_.get("/v1/requests/" + id, headers_["alice"]).body.at("grant").at("id").as_string());
  }

  AccessFixture f_;
  std::map<std::string, Headers> headers_;
};

TEST_F(MintCaExpiryTest, AGrantOutlastingTheIssuingCaIsRefusedBeforeTheFactorIsSpent) {
  const auto long_grant = grant("30m");
  auto key = testing::generate(ca::KeyAlgorithm::ecdsa_p256);
  const auto factor = f_.mfa("alice");
  auto refused =
      f_.post("/v1/grants/" + long_grant + "/x509-cert",
              {{"csr", testing::make_csr_pem(key.get())}, {"mfa", factor}}, headers_["alice"]);
  EXPECT_EQ(refused.status, 409u) << refused.raw.body();
  ASSERT_TRUE(refused.body.is_object()) << refused.raw.body();
  EXPECT_EQ(refused.body.at("code").as_string(), "grant_outlasts_ca");
  EXPECT_EQ(f_.count_rows("certificates"), 0);

  // The factor was not spent: the same code mints an SSH certificate for the same grant.
  auto user_key = testing::generate(ca::KeyAlgorithm::ed25519);
  auto ssh =
      f_.post("/v1/grants/" + long_grant + "/ssh-cert",
              {{"public_key", ca::SshPublicKey::from_evp(user_key.get())->line()}, {"mfa", factor}},
              headers_["alice"]);
  EXPECT_EQ(ssh.status, 201u) << ssh.raw.body();
}

TEST_F(MintCaExpiryTest, AGrantEndingBeforeTheIssuingCaStillGetsItsCertificate) {
  const auto short_grant = grant("10m");
  auto key = testing::generate(ca::KeyAlgorithm::ecdsa_p256);
  auto minted = f_.post("/v1/grants/" + short_grant + "/x509-cert",
                        {{"csr", testing::make_csr_pem(key.get())}, {"mfa", f_.mfa("alice")}},
                        headers_["alice"]);
  EXPECT_EQ(minted.status, 201u) << minted.raw.body();
}

}  // namespace
}  // namespace jit::broker
