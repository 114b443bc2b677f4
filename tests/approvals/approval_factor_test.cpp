#include "approvals/approval_factor.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

TEST(ApprovalFactor, APasskeyOnlyRoleRefusesACodeForApprovalsOnly) {
  config::Role role;
  role.approve_with_passkey = true;
  EXPECT_EQ(check_review_factor(role, ReviewDecision::approve, MfaFactor::totp).error(),
            RequestErrc::passkey_required);
  EXPECT_TRUE(check_review_factor(role, ReviewDecision::approve, MfaFactor::webauthn));
  EXPECT_TRUE(check_review_factor(role, ReviewDecision::deny, MfaFactor::totp));
  EXPECT_EQ(check_review_factor(role, ReviewDecision::approve, std::nullopt).error(),
            RequestErrc::passkey_required);
}

TEST(ApprovalFactor, ARoleOfAnyFactorTakesBoth) {
  const config::Role role;
  EXPECT_TRUE(check_review_factor(role, ReviewDecision::approve, MfaFactor::totp));
  EXPECT_TRUE(check_review_factor(role, ReviewDecision::approve, MfaFactor::webauthn));
}

}  // namespace
}  // namespace jit::approvals
