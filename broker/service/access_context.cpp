#include "broker/service/access_context.hpp"

#include "approvals/access_rules.hpp"

#include "broker/store/event_outbox.hpp"

#include <boost/json.hpp>

namespace jit::broker {

namespace json = boost::json;

std::string request_object(const std::string& id) { return "request/" + id; }
std::string grant_object(const std::string& id) { return "grant/" + id; }

bool may_see_grant(const config::Policy& policy, const GrantRow& grant, const std::string& viewer) {
  return approvals::may_view_request(policy, grant.role, grant.user, viewer);
}

void AccessContext::commit(Job job, Answer done) {
  auto outcome = std::make_shared<AccessOutcome>();
  store_.write(
      [job = std::move(job), outcome](WriteContext& tx) -> boost::system::error_code {
        job(tx, *outcome);
        keep_events(tx, *outcome);
        return {};  // refusals still commit their audit record
      },
      [this, outcome, done = std::move(done)](boost::system::error_code ec) {
        if (ec) return done(ec);
        fire(*outcome);
        if (!outcome->revocations_changed || !hooks_.revocations_changed) {
          return done(std::move(outcome->answer));
        }
        // The answer waits for the served lists to include the revocation (a KRL fetched right
        // after a 200 lists it) and names their numbers.
        hooks_.revocations_changed([outcome, done](json::object lists) {
          if (outcome->answer && !lists.empty()) {
            outcome->answer->insert_or_assign("revocation_lists", std::move(lists));
          }
          done(std::move(outcome->answer));
        });
      });
}

void AccessContext::commit_with_presence(const Caller& caller, const json::value* mfa,
                                         approvals::SessionFactor rule,
                                         approvals::ChallengePurpose purpose,
                                         std::optional<approvals::ApprovalSubject> subject,
                                         PresentJob job, Answer done) {
  check_presence(
      identity_, caller, mfa, rule, purpose, std::move(subject),
      [this, job = std::move(job), done](Result<Presence> presence) {
        if (!presence) return done(presence.error());
        commit([job, presence = std::move(*presence)](
                   WriteContext& tx, AccessOutcome& outcome) { job(presence, tx, outcome); },
               done);
      });
}

Result<std::size_t> AccessContext::commit_sync(
    std::function<std::size_t(WriteContext&, AccessOutcome&)> job, bool publish_revocations) {
  AccessOutcome outcome;
  std::size_t count = 0;
  auto ec = store_.write_sync([&](WriteContext& tx) -> boost::system::error_code {
    count = job(tx, outcome);
    keep_events(tx, outcome);
    return {};
  });
  if (ec) return ec;
  fire(outcome);
  if (publish_revocations && outcome.revocations_changed && hooks_.revocations_changed) {
    hooks_.revocations_changed([](json::object) {});
  }
  return count;
}

void AccessContext::keep_events(WriteContext& tx, AccessOutcome& outcome) {
  for (const auto& [event, data] : outcome.events) {
    enqueue_event(tx.db(), event, data, tx.now_seconds());
  }
  outcome.events.clear();
}

void AccessContext::fire(const AccessOutcome& outcome) {
  if (outcome.deadlines_changed && hooks_.deadlines_changed) hooks_.deadlines_changed();
}

void refuse(WriteContext& tx, Result<json::object>& answer, const std::string& actor,
            std::string action, const std::string& object, const boost::system::error_code& why) {
  json::object details{{"code", error_code_name(why)}};
  tx.audit({actor, std::move(action), object, json::serialize(details)});
  answer = why;
}

void cancel_unentitled(WriteContext& tx, const std::string& request_id, const std::string& actor) {
  set_request_state(tx.db(), request_id, approvals::RequestState::cancelled);
  tx.audit({actor, "request.cancel", request_object(request_id),
            json::serialize(json::object{{"reason", kNotEntitledReason}})});
}

void insert_grant_for(WriteContext& tx, AccessOutcome& outcome, const RequestRow& request,
                      std::int64_t now) {
  GrantRow grant;
  grant.id = new_grant_id();
  grant.request_id = request.id;
  grant.user = request.requester;
  grant.role = request.role;
  grant.not_before = now;
  grant.not_after = now + request.duration_s;
  insert_grant(tx.db(), grant);
  json::object details{{"request", request.id},        {"user", grant.user},
                       {"role", grant.role},           {"not_before", grant.not_before},
                       {"not_after", grant.not_after}, {"breakglass", request.breakglass}};
  tx.audit({"system", "grant.create", grant_object(grant.id), json::serialize(details)});
  outcome.deadlines_changed = true;
}

std::string evidence_json(const std::optional<approvals::MfaEvidence>& evidence) {
  if (!evidence) return "{}";
  return json::serialize(approvals::mfa_evidence_to_json(*evidence));
}

approvals::ApprovalSubject approval_subject_of(const RequestRow& row,
                                               approvals::ApprovalDecision decision) {
  return approvals::ApprovalSubject{
      row.id,     row.requester, row.role, static_cast<std::uint64_t>(row.duration_s),
      row.reason, row.ticket,    decision};
}

}  // namespace jit::broker
