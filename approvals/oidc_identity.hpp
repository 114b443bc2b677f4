// Who a verified ID token makes someone in the broker (docs/sso.md): the user name, the policy
// groups from the provider's groups claim, and whether the login counts as MFA. Pure rules, kept
// apart from the token checks so each can be read and tested on its own.
#pragma once

#include "approvals/approvals_error.hpp"
#include "approvals/oidc_id_token.hpp"
#include "config/broker_config.hpp"

#include <string>
#include <vector>

namespace jit::approvals {

// A groups claim longer than this is refused rather than mapped: no real person is in thousands
// of groups, and mapping them would cost every login.
inline constexpr std::size_t kMaxIdpGroups = 1000;

struct OidcIdentity {
  std::string user;                 // a valid policy user name
  std::vector<std::string> groups;  // policy groups (sorted, unique) mapped from the IdP's groups
  bool mfa = false;                 // `amr` or `acr` is in the provider's allowed lists
};

// invalid_input: no usable name (claim absent and no email, an email whose `email_verified` is
// not true when present, or a result that breaks the user name rules), or a groups claim that is
// not an array of at most 1,000 strings.
[[nodiscard]] Result<OidcIdentity> oidc_identity(const IdTokenClaims& token,
                                                 const config::OidcProviderSettings& provider);

// The user name part of oidc_identity alone (invalid_input as above): what a refused login is
// told is wrong, its name or its groups.
[[nodiscard]] Result<std::string> oidc_user_name(const IdTokenClaims& token,
                                                 const config::OidcProviderSettings& provider);

}  // namespace jit::approvals
