// A broker that signs users in at the test OpenID provider
// (tests/support/test_identity_provider.hpp; docs/sso.md): the policy with an idp group and the sso
// section of broker.yaml, shared by the process tests that start real brokers (sso_process_it.cpp,
// postgres_ceremonies_it.cpp).
#pragma once

#include "tests/support/test_identity_provider.hpp"

#include <string>

namespace jit::testing {

// alice asks (a local user); members of the provider's idp-sre-leads group approve.
inline constexpr const char* kSsoTestPolicy =
    "groups:\n"
    "  developers: [alice]\n"
    "  sre-leads: {source: idp}\n"
    "roles:\n"
    "  prod-db-read:\n"
    "    requestable_by: [developers]\n"
    "    approvers: [sre-leads]\n"
    "    approvals_required: 1\n"
    "    max_duration: 1h\n"
    "    ssh: { principals: [dbread] }\n";

// broker.yaml's sso section: the provider `corp` at `idp`, its groups mapped, otp as MFA.
inline std::string sso_test_yaml(const TestIdentityProvider& idp) {
  return "sso:\n  providers:\n    - name: corp\n      display_name: Corp IdP\n"
         "      issuer: " +
         idp.issuer() + "\n      client_id: " + TestIdentityProvider::kClientId +
         "\n      client_secret_file: " + idp.client_secret_file().string() +
         "\n      scopes: [openid, profile, email, groups]\n"
         "      group_map: {idp-sre-leads: sre-leads}\n"
         "      mfa_amr: [otp]\n"
         "      redirect_uri: https://127.0.0.1:8443/v1/auth/sso/corp/callback\n"
         "      ca_file: " +
         idp.ca_file().string() + "\n";
}

}  // namespace jit::testing
