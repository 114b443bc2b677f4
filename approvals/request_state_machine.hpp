// The life of an access request (docs/architecture.md, "Request states"):
//   pending -> active (approval threshold met) | denied | cancelled | timed_out
//   active  -> expired (grant end) | revoked
// Functions take the request as it is stored and `now`, and return the next state or why not. The
// broker runs them inside the write transaction that stores the result, so two concurrent
// approvals are serialised and only one of them can make the grant.
#pragma once

#include "approvals/access_rules.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::approvals {

enum class RequestState { pending, active, denied, cancelled, timed_out, expired, revoked };

std::string_view to_string(RequestState state) noexcept;
std::optional<RequestState> parse_request_state(std::string_view text) noexcept;
bool is_final(RequestState state) noexcept;  // every state but pending and active

enum class ReviewDecision { approve, deny };
std::string_view to_string(ReviewDecision decision) noexcept;

struct ReviewRecord {
  std::string reviewer;
  ReviewDecision decision = ReviewDecision::approve;
};

struct RequestSnapshot {
  std::string id;
  std::string requester;
  std::string role;
  RequestState state = RequestState::pending;
  std::int64_t pending_deadline = 0;  // Unix seconds
  bool breakglass = false;
  std::vector<ReviewRecord> reviews;
};

struct ReviewOutcome {
  RequestState new_state = RequestState::pending;
  int approvals = 0;  // distinct approving reviewers, the requester never counted
  int denials = 0;
  bool grant_now =
      false;  // this review met the threshold: create the grant in the same transaction
};

// Applies one review. Refuses: not pending, past the pending deadline, the requester reviewing, a
// reviewer not allowed by the role now, a reviewer who already reviewed.
Result<ReviewOutcome> apply_review(const config::Policy& policy, const RequestSnapshot& request,
                                   std::string_view reviewer, ReviewDecision decision,
                                   std::int64_t now);

// Whether an earlier review still counts when the next one decides the request (docs/sso.md,
// "Groups from the identity provider"): never the requester's; otherwise while the policy still
// lets its reviewer review this role (so an approver who lost the group at their last SSO login,
// or in the policy file, no longer carries the request), except that with
// approvals_survive_group_removal an approval given stays counted.
bool review_counts_at_decision(const config::Policy& policy, const RequestSnapshot& request,
                               const ReviewRecord& review);

// Only the requester cancels, and only while pending.
Result<RequestState> apply_cancel(const RequestSnapshot& request, std::string_view actor);

// Whether the sweeper should move the request to timed_out at `now`.
bool should_time_out(const RequestSnapshot& request, std::int64_t now) noexcept;

}  // namespace jit::approvals
