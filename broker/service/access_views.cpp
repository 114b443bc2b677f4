#include "broker/service/access_views.hpp"
#include "broker/store/db/db_connection.hpp"

#include "config/duration.hpp"

#include <boost/json.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;
using approvals::check_reviewer;
using approvals::may_view_request;

template <typename T>
json::value optional_value(const std::optional<T>& value) {
  if (!value) return nullptr;
  return json::value_from(*value);
}

// The stored evidence, or just its factor kind; null when it does not parse.
json::value evidence_view(const std::string& stored, EvidenceDetail detail) {
  boost::system::error_code ec;
  json::value evidence = json::parse(stored, ec);
  if (ec) return nullptr;
  if (detail == EvidenceDetail::full) return evidence;
  const auto* factor = evidence.is_object() ? evidence.as_object().if_contains("factor") : nullptr;
  if (factor == nullptr || !factor->is_string()) return nullptr;
  return json::object{{"factor", *factor}};
}

}  // namespace

json::object grant_view(const GrantRow& grant, bool breakglass) {
  return json::object{{"id", grant.id},
                      {"request", grant.request_id},
                      {"user", grant.user},
                      {"role", grant.role},
                      {"not_before", grant.not_before},
                      {"not_after", grant.not_after},
                      {"state", approvals::to_string(grant.state)},
                      {"breakglass", breakglass},
                      {"ended_at", optional_value(grant.ended_at)},
                      {"end_reason", optional_value(grant.end_reason)}};
}

json::object request_view(db::Connection& db, const config::Policy& policy,
                          const RequestRow& request, EvidenceDetail detail) {
  const auto reviews = find_reviews(db, request.id);
  int approvals = 0;
  int denials = 0;
  json::array review_list;
  for (const auto& review : reviews) {
    // Counted as the state machine counts: reviewers the policy still allows.
    if (check_reviewer(policy, request.role, request.requester, review.reviewer)) {
      (review.decision == approvals::ReviewDecision::approve ? approvals : denials) += 1;
    }
    review_list.push_back(json::object{{"reviewer", review.reviewer},
                                       {"decision", approvals::to_string(review.decision)},
                                       {"comment", review.comment},
                                       {"created_at", review.created_at},
                                       {"mfa", evidence_view(review.mfa_evidence, detail)}});
  }
  const config::Role* role = policy.find_role(request.role);
  json::value grant = nullptr;
  if (auto row = find_grant_for_request(db, request.id))
    grant = grant_view(*row, request.breakglass);
  return json::object{
      {"id", request.id},
      {"requester", request.requester},
      {"role", request.role},
      {"reason", request.reason},
      {"ticket", request.ticket},
      {"duration", config::format_duration(std::chrono::seconds(request.duration_s))},
      {"duration_seconds", request.duration_s},
      {"state", approvals::to_string(request.state)},
      {"created_at", request.created_at},
      {"pending_deadline", request.pending_deadline},
      {"breakglass", request.breakglass},
      {"incident", request.incident},
      {"approvals_required", role != nullptr ? role->approvals_required : 0},
      {"approver_mfa", role != nullptr && role->approve_with_passkey ? "passkey" : "any"},
      {"approvals", approvals},
      {"denials", denials},
      {"review_due_at", optional_value(request.review_due_at)},
      {"reviewed_at", optional_value(request.reviewed_at)},
      {"reviewed_by", optional_value(request.reviewed_by)},
      {"reviews", std::move(review_list)},
      {"grant", std::move(grant)}};
}

}  // namespace jit::broker
