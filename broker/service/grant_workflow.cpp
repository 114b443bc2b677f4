#include "broker/service/grant_workflow.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/access_rules.hpp"
#include "approvals/grant_rules.hpp"
#include "approvals/mfa_evidence.hpp"
#include "approvals/request_state_machine.hpp"
#include "broker/service/access_views.hpp"

#include <boost/json.hpp>

#include <limits>

namespace jit::broker {
namespace {

namespace json = boost::json;
using approvals::GrantState;
using approvals::RequestState;

}  // namespace

void GrantWorkflow::revoke_in(WriteContext& tx, AccessOutcome& outcome, const std::string& actor,
                              const GrantRow& grant, const std::string& reason,
                              const std::optional<approvals::MfaEvidence>& evidence) {
  const auto now = context_.now_seconds();
  const int certificates = end_grant(tx.db(), grant.id, GrantState::revoked, now, reason);
  json::object details{{"reason", reason}, {"certificates_revoked", certificates}};
  if (evidence) details["mfa"] = approvals::mfa_evidence_to_json(*evidence);
  tx.audit({actor, "grant.revoke", grant_object(grant.id), json::serialize(details)});
  auto stored = find_grant(tx.db(), grant.id);
  auto request = find_request(tx.db(), grant.request_id);
  auto view = grant_view(*stored, request && request->breakglass);
  outcome.events.emplace_back("grant.revoked", view);
  outcome.revocations_changed = outcome.revocations_changed || certificates > 0;
  outcome.answer = std::move(view);
}

bool GrantWorkflow::may_revoke_now(const std::string& actor, const std::string& grant_id) {
  const auto& policy = context_.policy();
  return context_.store().read([&](db::Connection& db) {
    auto grant = find_grant(db, grant_id);
    return grant && may_see_grant(policy, *grant, actor) &&
           approvals::check_revoke(policy, to_snapshot(*grant), actor).has_value();
  });
}

void GrantWorkflow::revoke(const Caller& caller, const std::string& grant_id, std::string reason,
                           const json::value* mfa, AccessContext::Answer done) {
  if (auto text = approvals::check_text(reason, approvals::kMaxReasonLength); !text) {
    return done(text.error());
  }
  if (reason.empty()) return done(make_error_code(approvals::RequestErrc::reason_required));
  auto job = [this, caller, grant_id, reason](const Presence& presence, WriteContext& tx,
                                              AccessOutcome& outcome) {
    const auto& policy = context_.policy();
    auto grant = find_grant(tx.db(), grant_id);
    if (!grant || !may_see_grant(policy, *grant, caller.user)) {
      outcome.answer = make_error_code(BrokerErrc::not_found);
      return;
    }
    if (auto allowed = approvals::check_revoke(policy, to_snapshot(*grant), caller.user);
        !allowed) {
      return refuse(tx, outcome.answer, caller.user, "grant.revoke.refused",
                    grant_object(grant->id), allowed.error());
    }
    // The factor is spent with the revocation it authorises, and only if it goes ahead.
    if (auto spent = spend_presence(tx, presence)) {
      outcome.answer = spent;
      return;
    }
    revoke_in(tx, outcome, caller.user, *grant, reason, presence.evidence);
  };
  const bool absent = mfa == nullptr || mfa->is_null();
  // Someone who may not revoke this grant is answered (and audited) by the job itself, before a
  // factor is checked; so is a bearer caller who gave none.
  if ((absent && !caller.via_cookie) || !may_revoke_now(caller.user, grant_id)) {
    return context_.commit(
        [job](WriteContext& tx, AccessOutcome& outcome) { job(Presence{}, tx, outcome); },
        std::move(done));
  }
  context_.commit_with_presence(caller, mfa, approvals::SessionFactor::not_enough,
                                approvals::ChallengePurpose::presence, std::nullopt, std::move(job),
                                std::move(done));
}

Result<std::size_t> GrantWorkflow::revoke_all_of(const std::string& user, const std::string& actor,
                                                 const std::string& reason) {
  GrantFilter active_of_user;
  active_of_user.user = user;
  active_of_user.state = GrantState::active;
  active_of_user.limit = 100000;
  return context_.commit_sync(
      [&](WriteContext& tx, AccessOutcome& outcome) {
        std::size_t ended = 0;
        for (const auto& grant : broker::list_grants(tx.db(), active_of_user)) {
          revoke_in(tx, outcome, actor, grant, reason);
          ++ended;
        }
        // Nor may a pending request of theirs become a grant later.
        for (const auto& request :
             broker::list_requests(tx.db(), {RequestState::pending, false, 100000, user, {}, {}})) {
          set_request_state(tx.db(), request.id, RequestState::cancelled);
          tx.audit({actor, "request.cancel", request_object(request.id),
                    json::serialize(json::object{{"reason", reason}})});
        }
        return ended;
      },
      true);
}

Result<std::size_t> GrantWorkflow::end_unentitled() {
  GrantFilter active;
  active.state = GrantState::active;
  active.limit = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  RequestFilter pending{RequestState::pending,
                        false,
                        static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()),
                        std::nullopt,
                        {},
                        std::nullopt};
  const auto& policy = context_.policy();
  // At start-up the revocation publisher builds its first lists after this pass: nothing to poke.
  return context_.commit_sync(
      [&](WriteContext& tx, AccessOutcome& outcome) {
        std::size_t ended = 0;
        for (const auto& grant : broker::list_grants(tx.db(), active)) {
          if (approvals::still_entitled(policy, grant.user, grant.role, grant.breakglass)) continue;
          revoke_in(tx, outcome, "system", grant, std::string(kNotEntitledReason));
          ++ended;
        }
        for (const auto& request : broker::list_requests(tx.db(), pending)) {
          if (approvals::still_entitled(policy, request.requester, request.role, false)) continue;
          cancel_unentitled(tx, request.id, "system");
          ++ended;
        }
        return ended;
      },
      false);
}

Result<std::size_t> GrantWorkflow::sweep(std::int64_t now) {
  return context_.commit_sync(
      [&](WriteContext& tx, AccessOutcome& outcome) {
        std::size_t ended = 0;
        for (const auto& grant : grants_ended_by(tx.db(), now)) {
          end_grant(tx.db(), grant.id, GrantState::expired, now, "grant ended");
          json::object details{{"not_after", grant.not_after}};
          tx.audit({"system", "grant.expire", grant_object(grant.id), json::serialize(details)});
          auto stored = find_grant(tx.db(), grant.id);
          auto request = find_request(tx.db(), grant.request_id);
          outcome.events.emplace_back("grant.expired",
                                      grant_view(*stored, request && request->breakglass));
          ++ended;
        }
        for (auto& request : requests_timed_out_by(tx.db(), now)) {
          set_request_state(tx.db(), request.id, RequestState::timed_out);
          tx.audit({"system", "request.timeout", request_object(request.id), "{}"});
          ++ended;
        }
        return ended;
      },
      false);
}

std::optional<std::int64_t> GrantWorkflow::next_deadline() {
  return context_.store().read([](db::Connection& db) { return broker::next_deadline(db); });
}

}  // namespace jit::broker
