// The MFA freshness rule: one answer for every caller.
#include "approvals/session_factor.hpp"

#include <gtest/gtest.h>

namespace jit::testing {
namespace {

using approvals::minting_rule;
using approvals::passkey_registration_rule;
using approvals::session_factor_suffices;
using approvals::SessionFactor;
using namespace std::chrono_literals;

TEST(SessionFactorTest, AFreshSessionSufficesOnlyWhereTheRuleAllowsIt) {
  const std::int64_t login = 1'000'000;
  EXPECT_TRUE(session_factor_suffices(SessionFactor::when_fresh, login, login, 300s));
  EXPECT_TRUE(session_factor_suffices(SessionFactor::when_fresh, login, login + 300, 300s));
  EXPECT_FALSE(session_factor_suffices(SessionFactor::when_fresh, login, login + 301, 300s));
  // Approve, deny, break-glass: a factor in the call, however recent the session's.
  EXPECT_FALSE(session_factor_suffices(SessionFactor::not_enough, login, login, 300s));
}

TEST(SessionFactorTest, OnlyAUserWithoutAnyFactorRegistersAPasskeyOnAFreshSession) {
  EXPECT_EQ(passkey_registration_rule(true), SessionFactor::not_enough);
  EXPECT_EQ(passkey_registration_rule(false), SessionFactor::when_fresh);
  // An SSO login without MFA leaves last_mfa_at at 0: never fresh.
  EXPECT_FALSE(session_factor_suffices(passkey_registration_rule(false), 0, 1'800'000'000, 300s));
}

TEST(SessionFactorTest, AnSsoSessionNeverMintsOnItsLoginAlone) {
  EXPECT_EQ(minting_rule(false), SessionFactor::when_fresh);
  EXPECT_EQ(minting_rule(true), SessionFactor::not_enough);
  EXPECT_FALSE(session_factor_suffices(minting_rule(true), 100, 100, 300s));
}

}  // namespace
}  // namespace jit::testing
