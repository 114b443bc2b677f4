// Policy evaluation for the access workflow: who may request a role, for how long, with what
// justification, and who may review it. Pure functions over the policy and the caller's input;
// nothing here reads a clock or touches storage.
#pragma once

#include "approvals/request_errors.hpp"
#include "ca/result.hpp"
#include "config/policy.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace jit::approvals {

using Seconds = std::chrono::seconds;

// Bounds on free text, so a request row and its audit record stay small.
inline constexpr std::size_t kMaxReasonLength = 1000;
inline constexpr std::size_t kMaxTicketLength = 128;
inline constexpr std::size_t kMaxCommentLength = 1000;
inline constexpr std::size_t kMaxIncidentLength = 128;

// Valid UTF-8, no control characters (C0, DEL or C1; tab allowed), no bidirectional
// embeddings, overrides or isolates, and no invisible format characters (zero-width space and
// joiners, word joiner, BOM, soft hyphen, tag characters, ...; LRM, RLM and ALM stay allowed), at
// most `max_length` bytes. The full list is in access_rules.cpp.
Result<void> check_text(std::string_view text, std::size_t max_length);

// The longest prefix of `text` of at most `max_bytes` that does not end inside a UTF-8 sequence,
// for quoting caller text in an error or an audit record: a prefix of valid UTF-8 stays valid, so
// the JSON that quotes it does too.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

struct AccessAsk {
  std::string requester;
  std::string role;
  std::string reason;
  std::string ticket;
  std::optional<Seconds> duration;  // the role's default when absent
};

struct ApprovedAsk {
  const config::Role* role = nullptr;
  Seconds duration{0};
};

// Checks a new access request against policy (known user and role, requester's groups, duration,
// required reason and ticket, text bounds).
Result<ApprovedAsk> check_access_request(const config::Policy& policy, const AccessAsk& ask);

struct BreakGlassAsk {
  std::string requester;
  std::string role;
  std::string incident;
  std::string reason;
  std::optional<Seconds> duration;  // the break-glass maximum when absent
};

// Break-glass: the role must allow it for one of the caller's groups; incident and reason are
// always required; duration capped by the break-glass maximum (invariant 8).
Result<ApprovedAsk> check_breakglass_request(const config::Policy& policy,
                                             const BreakGlassAsk& ask);

// Whether `reviewer` may review a request of `requester` for `role` now: they must be a policy user
// in one of the role's approver groups, and never the requester (invariant 1).
Result<void> check_reviewer(const config::Policy& policy, std::string_view role,
                            std::string_view requester, std::string_view reviewer);

// Whether `user` may still hold access to `role` obtained by request (the role's requestable_by
// groups) or by break-glass (its breakglass.allowed groups). False for a user or role no longer in
// policy. Checked again at approval, at mint and at start-up, so that removing someone from a
// group takes effect on what they asked for or hold (issue 14 item 16).
bool still_entitled(const config::Policy& policy, std::string_view user, std::string_view role,
                    bool breakglass);
// Whether `viewer` sees the whole MFA evidence of a request's reviews (TOTP step, passkey
// credential id and signature counter, verification time): auditors only. Everyone else who may
// see the request sees which kind of factor each reviewer used, no more.
bool may_see_mfa_evidence(const config::Policy& policy, std::string_view viewer);

// Who may see a request: its requester, anyone who may review it, and auditors.
bool may_view_request(const config::Policy& policy, std::string_view role,
                      std::string_view requester, std::string_view viewer);

}  // namespace jit::approvals
