// Which earlier reviews still count when the next review decides a request (docs/sso.md, "Groups
// from the identity provider"): an approver who lost the approver group (here at their last SSO
// login) no longer carries the request, unless the policy sets approvals_survive_group_removal.
#include "approvals/request_state_machine.hpp"
#include "config/policy.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kRecountPolicy = R"yaml(
groups:
  developers: [alice]
  sre-leads: [carol, dave]
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    approvals_required: 2
    max_duration: 1h
    ssh: { principals: [dbread] }
)yaml";

class ReviewRecountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // sre-leads as an idp group: its members are whoever the provider last said.
    policy_.idp_groups = {"sre-leads"};
    policy_.idp_members->set("carol", {"sre-leads"});
    policy_.idp_members->set("dave", {"sre-leads"});
  }

  // alice's request, approved by carol, who then signs in again without the group.
  RequestSnapshot approved_by_carol_who_left() {
    RequestSnapshot request{"r1", "alice", "prod-db-read", RequestState::pending, 1000, false, {}};
    request.reviews.push_back({"carol", ReviewDecision::approve});
    policy_.idp_members->set("carol", {});
    return request;
  }

  config::Limits limits_{8h, 1h, 1h};
  config::Policy policy_ = config::parse_policy(kRecountPolicy, "policy.yaml", limits_);
};

TEST_F(ReviewRecountTest, ApprovalOfSomeoneWhoLeftTheGroupIsRecountedAway) {
  const auto request = approved_by_carol_who_left();
  EXPECT_FALSE(review_counts_at_decision(policy_, request, request.reviews[0]));
  auto outcome = apply_review(policy_, request, "dave", ReviewDecision::approve, 10);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->approvals, 1);
  EXPECT_EQ(outcome->new_state, RequestState::pending);
  EXPECT_FALSE(outcome->grant_now);
}

TEST_F(ReviewRecountTest, ApprovalSurvivesWhenThePolicySaysSo) {
  policy_.approvals_survive_group_removal = true;
  const auto request = approved_by_carol_who_left();
  EXPECT_TRUE(review_counts_at_decision(policy_, request, request.reviews[0]));
  auto outcome = apply_review(policy_, request, "dave", ReviewDecision::approve, 10);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->approvals, 2);
  EXPECT_EQ(outcome->new_state, RequestState::active);
}

TEST_F(ReviewRecountTest, RequesterAndRemovedDeniersNeverCount) {
  policy_.approvals_survive_group_removal = true;
  RequestSnapshot request{"r1", "alice", "prod-db-read", RequestState::pending, 1000, false, {}};
  EXPECT_FALSE(review_counts_at_decision(policy_, request, {"alice", ReviewDecision::approve}));
  policy_.idp_members->set("carol", {});
  EXPECT_FALSE(review_counts_at_decision(policy_, request, {"carol", ReviewDecision::deny}));
  EXPECT_TRUE(review_counts_at_decision(policy_, request, {"dave", ReviewDecision::deny}));
}

TEST_F(ReviewRecountTest, IdpGroupMembersComeOnlyFromTheLastLogin) {
  // dave is listed under sre-leads in the file, but the group is the provider's.
  policy_.idp_members->set("dave", {});
  EXPECT_FALSE(policy_.in_group("dave", "sre-leads"));
  EXPECT_TRUE(policy_.has_user("dave"));
  // gina is in no file: known once an SSO login stored her.
  EXPECT_FALSE(policy_.has_user("gina"));
  policy_.idp_members->set("gina", {"sre-leads"});
  EXPECT_TRUE(policy_.has_user("gina"));
  EXPECT_TRUE(policy_.in_group("gina", "sre-leads"));
  EXPECT_EQ(policy_.groups_of("gina"), std::vector<std::string>{"sre-leads"});
  EXPECT_EQ(policy_.groups_of("alice"), std::vector<std::string>{"developers"});
}

}  // namespace
}  // namespace jit::approvals
