// Who a verified ID token makes someone in the broker (docs/sso.md "ID token checks").
#include "approvals/oidc_identity.hpp"

#include "config/names.hpp"

#include <algorithm>

namespace jit::approvals {
Result<std::string> oidc_user_name(const IdTokenClaims& token,
                                   const config::OidcProviderSettings& provider) {
  std::string name;
  if (const auto* claim = token.claims.if_contains(provider.username_claim)) {
    if (!claim->is_string()) return ApprovalsErrc::invalid_input;
    name = std::string(claim->get_string());
  } else if (const auto* email = token.claims.if_contains("email")) {
    // An address the provider says it has not verified may be anyone's: never a name from it.
    const auto* verified = token.claims.if_contains("email_verified");
    if (!email->is_string() ||
        (verified != nullptr && !(verified->is_bool() && verified->get_bool()))) {
      return ApprovalsErrc::invalid_input;
    }
    const std::string_view address(email->get_string().data(), email->get_string().size());
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) return ApprovalsErrc::invalid_input;
    name = std::string(address.substr(0, at));
  } else {
    return ApprovalsErrc::invalid_input;
  }
  // The same rule as names in policy.yaml: the name reaches certificates, URLs and SQL.
  if (!config::is_safe_name(name)) return ApprovalsErrc::invalid_input;
  return name;
}

namespace {

Result<std::vector<std::string>> groups_from(const IdTokenClaims& token,
                                             const config::OidcProviderSettings& provider) {
  std::vector<std::string> groups;
  const auto* claim = token.claims.if_contains(provider.groups_claim);
  if (claim == nullptr) return groups;  // a user in no group: signs in, may request nothing
  if (!claim->is_array() || claim->get_array().size() > kMaxIdpGroups) {
    return ApprovalsErrc::invalid_input;
  }
  for (const auto& item : claim->get_array()) {
    if (!item.is_string()) return ApprovalsErrc::invalid_input;
    const auto mapped = provider.group_map.find(std::string(item.get_string()));
    if (mapped != provider.group_map.end()) groups.push_back(mapped->second);
  }
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  return groups;
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

Result<OidcIdentity> oidc_identity(const IdTokenClaims& token,
                                   const config::OidcProviderSettings& provider) {
  auto user = oidc_user_name(token, provider);
  if (!user) return user.error();
  auto groups = groups_from(token, provider);
  if (!groups) return groups.error();
  OidcIdentity identity;
  identity.user = std::move(*user);
  identity.groups = std::move(*groups);
  identity.mfa =
      std::any_of(token.amr.begin(), token.amr.end(),
                  [&](const std::string& amr) { return contains(provider.mfa_amr, amr); }) ||
      (token.acr && contains(provider.mfa_acr, *token.acr));
  return identity;
}

}  // namespace jit::approvals
