#include "approvals/request_state_machine.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace jit::approvals {
namespace {

constexpr std::array kStateNames = {
    std::pair{RequestState::pending, std::string_view("pending")},
    std::pair{RequestState::active, std::string_view("active")},
    std::pair{RequestState::denied, std::string_view("denied")},
    std::pair{RequestState::cancelled, std::string_view("cancelled")},
    std::pair{RequestState::timed_out, std::string_view("timed_out")},
    std::pair{RequestState::expired, std::string_view("expired")},
    std::pair{RequestState::revoked, std::string_view("revoked")},
};

}  // namespace

std::string_view to_string(RequestState state) noexcept {
  for (const auto& [value, name] : kStateNames) {
    if (value == state) return name;
  }
  return "pending";
}

std::optional<RequestState> parse_request_state(std::string_view text) noexcept {
  for (const auto& [value, name] : kStateNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool is_final(RequestState state) noexcept {
  return state != RequestState::pending && state != RequestState::active;
}

std::string_view to_string(ReviewDecision decision) noexcept {
  return decision == ReviewDecision::approve ? "approve" : "deny";
}

Result<ReviewOutcome> apply_review(const config::Policy& policy, const RequestSnapshot& request,
                                   std::string_view reviewer, ReviewDecision decision,
                                   std::int64_t now) {
  if (request.state != RequestState::pending) return RequestErrc::not_pending;
  if (now >= request.pending_deadline) return RequestErrc::pending_expired;
  if (auto allowed = check_reviewer(policy, request.role, request.requester, reviewer); !allowed) {
    return allowed.error();
  }
  const bool reviewed_before =
      std::any_of(request.reviews.begin(), request.reviews.end(),
                  [&](const ReviewRecord& review) { return review.reviewer == reviewer; });
  if (reviewed_before) return RequestErrc::already_reviewed;
  // The requester removed from the requesting groups since asking gets no grant: the broker
  // cancels the request on this answer.
  if (!still_entitled(policy, request.requester, request.role, request.breakglass)) {
    return RequestErrc::requester_not_entitled;
  }

  const config::Role* role = policy.find_role(request.role);  // check_reviewer found it
  // Count distinct reviewers; the requester's own review is never counted, even if stored.
  std::set<std::string_view> approvers;
  std::set<std::string_view> deniers;
  for (const auto& review : request.reviews) {
    if (!review_counts_at_decision(policy, request, review)) continue;
    (review.decision == ReviewDecision::approve ? approvers : deniers).insert(review.reviewer);
  }
  (decision == ReviewDecision::approve ? approvers : deniers).insert(reviewer);

  ReviewOutcome outcome;
  outcome.approvals = static_cast<int>(approvers.size());
  outcome.denials = static_cast<int>(deniers.size());
  if (outcome.denials >= std::max(1, role->denials_required)) {
    outcome.new_state = RequestState::denied;
  } else if (outcome.approvals >= role->approvals_required) {
    outcome.new_state = RequestState::active;
    outcome.grant_now = true;
  }
  return outcome;
}

bool review_counts_at_decision(const config::Policy& policy, const RequestSnapshot& request,
                               const ReviewRecord& review) {
  if (review.reviewer == request.requester) return false;
  if (policy.approvals_survive_group_removal && review.decision == ReviewDecision::approve) {
    return true;
  }
  return check_reviewer(policy, request.role, request.requester, review.reviewer).has_value();
}

Result<RequestState> apply_cancel(const RequestSnapshot& request, std::string_view actor) {
  if (actor != request.requester) return RequestErrc::not_requester;
  if (request.state != RequestState::pending) return RequestErrc::not_pending;
  return RequestState::cancelled;
}

bool should_time_out(const RequestSnapshot& request, std::int64_t now) noexcept {
  return request.state == RequestState::pending && now >= request.pending_deadline;
}

}  // namespace jit::approvals
