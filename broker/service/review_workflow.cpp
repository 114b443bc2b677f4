#include "broker/service/review_workflow.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/access_rules.hpp"
#include "approvals/approval_factor.hpp"
#include "approvals/grant_rules.hpp"
#include "broker/service/access_views.hpp"

#include <boost/json.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;
using approvals::RequestErrc;
using approvals::RequestState;

approvals::ApprovalDecision approval_decision(approvals::ReviewDecision decision) {
  return decision == approvals::ReviewDecision::approve ? approvals::ApprovalDecision::approve
                                                        : approvals::ApprovalDecision::deny;
}

// What the audit record of a review commits to (issue 14): the request digest, and a hash of it
// with the reason, the decision and the comment. With the assertion in `mfa` (whose challenge the
// digest and decision give) an auditor can re-check the whole review from the log alone.
void add_review_digests(json::object& details, const approvals::ApprovalSubject& subject,
                        const std::string& comment) {
  if (auto digest = approvals::request_digest(subject)) {
    details["request_digest"] = ca::hex_encode(*digest);
  }
  if (auto review = approvals::review_digest(subject, comment)) {
    details["review_sha256"] = ca::hex_encode(*review);
  }
}

}  // namespace

Result<approvals::ApprovalSubject> ReviewWorkflow::subject_if_allowed(
    const std::string& reviewer, const std::string& request_id,
    std::optional<approvals::ReviewDecision> decision, bool factor_is_code) {
  const auto now = context_.now_seconds();
  const auto& policy = context_.policy();
  return context_.store().read([&](db::Connection& db) -> Result<approvals::ApprovalSubject> {
    // Someone holding a request id who may not review it is told so (not_an_approver) rather
    // than not_found: ids are 128-bit random, so this reveals nothing that was not shared.
    auto row = find_request(db, request_id);
    if (!row) return make_error_code(BrokerErrc::not_found);
    if (!decision) {
      auto allowed = approvals::check_post_incident_review(policy, to_snapshot(*row, {}),
                                                           row->reviewed_at.has_value(), reviewer);
      if (!allowed) return allowed.error();
      return approval_subject_of(*row, approvals::ApprovalDecision::review);
    }
    auto outcome = approvals::apply_review(policy, to_snapshot(*row, find_reviews(db, row->id)),
                                           reviewer, *decision, now);
    if (!outcome) return outcome.error();
    // A code for a passkey-only role is refused before it is checked, so the answer does not say
    // whether the code was right; the write job checks the verified factor again.
    if (const auto* role = policy.find_role(row->role); role != nullptr && factor_is_code) {
      if (auto factor =
              approvals::check_review_factor(*role, *decision, approvals::MfaFactor::totp);
          !factor) {
        return factor.error();
      }
    }
    return approval_subject_of(*row, approval_decision(*decision));
  });
}

void ReviewWorkflow::refuse_early(const Caller& caller, std::string action,
                                  const std::string& request_id, boost::system::error_code why,
                                  AccessContext::Answer done) {
  // An unknown id is just not found; a refusal of a real request is recorded, as the write job
  // would record it.
  if (why == BrokerErrc::not_found) return done(why);
  json::object details{{"code", error_code_name(why)}};
  context_.store().write(
      [caller, action = std::move(action), object = request_object(request_id),
       details](WriteContext& tx) -> boost::system::error_code {
        tx.audit({caller.user, action, object, json::serialize(details)});
        return {};
      },
      [why, done = std::move(done)](boost::system::error_code ec) { done(ec ? ec : why); });
}

