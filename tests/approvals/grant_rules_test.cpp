#include "approvals/grant_rules.hpp"
#include "config/policy.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kGrantRulesPolicy = R"yaml(
groups:
  developers: [alice, bob]
  sre-leads: [carol, dave]
  oncall: [erin]
  auditors: [frank]
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    approvals_required: 2
    max_duration: 1h
    ssh: { principals: [dbread, readonly], extensions: [permit-pty], source_address: [10.0.0.0/8] }
    x509: { san_uri: "spiffe://corp.example/user/{user}/role/{role}", organizational_unit: db }
    breakglass: { allowed: [oncall], max_duration: 30m, review_within: 24h }
  ssh-only:
    requestable_by: [developers]
    approvers: [sre-leads]
    max_duration: 1h
    ssh: { principals: [deploy], force_command: /usr/bin/deploy }
  x509-only:
    requestable_by: [developers]
    approvers: [sre-leads]
    max_duration: 1h
    x509: { san_uri: "spiffe://corp.example/{role}/{user}/{user}", organizational_unit: api }
)yaml";

class GrantRulesTest : public ::testing::Test {
 protected:
  config::Limits limits_{8h, 1h, 1h};
  config::Policy policy_ = config::parse_policy(kGrantRulesPolicy, "policy.yaml", limits_);
};

GrantSnapshot grant(std::string user = "alice", std::string role = "prod-db-read",
                    GrantState state = GrantState::active) {
  return GrantSnapshot{"grt-1", std::move(user), std::move(role), 1000, 4600, state};
}

GrantSnapshot breakglass_grant(std::string user) {
  auto snapshot = grant(std::move(user));
  snapshot.breakglass = true;
  return snapshot;
}

TEST_F(GrantRulesTest, TableOfMints) {
  struct Case {
    GrantSnapshot grant;
    std::string caller;
    CertificateKind kind;
    std::int64_t now;
    std::optional<RequestErrc> error;
  };
  const std::vector<Case> cases = {
      {grant(), "alice", CertificateKind::ssh, 1000, std::nullopt},
      {grant(), "alice", CertificateKind::x509, 4599, std::nullopt},
      // Invariant 3: never at or after the grant's end, never before its start, never once ended.
      {grant(), "alice", CertificateKind::ssh, 4600, RequestErrc::grant_not_active},
      {grant(), "alice", CertificateKind::ssh, 999, RequestErrc::grant_not_active},
      {grant("alice", "prod-db-read", GrantState::revoked), "alice", CertificateKind::ssh, 2000,
       RequestErrc::grant_not_active},
      {grant("alice", "prod-db-read", GrantState::expired), "alice", CertificateKind::x509, 2000,
       RequestErrc::grant_not_active},
      // Only the grant's user, even an approver of the role may not mint with it.
      {grant(), "carol", CertificateKind::ssh, 2000, RequestErrc::not_grant_user},
      {grant(), "bob", CertificateKind::x509, 2000, RequestErrc::not_grant_user},
      // A user removed from policy since the grant, a role removed, a kind the role lacks.
      {grant("zed"), "zed", CertificateKind::ssh, 2000, RequestErrc::unknown_user},
      {grant("alice", "gone-role"), "alice", CertificateKind::ssh, 2000, RequestErrc::unknown_role},
      {grant("alice", "ssh-only"), "alice", CertificateKind::x509, 2000,
       RequestErrc::role_has_no_x509},
      {grant("alice", "x509-only"), "alice", CertificateKind::ssh, 2000,
       RequestErrc::role_has_no_ssh},
      // A user still in policy but no longer in the groups that gave the grant: erin (oncall) holds
      // a requested grant of prod-db-read, or alice a break-glass one (developers may not break
      // glass); erin's own break-glass grant still mints.
      {grant("erin"), "erin", CertificateKind::ssh, 2000, RequestErrc::not_entitled},
      {breakglass_grant("alice"), "alice", CertificateKind::ssh, 2000, RequestErrc::not_entitled},
      {breakglass_grant("erin"), "erin", CertificateKind::x509, 2000, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.grant.role + " by " + c.caller + " at " + std::to_string(c.now));
    auto result = check_mint(policy_, c.grant, c.caller, c.kind, c.now);
    if (c.error) {
      ASSERT_FALSE(result);
      EXPECT_EQ(result.error(), make_error_code(*c.error));
    } else {
      EXPECT_TRUE(result) << result.error().message();
    }
  }
}

