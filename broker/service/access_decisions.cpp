// The write-job halves of the access workflow (AccessService): each re-reads the rows inside the
// transaction, asks approvals/ whether the step is allowed, and stores the step with its audit
// record. Also the reads, whose visibility rules live here too.
#include "approvals/grant_rules.hpp"
#include "approvals/mfa_evidence.hpp"
#include "broker/service/access_outcome.hpp"
#include "broker/service/access_views.hpp"

#include <boost/json.hpp>

#include <limits>

namespace jit::broker {
namespace {

namespace json = boost::json;
using approvals::check_reviewer;
using approvals::GrantState;
using approvals::may_view_request;
using approvals::RequestErrc;
using approvals::RequestState;

// A refusal is audited (who tried what, and why not) and commits nothing else.
void refuse(WriteContext& tx, Result<json::object>& answer, const std::string& actor,
            std::string action, const std::string& object, const boost::system::error_code& why) {
  json::object details{{"code", error_code_name(why)}};
  tx.audit({actor, std::move(action), object, json::serialize(details)});
  answer = why;
}

// Restricts a listing to what `viewer` may see, in SQL, so that the limit counts visible rows:
// auditors see everything, others their own and those of the roles they approve.
template <typename Filter>
void restrict_to_viewer(const config::Policy& policy, const std::string& viewer,
                        std::optional<std::string>& party, Filter& filter) {
  if (policy.in_group(viewer, config::kAuditorsGroup)) return;
  party = viewer;
  filter.roles.clear();
  for (const auto& [name, role] : policy.roles) {
    if (policy.in_any_group(viewer, role.approvers)) filter.roles.push_back(name);
  }
}

EvidenceDetail evidence_detail_for(const config::Policy& policy, const std::string& viewer) {
  return approvals::may_see_mfa_evidence(policy, viewer) ? EvidenceDetail::full
                                                         : EvidenceDetail::factor_only;
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

bool may_see_grant(const config::Policy& policy, const GrantRow& grant, const std::string& viewer) {
  return may_view_request(policy, grant.role, grant.user, viewer);
}

}  // namespace

void AccessService::create_grant(WriteContext& tx, Outcome& outcome, const RequestRow& request,
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

void AccessService::review_in(WriteContext& tx, Outcome& outcome, const std::string& reviewer,
                              const std::string& request_id, approvals::ReviewDecision decision,
                              const std::string& comment, const std::string& evidence) {
  const auto now = identity_.now_seconds();
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
      approvals::apply_review(policy(), to_snapshot(*row, reviews), reviewer, decision, now);
  if (!result) {
    refuse(tx, outcome.answer, reviewer, action + ".refused", request_object(row->id),
           result.error());
    // A requester the policy no longer entitles never gets this grant: the request ends here.
    if (result.error() == RequestErrc::requester_not_entitled) {
      cancel_unentitled(tx, row->id, reviewer);
    }
    return;
  }
  // Invariant 4: the evidence of the factor is stored with the review.
  insert_review(tx.db(), row->id, {reviewer, decision, comment, now, evidence});
  json::object details{{"decision", approvals::to_string(decision)},
                       {"approvals", result->approvals},
                       {"denials", result->denials},
                       {"mfa", json::parse(evidence)}};
  add_review_digests(details,
                     approval_subject_of(*row, decision == approvals::ReviewDecision::approve
                                                   ? approvals::ApprovalDecision::approve
                                                   : approvals::ApprovalDecision::deny),
                     comment);
  tx.audit({reviewer, action, request_object(row->id), json::serialize(details)});
  if (result->new_state != RequestState::pending) {
    set_request_state(tx.db(), row->id, result->new_state);
    row->state = result->new_state;
  }
  if (result->grant_now) create_grant(tx, outcome, *row, now);
  auto view = request_view(tx.db(), policy(), *row);
  if (result->new_state == RequestState::active)
    outcome.events.emplace_back("request.approved", view);
  if (result->new_state == RequestState::denied)
    outcome.events.emplace_back("request.denied", view);
  outcome.answer = std::move(view);
}

void AccessService::post_incident_review_in(WriteContext& tx, Outcome& outcome,
                                            const std::string& reviewer,
                                            const std::string& request_id,
                                            const std::string& comment,
                                            const std::string& evidence) {
  const auto now = identity_.now_seconds();
  auto row = find_request(tx.db(), request_id);
  if (!row) {
    outcome.answer = make_error_code(BrokerErrc::not_found);
    return;
  }
  auto allowed = approvals::check_post_incident_review(policy(), to_snapshot(*row, {}),
                                                       row->reviewed_at.has_value(), reviewer);
  if (!allowed) {
    return refuse(tx, outcome.answer, reviewer, "breakglass.review.refused",
                  request_object(row->id), allowed.error());
  }
  mark_reviewed(tx.db(), row->id, reviewer, now);
  row->reviewed_at = now;
  row->reviewed_by = reviewer;
  json::object details{{"comment", comment}, {"mfa", json::parse(evidence)}};
  add_review_digests(details, approval_subject_of(*row, approvals::ApprovalDecision::review),
                     comment);
  tx.audit({reviewer, "breakglass.review", request_object(row->id), json::serialize(details)});
  outcome.answer = request_view(tx.db(), policy(), *row);
}

void AccessService::revoke_in(WriteContext& tx, Outcome& outcome, const std::string& actor,
                              const GrantRow& grant, const std::string& reason,
                              const std::optional<approvals::MfaEvidence>& evidence) {
  const auto now = identity_.now_seconds();
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

bool AccessService::may_revoke_now(const std::string& actor, const std::string& grant_id) {
  return identity_.store().read([&](SQLite::Database& db) {
    auto grant = find_grant(db, grant_id);
    return grant && may_see_grant(policy(), *grant, actor) &&
           approvals::check_revoke(policy(), to_snapshot(*grant), actor).has_value();
  });
}

void AccessService::revoke(const Caller& caller, const std::string& grant_id, std::string reason,
                           const json::value* mfa, Answer done) {
  if (auto text = approvals::check_text(reason, approvals::kMaxReasonLength); !text) {
    return done(text.error());
  }
  if (reason.empty()) return done(make_error_code(RequestErrc::reason_required));
  auto job = [this, caller, grant_id, reason](std::optional<approvals::MfaEvidence> evidence) {
    return [this, caller, grant_id, reason, evidence](WriteContext& tx, Outcome& outcome) {
      auto grant = find_grant(tx.db(), grant_id);
      if (!grant || !may_see_grant(policy(), *grant, caller.user)) {
        outcome.answer = make_error_code(BrokerErrc::not_found);
        return;
      }
      if (auto allowed = approvals::check_revoke(policy(), to_snapshot(*grant), caller.user);
          !allowed) {
        return refuse(tx, outcome.answer, caller.user, "grant.revoke.refused",
                      grant_object(grant->id), allowed.error());
      }
      revoke_in(tx, outcome, caller.user, *grant, reason, evidence);
    };
  };
  const bool absent = mfa == nullptr || mfa->is_null();
  // Someone who may not revoke this grant is answered (and audited) by the job itself, before a
  // factor is spent; so is a bearer caller who gave none.
  if ((absent && !caller.via_cookie) || !may_revoke_now(caller.user, grant_id)) {
    return commit(job(std::nullopt), std::move(done));
  }
  with_presence(
      caller, mfa, false, MfaPurpose::presence, std::nullopt,
      [this, job, done](std::optional<approvals::MfaEvidence> evidence) {
        commit(job(std::move(evidence)), done);
      },
      done);
}

Result<std::size_t> AccessService::revoke_all_of(const std::string& user, const std::string& actor,
                                                 const std::string& reason) {
  auto outcome = std::make_shared<Outcome>();
  std::size_t ended = 0;
  GrantFilter active_of_user;
  active_of_user.user = user;
  active_of_user.state = GrantState::active;
  active_of_user.limit = 100000;
  auto ec = identity_.store().write_sync([&](WriteContext& tx) -> boost::system::error_code {
    for (const auto& grant : broker::list_grants(tx.db(), active_of_user)) {
      revoke_in(tx, *outcome, actor, grant, reason);
      ++ended;
    }
    // Nor may a pending request of theirs become a grant later.
    for (const auto& request :
         broker::list_requests(tx.db(), {RequestState::pending, false, 100000, user, {}, {}})) {
      set_request_state(tx.db(), request.id, RequestState::cancelled);
      tx.audit({actor, "request.cancel", request_object(request.id),
                json::serialize(json::object{{"reason", reason}})});
    }
    keep_events(tx, *outcome);
    return {};
  });
  if (ec) return ec;
  fire(*outcome);
  if (outcome->revocations_changed && hooks_.revocations_changed) {
    hooks_.revocations_changed([](json::object) {});
  }
  return ended;
}

void AccessService::cancel_unentitled(WriteContext& tx, const std::string& request_id,
                                      const std::string& actor) {
  set_request_state(tx.db(), request_id, RequestState::cancelled);
  tx.audit({actor, "request.cancel", request_object(request_id),
            json::serialize(json::object{{"reason", kNotEntitledReason}})});
}

Result<std::size_t> AccessService::end_unentitled() {
  auto outcome = std::make_shared<Outcome>();
  std::size_t ended = 0;
  GrantFilter active;
  active.state = GrantState::active;
  active.limit = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  RequestFilter pending{RequestState::pending,
                        false,
                        static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()),
                        std::nullopt,
                        {},
                        std::nullopt};
  auto ec = identity_.store().write_sync([&](WriteContext& tx) -> boost::system::error_code {
    for (const auto& grant : broker::list_grants(tx.db(), active)) {
      if (approvals::still_entitled(policy(), grant.user, grant.role, grant.breakglass)) continue;
      revoke_in(tx, *outcome, "system", grant, std::string(kNotEntitledReason));
      ++ended;
    }
    for (const auto& request : broker::list_requests(tx.db(), pending)) {
      if (approvals::still_entitled(policy(), request.requester, request.role, false)) continue;
      cancel_unentitled(tx, request.id, "system");
      ++ended;
    }
    return {};
  });
  if (ec) return ec;
  fire(*outcome);
  return ended;
}

Result<std::size_t> AccessService::sweep(std::int64_t now) {
  Outcome outcome;
  std::size_t ended = 0;
  auto ec = identity_.store().write_sync([&](WriteContext& tx) -> boost::system::error_code {
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
      request.state = RequestState::timed_out;
      tx.audit({"system", "request.timeout", request_object(request.id), "{}"});
      ++ended;
    }
    keep_events(tx, outcome);
    return {};
  });
  if (ec) return ec;
  fire(outcome);
  return ended;
}

std::optional<std::int64_t> AccessService::next_deadline() {
  return identity_.store().read([](SQLite::Database& db) { return broker::next_deadline(db); });
}

std::int64_t AccessService::overdue_reviews(std::int64_t now) {
  return identity_.store().read(
      [now](SQLite::Database& db) { return count_overdue_reviews(db, now); });
}

Result<json::object> AccessService::get_request(const Caller& caller, const std::string& id) {
  return identity_.store().read([&](SQLite::Database& db) -> Result<json::object> {
    auto row = find_request(db, id);
    if (!row || !may_view_request(policy(), row->role, row->requester, caller.user)) {
      return make_error_code(BrokerErrc::not_found);
    }
    return request_view(db, policy(), *row, evidence_detail_for(policy(), caller.user));
  });
}

ListPage AccessService::list_requests(const Caller& caller, RequestFilter filter) {
  restrict_to_viewer(policy(), caller.user, filter.requester, filter);
  // One row more than the page: whether a next page exists, without counting.
  const std::size_t page_size = filter.limit;
  filter.limit = page_size + 1;
  return identity_.store().read([&](SQLite::Database& db) {
    ListPage page;
    auto rows = broker::list_requests(db, filter);
    if (rows.size() > page_size) {
      rows.resize(page_size);
      page.next = PageCursor{rows.back().created_at, rows.back().id};
    }
    for (const auto& row : rows) {
      if (may_view_request(policy(), row.role, row.requester, caller.user)) {
        page.items.push_back(
            request_view(db, policy(), row, evidence_detail_for(policy(), caller.user)));
      }
    }
    return page;
  });
}

Result<json::object> AccessService::get_grant(const Caller& caller, const std::string& id) {
  return identity_.store().read([&](SQLite::Database& db) -> Result<json::object> {
    auto grant = find_grant(db, id);
    if (!grant || !may_see_grant(policy(), *grant, caller.user)) {
      return make_error_code(BrokerErrc::not_found);
    }
    auto request = find_request(db, grant->request_id);
    return grant_view(*grant, request && request->breakglass);
  });
}

ListPage AccessService::list_grants(const Caller& caller, GrantFilter filter) {
  restrict_to_viewer(policy(), caller.user, filter.user, filter);
  const std::size_t page_size = filter.limit;
  filter.limit = page_size + 1;
  return identity_.store().read([&](SQLite::Database& db) {
    ListPage page;
    auto grants = broker::list_grants(db, filter);
    if (grants.size() > page_size) {
      grants.resize(page_size);
      page.next = PageCursor{grants.back().not_before, grants.back().id};
    }
    for (const auto& grant : grants) {
      if (!may_see_grant(policy(), grant, caller.user)) continue;
      auto request = find_request(db, grant.request_id);
      page.items.push_back(grant_view(grant, request && request->breakglass));
    }
    return page;
  });
}

Result<json::array> AccessService::requester_history(const Caller& caller,
                                                     const std::string& request_id,
                                                     std::size_t limit) {
  return identity_.store().read([&](SQLite::Database& db) -> Result<json::array> {
    auto row = find_request(db, request_id);
    if (!row || !may_view_request(policy(), row->role, row->requester, caller.user)) {
      return make_error_code(BrokerErrc::not_found);
    }
    // Whoever may view the request may see every grant of its requester and role (the same rule).
    GrantFilter filter;
    filter.limit = limit;
    filter.of_user = row->requester;
    filter.of_role = row->role;
    filter.not_request = row->id;
    json::array out;
    for (const auto& grant : broker::list_grants(db, filter)) {
      auto request = find_request(db, grant.request_id);
      out.push_back(grant_view(grant, request && request->breakglass));
    }
    return out;
  });
}

Result<void> AccessService::check_review_now(const std::string& reviewer,
                                             const std::string& request_id,
                                             std::optional<approvals::ReviewDecision> decision) {
  const auto now = identity_.now_seconds();
  return identity_.store().read([&](SQLite::Database& db) -> Result<void> {
    // Someone holding a request id who may not review it is told so (not_an_approver) rather
    // than not_found: ids are 128-bit random, so this reveals nothing that was not shared.
    auto row = find_request(db, request_id);
    if (!row) return make_error_code(BrokerErrc::not_found);
    if (!decision) {
      return approvals::check_post_incident_review(policy(), to_snapshot(*row, {}),
                                                   row->reviewed_at.has_value(), reviewer);
    }
    auto outcome = approvals::apply_review(policy(), to_snapshot(*row, find_reviews(db, row->id)),
                                           reviewer, *decision, now);
    if (!outcome) return outcome.error();
    return {};
  });
}

Result<ca::Bytes> AccessService::approval_challenge(const Caller& caller,
                                                    const std::string& request_id,
                                                    approvals::ApprovalDecision decision) {
  auto subject = approval_subject(request_id, decision);
  if (!subject || !may_view_request(policy(), subject->role, subject->requester, caller.user)) {
    return make_error_code(BrokerErrc::not_found);
  }
  auto digest = approvals::decision_digest(*subject);
  if (!digest) return digest.error();
  return identity_.challenges().issue_for_request(*digest, caller.user, identity_.now());
}

}  // namespace jit::broker