void ReviewWorkflow::review(const Caller& caller, const std::string& request_id,
                            approvals::ReviewDecision decision, std::string comment,
                            const json::value* mfa, AccessContext::Answer done) {
  if (auto text = approvals::check_text(comment, approvals::kMaxCommentLength); !text) {
    return done(text.error());
  }
  auto job = [this, reviewer = caller.user, request_id, decision, comment](
                 const Presence& presence, WriteContext& tx, AccessOutcome& outcome) {
    review_in(presence, tx, outcome, reviewer, request_id, decision, comment);
  };
  const bool factor_is_code =
      mfa != nullptr && mfa->is_object() && mfa->as_object().contains("totp");
  auto subject = subject_if_allowed(caller.user, request_id, decision, factor_is_code);
  if (!subject) {
    if (subject.error() == RequestErrc::requester_not_entitled) {
      // No factor is checked for a request that can no longer be granted: the job refuses the
      // review and cancels the request.
      return context_.commit(
          [job](WriteContext& tx, AccessOutcome& outcome) { job(Presence{}, tx, outcome); },
          std::move(done));
    }
    const auto action = decision == approvals::ReviewDecision::approve ? "request.approve.refused"
                                                                       : "request.deny.refused";
    return refuse_early(caller, action, request_id, subject.error(), std::move(done));
  }
  // Invariant 4: a factor in the call; a passkey's challenge is bound to this request's digest
  // and to this decision.
  context_.commit_with_presence(caller, mfa, approvals::SessionFactor::not_enough,
                                approvals::ChallengePurpose::approval, std::move(*subject),
                                std::move(job), std::move(done));
}

void ReviewWorkflow::post_incident_review(const Caller& caller, const std::string& request_id,
                                          std::string comment, const json::value* mfa,
                                          AccessContext::Answer done) {
  if (auto text = approvals::check_text(comment, approvals::kMaxCommentLength); !text) {
    return done(text.error());
  }
  auto subject = subject_if_allowed(caller.user, request_id, std::nullopt, false);
  if (!subject) {
    return refuse_early(caller, "breakglass.review.refused", request_id, subject.error(),
                        std::move(done));
  }
  context_.commit_with_presence(
      caller, mfa, approvals::SessionFactor::not_enough, approvals::ChallengePurpose::approval,
      std::move(*subject),
      [this, reviewer = caller.user, request_id, comment](
          const Presence& presence, WriteContext& tx, AccessOutcome& outcome) {
        post_incident_review_in(presence, tx, outcome, reviewer, request_id, comment);
      },
      std::move(done));
}

