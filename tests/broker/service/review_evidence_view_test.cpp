// Who sees a review's MFA evidence (issue 14 E25): requesters saw their approvers' credential ids
// and signature counters (or TOTP steps). Everyone but auditors now sees the factor kind only;
// auditors keep the whole evidence.
#include "tests/support/access_fixture.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;
using Headers = std::map<std::string, std::string>;

class ReviewEvidenceViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* user : {"alice", "carol", "dave", "frank"}) headers_[user] = f_.sign_in(user);
    auto created = f_.post("/v1/requests",
                           {{"role", "prod-db-read"},
                            {"reason", "migrate orders"},
                            {"ticket", "OPS-1"},
                            {"duration", "30m"}},
                           headers_["alice"]);
    ASSERT_EQ(created.status, 201u) << created.raw.body();
    id_ = std::string(created.body.at("id").as_string());
    approved_ =
        f_.post("/v1/requests/" + id_ + "/approve", {{"mfa", f_.mfa("carol")}}, headers_["carol"]);
    ASSERT_EQ(approved_.status, 200u) << approved_.raw.body();
  }

  static const json::value& first_review_mfa(const json::value& request) {
    return request.at("reviews").as_array().at(0).at("mfa");
  }

  AccessFixture f_;
  std::map<std::string, Headers> headers_;
  std::string id_;
  Answer approved_;
};

TEST_F(ReviewEvidenceViewTest, RequesterAndApproversSeeTheFactorKindOnly) {
  const json::value kind_only = {{"factor", "totp"}};
  for (const char* viewer : {"alice", "carol", "dave"}) {
    SCOPED_TRACE(viewer);
    const auto one = f_.get("/v1/requests/" + id_, headers_[viewer]);
    ASSERT_EQ(one.status, 200u) << one.raw.body();
    EXPECT_EQ(first_review_mfa(one.body), kind_only) << one.raw.body();
    const auto list = f_.get("/v1/requests", headers_[viewer]);
    ASSERT_EQ(list.status, 200u) << list.raw.body();
    const auto& rows = list.body.at("requests").as_array();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(first_review_mfa(rows.at(0)), kind_only) << list.raw.body();
  }
  // The approver's own answer too: it is the same view of the request.
  EXPECT_EQ(first_review_mfa(approved_.body), kind_only) << approved_.raw.body();
}

TEST_F(ReviewEvidenceViewTest, AuditorsKeepTheWholeEvidence) {
  const auto seen = f_.get("/v1/requests/" + id_, headers_["frank"]);
  ASSERT_EQ(seen.status, 200u) << seen.raw.body();
  const auto& mfa = first_review_mfa(seen.body).as_object();
  EXPECT_EQ(mfa.at("factor").as_string(), "totp");
  EXPECT_TRUE(mfa.contains("totp_step")) << seen.raw.body();
  EXPECT_TRUE(mfa.contains("verified_at")) << seen.raw.body();
}

}  // namespace
}  // namespace jit::broker
