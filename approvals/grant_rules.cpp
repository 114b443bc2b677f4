#include "approvals/grant_rules.hpp"

#include "approvals/approvals_error.hpp"

#include <algorithm>

namespace jit::approvals {
namespace {

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

std::string_view to_string(GrantState state) noexcept {
  switch (state) {
    case GrantState::active:
      return "active";
    case GrantState::expired:
      return "expired";
    case GrantState::revoked:
      return "revoked";
  }
  return "active";
}

std::optional<GrantState> parse_grant_state(std::string_view text) noexcept {
  if (text == "active") return GrantState::active;
  if (text == "expired") return GrantState::expired;
  if (text == "revoked") return GrantState::revoked;
  return std::nullopt;
}

bool grant_has_ended(const GrantSnapshot& grant, std::int64_t now) noexcept {
  return now >= grant.not_after;
}

Result<void> check_mint(const config::Policy& policy, const GrantSnapshot& grant,
                        std::string_view caller, CertificateKind kind, std::int64_t now) {
  if (caller != grant.user) return RequestErrc::not_grant_user;
  if (!policy.has_user(caller)) return RequestErrc::unknown_user;
  if (grant.state != GrantState::active || now < grant.not_before || grant_has_ended(grant, now)) {
    return RequestErrc::grant_not_active;
  }
  const config::Role* role = policy.find_role(grant.role);
  if (role == nullptr) return RequestErrc::unknown_role;  // removed from policy since the grant
  if (!still_entitled(policy, caller, grant.role, grant.breakglass))
    return RequestErrc::not_entitled;
  if (kind == CertificateKind::ssh && !role->ssh) return RequestErrc::role_has_no_ssh;
  if (kind == CertificateKind::x509 && !role->x509) return RequestErrc::role_has_no_x509;
  return {};
}

Result<void> check_issuer_covers_grant(std::int64_t grant_not_after,
                                       std::int64_t issuer_not_after) {
  if (grant_not_after > issuer_not_after) return RequestErrc::grant_outlasts_ca;
  return {};
}

Result<CertificateWindow> certificate_window(const GrantSnapshot& grant,
                                             std::chrono::seconds backdate, std::int64_t now,
                                             const std::optional<IssuerValidity>& issuer) {
  if (backdate < std::chrono::seconds{0} || backdate > kMaxBackdate) {
    return ApprovalsErrc::invalid_input;
  }
  if (grant_has_ended(grant, now)) return RequestErrc::grant_not_active;
  CertificateWindow window{now - backdate.count(), grant.not_after};
  if (issuer) {
    if (auto covered = check_issuer_covers_grant(grant.not_after, issuer->not_after); !covered) {
      return covered.error();
    }
    window.not_before = std::max(window.not_before, issuer->not_before);
  }
  if (window.not_before < 0) return ApprovalsErrc::invalid_input;
  return window;
}

Result<SshGrantProfile> ssh_profile_for(const config::Policy& policy, const GrantSnapshot& grant) {
  const config::Role* role = policy.find_role(grant.role);
  if (role == nullptr) return RequestErrc::unknown_role;
  if (!role->ssh) return RequestErrc::role_has_no_ssh;
  return SshGrantProfile{role->ssh->principals, role->ssh->extensions, role->ssh->source_address,
                         role->ssh->force_command};
}

Result<X509GrantProfile> x509_profile_for(const config::Policy& policy,
                                          const GrantSnapshot& grant) {
  const config::Role* role = policy.find_role(grant.role);
  if (role == nullptr) return RequestErrc::unknown_role;
  if (!role->x509) return RequestErrc::role_has_no_x509;
  // User and role names are safe names (config/names.hpp), so plain substitution cannot inject
  // URI syntax.
  std::string uri = replace_all(role->x509->san_uri_template, "{user}", grant.user);
  uri = replace_all(std::move(uri), "{role}", grant.role);
  return X509GrantProfile{grant.user, role->x509->organizational_unit, std::move(uri)};
}

Result<void> check_revoke(const config::Policy& policy, const GrantSnapshot& grant,
                          std::string_view actor) {
  const bool own = actor == grant.user;
  const config::Role* role = policy.find_role(grant.role);
  const bool approver = role != nullptr && actor != grant.user && policy.has_user(actor) &&
                        policy.in_any_group(actor, role->approvers);
  if (!own && !approver) return RequestErrc::may_not_revoke;
  if (grant.state != GrantState::active) return RequestErrc::grant_not_active;
  return {};
}

Result<void> check_post_incident_review(const config::Policy& policy,
                                        const RequestSnapshot& request, bool review_done,
                                        std::string_view reviewer) {
  if (!request.breakglass) return RequestErrc::not_breakglass;
  if (auto allowed = check_reviewer(policy, request.role, request.requester, reviewer); !allowed) {
    return allowed.error();
  }
  if (review_done) return RequestErrc::review_already_done;
  return {};
}

}  // namespace jit::approvals