void ReviewWorkflow::review_in(const Presence& presence, WriteContext& tx, AccessOutcome& outcome,
                               const std::string& reviewer, const std::string& request_id,
                               approvals::ReviewDecision decision, const std::string& comment) {
  const auto now = context_.now_seconds();
  const auto& policy = context_.policy();
  auto row = find_request(tx.db(), request_id);
  if (!row) {
    outcome.answer = make_error_code(BrokerErrc::not_found);
    return;
  }
  const auto action = decision == approvals::ReviewDecision::approve
                          ? std::string("request.approve")
                          : std::string("request.deny");
  auto reviews = find_reviews(tx.db(), row->id);
  auto result =
      approvals::apply_review(policy, to_snapshot(*row, reviews), reviewer, decision, now);
  if (!result) {
    refuse(tx, outcome.answer, reviewer, action + ".refused", request_object(row->id),
           result.error());
    // A requester the policy no longer entitles never gets this grant: the request ends here.
    if (result.error() == RequestErrc::requester_not_entitled) {
      cancel_unentitled(tx, row->id, reviewer);
    }
    return;
  }
  // Every review counts only with a factor proved in this call (invariant 4). The one job run
  // without one is for a requester found unentitled before it, whom apply_review refuses; should
  // the requester have been entitled again meanwhile (an SSO login restoring a group), the review
  // is refused here rather than stored without a factor.
  if (!presence.evidence) {
    return refuse(tx, outcome.answer, reviewer, action + ".refused", request_object(row->id),
                  make_error_code(BrokerErrc::mfa_required));
  }
  // A passkey-only role refuses an approval proved with a code, before the code is spent.
  if (const auto* role = policy.find_role(row->role)) {
    if (auto factor = approvals::check_review_factor(*role, decision, presence.evidence->factor);
        !factor) {
      return refuse(tx, outcome.answer, reviewer, action + ".refused", request_object(row->id),
                    factor.error());
    }
  }
  // The factor is spent with the decision it authorises, and only if the decision is taken.
  if (auto spent = spend_presence(tx, presence)) {
    outcome.answer = spent;
    return;
  }
  // Invariant 4: the evidence of the factor is stored with the review.
  auto evidence = evidence_json(presence.evidence);
  if (!presence.sso_login.empty()) {
    // How the provider signed the reviewer in goes with the factor (docs/sso.md).
    auto with_login = json::parse(evidence).as_object();
    with_login["sso"] = json::parse(presence.sso_login);
    evidence = json::serialize(with_login);
  }
  insert_review(tx.db(), row->id, {reviewer, decision, comment, now, evidence});
  json::object details{{"decision", approvals::to_string(decision)},
                       {"approvals", result->approvals},
                       {"denials", result->denials},
                       {"mfa", json::parse(evidence)}};
  add_review_digests(details, approval_subject_of(*row, approval_decision(decision)), comment);
  tx.audit({reviewer, action, request_object(row->id), json::serialize(details)});
  if (result->new_state != RequestState::pending) {
    set_request_state(tx.db(), row->id, result->new_state);
    row->state = result->new_state;
  }
  if (result->grant_now) insert_grant_for(tx, outcome, *row, now);
  auto view = request_view(tx.db(), policy, *row);
  if (result->new_state == RequestState::active)
    outcome.events.emplace_back("request.approved", view);
  if (result->new_state == RequestState::denied)
    outcome.events.emplace_back("request.denied", view);
  outcome.answer = std::move(view);
}

void ReviewWorkflow::post_incident_review_in(const Presence& presence, WriteContext& tx,
                                             AccessOutcome& outcome, const std::string& reviewer,
                                             const std::string& request_id,
                                             const std::string& comment) {
  const auto now = context_.now_seconds();
  const auto& policy = context_.policy();
  auto row = find_request(tx.db(), request_id);
  if (!row) {
    outcome.answer = make_error_code(BrokerErrc::not_found);
    return;
  }
  auto allowed = approvals::check_post_incident_review(policy, to_snapshot(*row, {}),
                                                       row->reviewed_at.has_value(), reviewer);
  if (!allowed) {
    return refuse(tx, outcome.answer, reviewer, "breakglass.review.refused",
                  request_object(row->id), allowed.error());
  }
  if (auto spent = spend_presence(tx, presence)) {
    outcome.answer = spent;
    return;
  }
  mark_reviewed(tx.db(), row->id, reviewer, now);
  row->reviewed_at = now;
  row->reviewed_by = reviewer;
  json::object details{{"comment", comment},
                       {"mfa", json::parse(evidence_json(presence.evidence))}};
  add_review_digests(details, approval_subject_of(*row, approvals::ApprovalDecision::review),
                     comment);
  tx.audit({reviewer, "breakglass.review", request_object(row->id), json::serialize(details)});
  outcome.answer = request_view(tx.db(), policy, *row);
}

Result<ca::Bytes> ReviewWorkflow::approval_challenge(const Caller& caller,
                                                     const std::string& request_id,
                                                     approvals::ApprovalDecision decision) {
  auto row =
      context_.store().read([&](db::Connection& db) { return find_request(db, request_id); });
  if (!row ||
      !approvals::may_view_request(context_.policy(), row->role, row->requester, caller.user)) {
    return make_error_code(BrokerErrc::not_found);
  }
  auto digest = approvals::decision_digest(approval_subject_of(*row, decision));
  if (!digest) return digest.error();
  auto& identity = context_.identity();
  return identity.challenges().issue_for_request(*digest, caller.user, identity.now());
}

}  // namespace jit::broker
