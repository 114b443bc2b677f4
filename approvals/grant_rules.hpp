// Rules for what may be done with a grant once it exists, and for the post-incident review of a
// break-glass grant. Pure functions over the policy, the grant as stored and `now`
// (docs/architecture.md invariants 1, 2, 3 and 8).
#pragma once

#include "approvals/access_rules.hpp"
#include "approvals/request_state_machine.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::approvals {

enum class GrantState { active, expired, revoked };
std::string_view to_string(GrantState state) noexcept;
std::optional<GrantState> parse_grant_state(std::string_view text) noexcept;

struct GrantSnapshot {
  std::string id;
  std::string user;
  std::string role;
  std::int64_t not_before = 0;  // Unix seconds
  std::int64_t not_after = 0;
  GrantState state = GrantState::active;
  bool breakglass = false;  // granted by break-glass (entitled by breakglass.allowed)
};

enum class CertificateKind { ssh, x509 };

// Invariant 3: a certificate is minted only for an active grant, by its own user, between its
// start and its end, for a role that grants that kind of certificate, while the user's groups
// still allow the role the way the grant was obtained (still_entitled).
Result<void> check_mint(const config::Policy& policy, const GrantSnapshot& grant,
                        std::string_view caller, CertificateKind kind, std::int64_t now);

// An X.509 certificate never outlives its issuer, and a grant's certificates are never cut short
// (SSH certificates always run to the grant's end): a grant ending after the issuing CA
// certificate's notAfter gets no X.509 certificate (grant_outlasts_ca). Unix seconds.
Result<void> check_issuer_covers_grant(std::int64_t grant_not_after, std::int64_t issuer_not_after);

// The most a certificate is backdated for the clock skew of the hosts that check it
// (config's ca.clock_skew is bounded lower still).
inline constexpr std::chrono::seconds kMaxBackdate{3600};

// When a certificate minted for a grant is valid, in Unix seconds: not_before <= t < not_after for
// SSH (valid_after, valid_before), not_before <= t <= not_after for X.509 (notBefore, notAfter).
struct CertificateWindow {
  std::int64_t not_before = 0;
  std::int64_t not_after = 0;
};

// The issuing CA certificate's own validity (X.509 only: an SSH CA key has none). Unix seconds.
struct IssuerValidity {
  std::int64_t not_before = 0;
  std::int64_t not_after = 0;
};

// Invariant 3, "a certificate never outlives its grant", decided here and only here: the window
// starts `backdate` before now (never before the issuer's own start) and ends exactly at the
// grant's end, never later and never cut short. Refused: a grant that has ended (grant_not_active),
// one that ends after the issuer (grant_outlasts_ca, see check_issuer_covers_grant), a backdate
// outside 0..kMaxBackdate or a start before the epoch (invalid_input). The CA code only writes
// the window it is given.
Result<CertificateWindow> certificate_window(const GrantSnapshot& grant,
                                             std::chrono::seconds backdate, std::int64_t now,
                                             const std::optional<IssuerValidity>& issuer);

// What a minted SSH certificate may carry: only the role's principals, extensions, source
// addresses and forced command, never anything from the request (invariant 2).
struct SshGrantProfile {
  std::vector<std::string> principals;
  std::vector<std::string> extensions;
  std::vector<std::string> source_addresses;
  std::optional<std::string> force_command;
};
Result<SshGrantProfile> ssh_profile_for(const config::Policy& policy, const GrantSnapshot& grant);

struct X509GrantProfile {
  std::string common_name;  // the grant's user
  std::string organizational_unit;
  std::string san_uri;  // the role's template with {user} and {role} filled in
};
Result<X509GrantProfile> x509_profile_for(const config::Policy& policy, const GrantSnapshot& grant);

// Who may end a grant early: its user (giving access back) or anyone who may approve its role.
// Only an active grant can be revoked.
Result<void> check_revoke(const config::Policy& policy, const GrantSnapshot& grant,
                          std::string_view actor);

// The post-incident review of a break-glass request: by an approver of the role who is not the
// responder, once.
Result<void> check_post_incident_review(const config::Policy& policy,
                                        const RequestSnapshot& request, bool review_done,
                                        std::string_view reviewer);

// Whether a grant has reached its end at `now` (the sweeper expires it then).
bool grant_has_ended(const GrantSnapshot& grant, std::int64_t now) noexcept;

}  // namespace jit::approvals
