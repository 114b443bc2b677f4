// oidc_identity (approvals/oidc_identity.hpp): user name, mapped groups and MFA from verified
// claims.
#include "approvals/oidc_identity.hpp"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace jit::approvals {
namespace {

config::OidcProviderSettings identity_provider() {
  config::OidcProviderSettings provider;
  provider.name = "corp";
  provider.group_map = {
      {"SRE Leads", "sre-leads"}, {"sre-leads-emea", "sre-leads"}, {"Developers", "devs"}};
  provider.mfa_amr = {"mfa", "otp", "hwk"};
  provider.mfa_acr = {"urn:corp:loa:2"};
  return provider;
}

IdTokenClaims identity_claims(boost::json::object claims) {
  IdTokenClaims token;
  token.subject = "s-1";
  if (const auto* amr = claims.if_contains("amr")) {
    for (const auto& v : amr->as_array()) token.amr.emplace_back(v.as_string());
  }
  if (const auto* acr = claims.if_contains("acr")) token.acr = std::string(acr->as_string());
  token.claims = std::move(claims);
  return token;
}

TEST(OidcIdentity, TakesTheUserNameClaimElseTheEmailLocalPart) {
  const auto provider = identity_provider();
  EXPECT_EQ(oidc_identity(identity_claims(
                              {{"preferred_username", "carol"}, {"email", "c.other@corp.example"}}),
                          provider)
                ->user,
            "carol");
  EXPECT_EQ(oidc_identity(identity_claims({{"email", "carol.s@corp.example"}}), provider)->user,
            "carol.s");
  EXPECT_EQ(
      oidc_identity(identity_claims({{"email", "carol.s@corp.example"}, {"email_verified", true}}),
                    provider)
          ->user,
      "carol.s");
  auto by_upn = provider;
  by_upn.username_claim = "upn";
  EXPECT_EQ(
      oidc_identity(identity_claims({{"upn", "dave"}, {"preferred_username", "x"}}), by_upn)->user,
      "dave");
}

TEST(OidcIdentity, RefusesNamesThatBreakThePolicyNameRules) {
  const auto provider = identity_provider();
  for (const boost::json::object& claims : std::vector<boost::json::object>{
           {{"preferred_username", "-rf"}},
           {{"preferred_username", "../etc"}},
           {{"preferred_username", "carol smith"}},
           {{"preferred_username", std::string(65, 'a')}},
           {{"preferred_username", ""}},
           {{"preferred_username", 42}},
           {{"email", "no-at-sign"}},
           {{"email", "a+b@corp.example"}},
           {{"email", "@corp.example"}},
           {{"email", "carol@corp.example"}, {"email_verified", false}},
           {{"email", "carol@corp.example"}, {"email_verified", "true"}},
           {{"name", "Carol"}},
       }) {
    SCOPED_TRACE(boost::json::serialize(claims));
    const auto identity = oidc_identity(identity_claims(claims), provider);
    ASSERT_FALSE(identity.has_value());
    EXPECT_EQ(identity.error(), ApprovalsErrc::invalid_input);
  }
}

TEST(OidcIdentity, MapsGroupsSortedAndUniqueIgnoringUnmapped) {
  const auto identity = oidc_identity(
      identity_claims({{"preferred_username", "carol"},
                       {"groups", boost::json::array{"sre-leads-emea", "Developers", "Payroll",
                                                     "SRE Leads", "sre-leads"}}}),
      identity_provider());
  ASSERT_TRUE(identity.has_value());
  EXPECT_EQ(identity->groups, (std::vector<std::string>{"devs", "sre-leads"}));
  // No groups claim: a user in no group.
  EXPECT_TRUE(oidc_identity(identity_claims({{"preferred_username", "carol"}}), identity_provider())
                  ->groups.empty());
  auto other_claim = identity_provider();
  other_claim.groups_claim = "roles";
  EXPECT_EQ(oidc_identity(identity_claims({{"preferred_username", "carol"},
                                           {"roles", boost::json::array{"Developers"}},
                                           {"groups", boost::json::array{"SRE Leads"}}}),
                          other_claim)
                ->groups,
            std::vector<std::string>{"devs"});
}

TEST(OidcIdentity, RefusesGroupsThatAreNotAShortListOfStrings) {
  boost::json::array huge;
  for (int i = 0; i < 10'000; ++i) huge.emplace_back("g" + std::to_string(i));
  boost::json::array thousand(huge.begin(), huge.begin() + 1000);
  for (const boost::json::value& groups :
       {boost::json::value("SRE Leads"), boost::json::value(boost::json::array{"SRE Leads", 1}),
        boost::json::value(boost::json::object{{"SRE Leads", true}}), boost::json::value(huge)}) {
    const auto identity =
        oidc_identity(identity_claims({{"preferred_username", "carol"}, {"groups", groups}}),
                      identity_provider());
    ASSERT_FALSE(identity.has_value());
    EXPECT_EQ(identity.error(), ApprovalsErrc::invalid_input);
  }
  EXPECT_TRUE(
      oidc_identity(identity_claims({{"preferred_username", "carol"}, {"groups", thousand}}),
                    identity_provider())
          .has_value());
}

TEST(OidcIdentity, MfaOnlyWhenAmrOrAcrIsAllowed) {
  const auto provider = identity_provider();
  const auto mfa_of = [&](boost::json::object claims) {
    claims["preferred_username"] = "carol";
    return oidc_identity(identity_claims(std::move(claims)), provider).value().mfa;
  };
  EXPECT_FALSE(mfa_of({}));
  EXPECT_FALSE(mfa_of({{"amr", boost::json::array{"pwd"}}}));
  EXPECT_TRUE(mfa_of({{"amr", boost::json::array{"pwd", "otp"}}}));
  EXPECT_FALSE(mfa_of({{"acr", "urn:corp:loa:1"}}));
  EXPECT_TRUE(mfa_of({{"acr", "urn:corp:loa:2"}}));
  EXPECT_FALSE(mfa_of({{"amr", boost::json::array{"OTP"}}}));  // values compare exactly
}

}  // namespace
}  // namespace jit::approvals
