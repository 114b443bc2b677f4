#include "approvals/access_rules.hpp"
#include "approvals/request_state_machine.hpp"
#include "ca/ssh_public_key.hpp"
#include "config/policy.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kAccessRulesPolicy = R"yaml(
groups:
  developers: [alice, bob]
  sre-leads: [carol, dave]
  oncall: [erin]
  auditors: [frank]
  dba: [gina]
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    approvals_required: 2
    max_duration: 1h
    require_reason: true
    require_ticket: true
    ssh: { principals: [dbread] }
    breakglass: { allowed: [oncall], max_duration: 30m, review_within: 24h }
  staging-shell:
    requestable_by: [developers, sre-leads]
    approvers: [sre-leads, dba]
    approvals_required: 1
    denials_required: 2
    max_duration: 4h
    ssh: { principals: [deploy] }
)yaml";

class AccessRulesTest : public ::testing::Test {
 protected:
  config::Limits limits_{8h, 1h, 1h};
  config::Policy policy_ = config::parse_policy(kAccessRulesPolicy, "policy.yaml", limits_);
};

AccessAsk ask(std::string requester, std::string role,
              std::optional<std::chrono::seconds> duration = 30min) {
  return AccessAsk{std::move(requester), std::move(role), "migrate orders", "OPS-1", duration};
}

TEST_F(AccessRulesTest, TableOfAccessRequests) {
  struct Case {
    AccessAsk ask;
    std::optional<RequestErrc> error;
  };
  const std::vector<Case> cases = {
      {ask("alice", "prod-db-read"), std::nullopt},
      {ask("alice", "prod-db-read", 1h), std::nullopt},
      {ask("alice", "prod-db-read", 61min), RequestErrc::duration_above_max},
      {ask("alice", "prod-db-read", 0s), RequestErrc::invalid_duration},
      {ask("alice", "prod-db-read", -5s), RequestErrc::invalid_duration},
      {ask("alice", "no-such-role"), RequestErrc::unknown_role},
      {ask("mallory", "prod-db-read"), RequestErrc::unknown_user},
      {ask("carol", "prod-db-read"), RequestErrc::not_requestable},
      {ask("erin", "prod-db-read"), RequestErrc::not_requestable},
      {{"alice", "prod-db-read", "", "OPS-1", 30min}, RequestErrc::reason_required},
      {{"alice", "prod-db-read", "  ", "OPS-1", 30min}, RequestErrc::reason_required},
      {{"alice", "prod-db-read", "why", "", 30min}, RequestErrc::ticket_required},
      {{"alice", "staging-shell", "", "", 30min}, std::nullopt},  // not required there
      {{"alice", "prod-db-read", std::string(1001, 'x'), "OPS-1", 30min},
       RequestErrc::field_too_long},
      {{"alice", "prod-db-read", "bad\nline", "OPS-1", 30min}, RequestErrc::invalid_text},
      {{"alice", "prod-db-read", "nul\0byte", "OPS-1", 30min}, std::nullopt},  // see below
      {{"alice", "prod-db-read", "caf\xC3\xA9", "OPS-1", 30min}, std::nullopt},
      {{"alice", "prod-db-read", "bad \xC3", "OPS-1", 30min}, RequestErrc::invalid_text},
      {{"alice", "prod-db-read", "overlong \xC0\xAF", "OPS-1", 30min}, RequestErrc::invalid_text},
      {{"alice", "prod-db-read", "surrogate \xED\xA0\x80", "OPS-1", 30min},
       RequestErrc::invalid_text},
      {{"alice", "prod-db-read", "'; DROP TABLE requests; --", "OPS-1", 30min}, std::nullopt},
  };
  for (const auto& c : cases) {
    const auto result = check_access_request(policy_, c.ask);
    if (c.error) {
      ASSERT_FALSE(result) << c.ask.requester << " " << c.ask.role << " " << c.ask.reason;
      EXPECT_EQ(result.error(), *c.error) << c.ask.reason;
    } else {
      EXPECT_TRUE(result) << c.ask.requester << " " << c.ask.role << " " << c.ask.reason;
    }
  }
}

TEST_F(AccessRulesTest, EmbeddedNulIsRefused) {
  AccessAsk with_nul{"alice", "prod-db-read", std::string("nul\0byte", 8), "OPS-1", 30min};
  EXPECT_EQ(check_access_request(policy_, with_nul).error(), RequestErrc::invalid_text);
}