TEST_F(GrantRulesTest, SshProfileComesFromPolicyOnly) {
  auto profile = ssh_profile_for(policy_, grant());
  ASSERT_TRUE(profile);
  EXPECT_EQ(profile->principals, (std::vector<std::string>{"dbread", "readonly"}));
  EXPECT_EQ(profile->extensions, (std::vector<std::string>{"permit-pty"}));
  EXPECT_EQ(profile->source_addresses, (std::vector<std::string>{"10.0.0.0/8"}));
  EXPECT_FALSE(profile->force_command);

  auto forced = ssh_profile_for(policy_, grant("alice", "ssh-only"));
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->force_command, std::optional<std::string>("/usr/bin/deploy"));
  EXPECT_EQ(ssh_profile_for(policy_, grant("alice", "x509-only")).error(),
            make_error_code(RequestErrc::role_has_no_ssh));
}

TEST_F(GrantRulesTest, X509ProfileFillsEveryTemplateVariable) {
  auto profile = x509_profile_for(policy_, grant());
  ASSERT_TRUE(profile);
  EXPECT_EQ(profile->common_name, "alice");
  EXPECT_EQ(profile->organizational_unit, "db");
  EXPECT_EQ(profile->san_uri, "spiffe://corp.example/user/alice/role/prod-db-read");

  auto repeated = x509_profile_for(policy_, grant("bob", "x509-only"));
  ASSERT_TRUE(repeated);
  EXPECT_EQ(repeated->san_uri, "spiffe://corp.example/x509-only/bob/bob");
  EXPECT_EQ(x509_profile_for(policy_, grant("alice", "ssh-only")).error(),
            make_error_code(RequestErrc::role_has_no_x509));
}

TEST_F(GrantRulesTest, TableOfRevocations) {
  struct Case {
    GrantSnapshot grant;
    std::string actor;
    std::optional<RequestErrc> error;
  };
  const std::vector<Case> cases = {
      {grant(), "alice", std::nullopt},  // giving access back
      {grant(), "carol", std::nullopt},  // an approver of the role
      {grant(), "bob", RequestErrc::may_not_revoke},
      {grant(), "frank", RequestErrc::may_not_revoke},  // auditors only read
      {grant(), "erin", RequestErrc::may_not_revoke},
      {grant("alice", "prod-db-read", GrantState::expired), "alice", RequestErrc::grant_not_active},
      {grant("alice", "prod-db-read", GrantState::revoked), "carol", RequestErrc::grant_not_active},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.actor);
    auto result = check_revoke(policy_, c.grant, c.actor);
    if (c.error) {
      ASSERT_FALSE(result);
      EXPECT_EQ(result.error(), make_error_code(*c.error));
    } else {
      EXPECT_TRUE(result) << result.error().message();
    }
  }
}

TEST_F(GrantRulesTest, PostIncidentReviewByAnApproverWhoIsNotTheResponder) {
  RequestSnapshot breakglass{"req-1", "erin", "prod-db-read", RequestState::active, 0, true, {}};
  EXPECT_TRUE(check_post_incident_review(policy_, breakglass, false, "carol"));
  EXPECT_EQ(check_post_incident_review(policy_, breakglass, true, "carol").error(),
            make_error_code(RequestErrc::review_already_done));
  EXPECT_EQ(check_post_incident_review(policy_, breakglass, false, "erin").error(),
            make_error_code(RequestErrc::self_review));
  EXPECT_EQ(check_post_incident_review(policy_, breakglass, false, "frank").error(),
            make_error_code(RequestErrc::not_an_approver));
  RequestSnapshot normal = breakglass;
  normal.breakglass = false;
  EXPECT_EQ(check_post_incident_review(policy_, normal, false, "carol").error(),
            make_error_code(RequestErrc::not_breakglass));
}

TEST_F(GrantRulesTest, GrantStatesRoundTrip) {
  for (auto state : {GrantState::active, GrantState::expired, GrantState::revoked}) {
    EXPECT_EQ(parse_grant_state(to_string(state)), state);
  }
  EXPECT_FALSE(parse_grant_state("pending"));
  EXPECT_FALSE(parse_grant_state(""));
}

}  // namespace
}  // namespace jit::approvals

namespace jit::approvals {
namespace {

// Issue 14 E22: a grant ending after the issuing CA certificate gets no X.509 certificate (it is
// never cut short); ending exactly at the issuer's notAfter is still covered.
TEST(IssuerCoversGrant, AGrantEndingAfterTheIssuerIsRefused) {
  EXPECT_TRUE(check_issuer_covers_grant(1'000, 2'000));
  EXPECT_TRUE(check_issuer_covers_grant(2'000, 2'000));
  EXPECT_EQ(check_issuer_covers_grant(2'001, 2'000).error(), RequestErrc::grant_outlasts_ca);
  EXPECT_EQ(request_error_status(RequestErrc::grant_outlasts_ca), 409u);
  EXPECT_EQ(request_error_name(RequestErrc::grant_outlasts_ca), "grant_outlasts_ca");
}

}  // namespace
}  // namespace jit::approvals