// Bidirectional embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069) make a
// reason read differently on the approval page than it is stored ("Trojan Source",
// CVE-2021-42574). Right-to-left text itself, and the marks U+200E/U+200F, stay allowed. (The
// deprecated format characters U+206A..U+206F are refused since issue 14 E25, below.)
TEST(CheckText, BidirectionalOverridesAreRefused) {
  for (const std::string& text :
       {std::string("\xe2\x80\xaa"),
        std::string("read \xe2\x80\xae"
                    "etirw"),
        std::string("\xe2\x80\xac"), std::string("x\xe2\x81\xa6y"), std::string("\xe2\x81\xa9")}) {
    EXPECT_EQ(check_text(text, 100).error(), RequestErrc::invalid_text)
        << ::testing::PrintToString(text);
  }
  for (const std::string& text :
       {std::string("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"), std::string("\xe2\x80\x8e"),
        std::string("\xe2\x80\x8f"), std::string("\xe2\x80\xaf"), std::string("\xe2\x81\xa5")}) {
    EXPECT_TRUE(check_text(text, 100)) << ::testing::PrintToString(text);
  }
}

// C1 controls (U+0080..U+009F) are control characters like C0 ones: NEL breaks lines, CSI starts
// terminal escapes. The letters around them (U+007E, U+00A0 and up) are text.
TEST(CheckText, ControlCharactersOfEveryRangeAreRefused) {
  for (const std::string& text :
       {std::string("a\0b", 3), std::string("a\x1b[31m"), std::string("\x7f"),
        std::string("\xc2\x80"), std::string("next\xc2\x85line"),
        std::string("\xc2\x9b"
                    "31m"),
        std::string("\xc2\x9f")}) {
    EXPECT_EQ(check_text(text, 100).error(), RequestErrc::invalid_text)
        << ::testing::PrintToString(text);
  }
  for (const std::string& text : {std::string("tab\tok"), std::string("~"), std::string("\xc2\xa0"),
                                  std::string("caf\xc3\xa9"), std::string("\xc2\xbf")}) {
    EXPECT_TRUE(check_text(text, 100)) << ::testing::PrintToString(text);
  }
}

// Invisible format characters (zero-width space and joiners, word joiner and the invisible
// operators, BOM, soft hyphen, Mongolian vowel separator, interlinear annotation, tag characters)
// let two reasons or tickets that look the same differ, or hide text from the approver (issue 14
// E25). The bidirectional marks LRM, RLM and ALM stay allowed, as does right-to-left text.
TEST(CheckText, InvisibleFormatCharactersAreRefused) {
  for (const std::string& text :
       {std::string("OPS\xe2\x80\x8b-1"), std::string("\xe2\x80\x8c"), std::string("\xe2\x80\x8d"),
        std::string("\xe2\x81\xa0"),
        std::string("a\xe2\x81\xa2"
                    "b"),
        std::string("\xe2\x81\xa4"),
        std::string("\xef\xbb\xbf"
                    "OPS-1"),
        std::string("soft\xc2\xad"
                    "hyphen"),
        std::string("\xe1\xa0\x8e"), std::string("\xe2\x81\xaf"), std::string("\xef\xbf\xb9"),
        std::string("\xf3\xa0\x80\x81"), std::string("tag \xf3\xa0\x81\x81"),
        std::string("\xf3\xa0\x81\xbf"), std::string("\xf0\x9d\x85\xb3"),
        std::string("\xf0\x9b\xb2\xa0")}) {
    EXPECT_EQ(check_text(text, 100).error(), RequestErrc::invalid_text)
        << ::testing::PrintToString(text);
  }
  for (const std::string& text :
       {std::string("\xe2\x80\x8e"), std::string("\xe2\x80\x8f"), std::string("\xd8\x9c"),
        std::string("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"), std::string("\xe2\x80\x90"),
        std::string("\xe2\x81\x9f"), std::string("\xef\xbb\xbe"), std::string("\xc2\xae"),
        std::string("\xf0\x9f\x98\x80"), std::string("\xe2\x80\x8a")}) {
    EXPECT_TRUE(check_text(text, 100)) << ::testing::PrintToString(text);
  }
}

// The refusal of an SSH public key names the RSA minimum the parser applies (it said 2048 while
// ca/ssh_public_key.hpp requires 3072).
TEST(RequestErrors, PublicKeyMessageNamesTheRsaMinimumInForce) {
  const auto message = make_error_code(RequestErrc::invalid_public_key).message();
  EXPECT_NE(message.find("at least " + std::to_string(ca::kMinSshRsaBits) + " bits"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("2048"), std::string::npos) << message;
}

TEST_F(AccessRulesTest, DefaultDurationIsUsedWhenNoneAsked) {
  const auto result = check_access_request(policy_, ask("alice", "prod-db-read", std::nullopt));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->duration, policy_.find_role("prod-db-read")->default_duration);
}

TEST_F(AccessRulesTest, BreakGlassRules) {
  EXPECT_TRUE(
      check_breakglass_request(policy_, {"erin", "prod-db-read", "INC-7", "db down", 20min}));
  const auto capped =
      check_breakglass_request(policy_, {"erin", "prod-db-read", "INC-7", "db down", std::nullopt});
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->duration, 30min);
  EXPECT_EQ(check_breakglass_request(policy_, {"erin", "prod-db-read", "INC-7", "db down", 31min})
                .error(),
            RequestErrc::duration_above_max);
  EXPECT_EQ(check_breakglass_request(policy_, {"alice", "prod-db-read", "INC-7", "db down", 10min})
                .error(),
            RequestErrc::breakglass_not_allowed);
  EXPECT_EQ(check_breakglass_request(policy_, {"erin", "staging-shell", "INC-7", "db down", 10min})
                .error(),
            RequestErrc::breakglass_not_allowed);
  EXPECT_EQ(
      check_breakglass_request(policy_, {"erin", "prod-db-read", "", "db down", 10min}).error(),
      RequestErrc::incident_required);
  EXPECT_EQ(check_breakglass_request(policy_, {"erin", "prod-db-read", "INC-7", "", 10min}).error(),
            RequestErrc::reason_required);
}

TEST_F(AccessRulesTest, ReviewerRules) {
  EXPECT_TRUE(check_reviewer(policy_, "prod-db-read", "alice", "carol"));
  EXPECT_EQ(check_reviewer(policy_, "prod-db-read", "alice", "alice").error(),
            RequestErrc::self_review);
  EXPECT_EQ(check_reviewer(policy_, "prod-db-read", "alice", "bob").error(),
            RequestErrc::not_an_approver);
  EXPECT_EQ(check_reviewer(policy_, "prod-db-read", "alice", "frank").error(),
            RequestErrc::not_an_approver);
  EXPECT_EQ(check_reviewer(policy_, "prod-db-read", "alice", "zed").error(),
            RequestErrc::unknown_user);
  // carol may request staging-shell and approve it, but never her own request.
  EXPECT_EQ(check_reviewer(policy_, "staging-shell", "carol", "carol").error(),
            RequestErrc::self_review);
  EXPECT_TRUE(check_reviewer(policy_, "staging-shell", "carol", "dave"));
}

TEST_F(AccessRulesTest, VisibilityOfRequests) {
  EXPECT_TRUE(may_view_request(policy_, "prod-db-read", "alice", "alice"));
  EXPECT_TRUE(may_view_request(policy_, "prod-db-read", "alice", "carol"));
  EXPECT_TRUE(may_view_request(policy_, "prod-db-read", "alice", "frank"));  // auditor
  EXPECT_FALSE(may_view_request(policy_, "prod-db-read", "alice", "bob"));
  EXPECT_FALSE(may_view_request(policy_, "prod-db-read", "alice", "erin"));
  EXPECT_FALSE(may_view_request(policy_, "prod-db-read", "alice", "nobody"));
}

class StateMachineTest : public AccessRulesTest {
 protected:
  RequestSnapshot pending(std::string role = "prod-db-read") {
    return RequestSnapshot{"r1", "alice", std::move(role), RequestState::pending, 1000, false, {}};
  }
};

TEST_F(StateMachineTest, TwoDistinctApprovalsActivate) {
  auto request = pending();
  auto first = apply_review(policy_, request, "carol", ReviewDecision::approve, 10);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->new_state, RequestState::pending);
  EXPECT_EQ(first->approvals, 1);
  EXPECT_FALSE(first->grant_now);
  request.reviews.push_back({"carol", ReviewDecision::approve});
  EXPECT_EQ(apply_review(policy_, request, "carol", ReviewDecision::approve, 11).error(),
            RequestErrc::already_reviewed);
  auto second = apply_review(policy_, request, "dave", ReviewDecision::approve, 12);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->new_state, RequestState::active);
  EXPECT_EQ(second->approvals, 2);
  EXPECT_TRUE(second->grant_now);
}

TEST_F(StateMachineTest, RequesterReviewNeverCountsEvenIfStored) {
  auto request = pending();
  request.reviews.push_back({"alice", ReviewDecision::approve});  // e.g. from a policy that changed
  auto outcome = apply_review(policy_, request, "carol", ReviewDecision::approve, 10);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->approvals, 1);
  EXPECT_EQ(outcome->new_state, RequestState::pending);
}

TEST_F(StateMachineTest, OneDenialDeniesByDefault) {
  auto outcome = apply_review(policy_, pending(), "dave", ReviewDecision::deny, 10);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->new_state, RequestState::denied);
  EXPECT_FALSE(outcome->grant_now);
}

TEST_F(StateMachineTest, DenyThresholdOfTheRoleIsRespected) {
  auto request = pending("staging-shell");
  auto first = apply_review(policy_, request, "gina", ReviewDecision::deny, 10);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->new_state, RequestState::pending);
  request.reviews.push_back({"gina", ReviewDecision::deny});
  auto second = apply_review(policy_, request, "carol", ReviewDecision::deny, 11);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->new_state, RequestState::denied);
}

TEST_F(StateMachineTest, ReviewsRefusedOutsidePendingOrAfterDeadline) {
  auto request = pending();
  EXPECT_EQ(apply_review(policy_, request, "carol", ReviewDecision::approve, 1000).error(),
            RequestErrc::pending_expired);
  for (auto state : {RequestState::active, RequestState::denied, RequestState::cancelled,
                     RequestState::timed_out, RequestState::expired, RequestState::revoked}) {
    request.state = state;
    EXPECT_EQ(apply_review(policy_, request, "carol", ReviewDecision::approve, 10).error(),
              RequestErrc::not_pending);
  }
}

TEST_F(StateMachineTest, ApproverMustBeAllowedAtTheTimeOfApproval) {
  // bob approves nothing; after a policy change that removes carol from sre-leads she cannot
  // either.
  EXPECT_EQ(apply_review(policy_, pending(), "bob", ReviewDecision::approve, 10).error(),
            RequestErrc::not_an_approver);
  // carol moves from sre-leads to oncall: still a user, no longer an approver.
  std::string changed(kAccessRulesPolicy);
  changed.replace(changed.find("[carol, dave]"), 13, "[dave, henk]");
  changed.replace(changed.find("[erin]"), 6, "[erin, carol]");
  const auto new_policy = config::parse_policy(changed, "policy.yaml", limits_);
  EXPECT_EQ(apply_review(new_policy, pending(), "carol", ReviewDecision::approve, 10).error(),
            RequestErrc::not_an_approver);
}

TEST_F(StateMachineTest, RequesterMustStillBeEntitledAtTheTimeOfApproval) {
  // alice moves from developers to oncall after asking: an approver may no longer turn her pending
  // request into a grant, and neither a denial nor an approval counts (the broker cancels it).
  std::string changed(kAccessRulesPolicy);
  changed.replace(changed.find("[alice, bob]"), 12, "[bob]");
  changed.replace(changed.find("[erin]"), 6, "[erin, alice]");
  const auto new_policy = config::parse_policy(changed, "policy.yaml", limits_);
  for (auto decision : {ReviewDecision::approve, ReviewDecision::deny}) {
    EXPECT_EQ(apply_review(new_policy, pending(), "carol", decision, 10).error(),
              RequestErrc::requester_not_entitled);
  }
  // Still refused for a non-approver as a non-approver: the entitlement check comes after it.
  EXPECT_EQ(apply_review(new_policy, pending(), "bob", ReviewDecision::approve, 10).error(),
            RequestErrc::not_an_approver);
  // alice is now in neither of staging-shell's requesting groups either; under the old policy
  // gina's approval of it counts.
  EXPECT_EQ(apply_review(new_policy, pending("staging-shell"), "gina", ReviewDecision::approve, 10)
                .error(),
            RequestErrc::requester_not_entitled);
  EXPECT_TRUE(apply_review(policy_, pending("staging-shell"), "gina", ReviewDecision::approve, 10));
}

TEST_F(AccessRulesTest, TableOfEntitlements) {
  struct Case {
    std::string user;
    std::string role;
    bool breakglass;
    bool entitled;
  };
  const std::vector<Case> cases = {
      {"alice", "prod-db-read", false, true},   // developers may request it
      {"erin", "prod-db-read", false, false},   // oncall may not request it ...
      {"erin", "prod-db-read", true, true},     // ... but may break glass
      {"alice", "prod-db-read", true, false},   // developers may not break glass
      {"carol", "staging-shell", false, true},  // sre-leads may request staging-shell
      {"erin", "staging-shell", true, false},   // a role without break-glass
      {"zed", "prod-db-read", false, false},    // not a user of the policy
      {"alice", "gone-role", false, false},     // a role removed from policy
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.user + " " + c.role + (c.breakglass ? " break-glass" : ""));
    EXPECT_EQ(still_entitled(policy_, c.user, c.role, c.breakglass), c.entitled);
  }
}

TEST_F(StateMachineTest, CancelRules) {
  auto request = pending();
  EXPECT_EQ(apply_cancel(request, "carol").error(), RequestErrc::not_requester);
  EXPECT_EQ(*apply_cancel(request, "alice"), RequestState::cancelled);
  request.state = RequestState::active;
  EXPECT_EQ(apply_cancel(request, "alice").error(), RequestErrc::not_pending);
}

TEST_F(StateMachineTest, TimeOutOnlyPendingPastDeadline) {
  auto request = pending();
  EXPECT_FALSE(should_time_out(request, 999));
  EXPECT_TRUE(should_time_out(request, 1000));
  request.state = RequestState::active;
  EXPECT_FALSE(should_time_out(request, 5000));
}

TEST(RequestStateNames, RoundTrip) {
  for (auto state :
       {RequestState::pending, RequestState::active, RequestState::denied, RequestState::cancelled,
        RequestState::timed_out, RequestState::expired, RequestState::revoked}) {
    EXPECT_EQ(parse_request_state(to_string(state)), state);
  }
  EXPECT_FALSE(parse_request_state("approved"));
  EXPECT_FALSE(parse_request_state(""));
}

// Quoting caller text cuts it between characters, never inside one.
TEST(Utf8Prefix, CutsBetweenCharacters) {
  const std::string e_acute = "\xc3\xa9";        // 2 bytes
  const std::string euro = "\xe2\x82\xac";       // 3 bytes
  const std::string emoji = "\xf0\x9f\x94\x91";  // 4 bytes
  EXPECT_EQ(utf8_prefix("abc", 3), "abc");
  EXPECT_EQ(utf8_prefix("abc", 10), "abc");
  EXPECT_EQ(utf8_prefix("abcd", 3), "abc");
  EXPECT_EQ(utf8_prefix("", 0), "");
  EXPECT_EQ(utf8_prefix("abc", 0), "");
  EXPECT_EQ(utf8_prefix("ab" + e_acute, 3), "ab");
  EXPECT_EQ(utf8_prefix("ab" + e_acute, 4), "ab" + e_acute);
  EXPECT_EQ(utf8_prefix("ab" + e_acute + "z", 4), "ab" + e_acute);
  for (std::size_t cut = 1; cut < 4; ++cut) {
    EXPECT_EQ(utf8_prefix("a" + euro, cut), "a") << cut;
    EXPECT_EQ(utf8_prefix("a" + emoji + "b", 1 + cut), "a") << cut;
  }
  EXPECT_EQ(utf8_prefix("a" + euro + "b", 4), "a" + euro);
  EXPECT_EQ(utf8_prefix("a" + emoji + "b", 5), "a" + emoji);
  EXPECT_EQ(utf8_prefix(emoji, 3), "");
  // Every prefix of valid text is valid text (check_text is the UTF-8 judge).
  const std::string mixed = "x" + e_acute + euro + emoji + "y" + emoji + euro;
  for (std::size_t max = 0; max <= mixed.size() + 1; ++max) {
    const auto prefix = utf8_prefix(mixed, max);
    EXPECT_LE(prefix.size(), max);
    EXPECT_GT(prefix.size() + 4, std::min(max, mixed.size())) << max;  // at most one char lost
    EXPECT_TRUE(check_text(prefix, 1000)) << max;
    EXPECT_EQ(mixed.substr(0, prefix.size()), prefix);
  }
}

}  // namespace
}  // namespace jit::approvals
