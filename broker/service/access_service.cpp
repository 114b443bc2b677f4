#include "broker/service/access_service.hpp"

#include "approvals/breakglass_rules.hpp"
#include "approvals/grant_rules.hpp"
#include "approvals/mfa_evidence.hpp"
#include "broker/service/access_outcome.hpp"
#include "broker/service/access_views.hpp"
#include "broker/store/event_outbox.hpp"
#include "config/duration.hpp"

#include <boost/json.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;
using approvals::check_reviewer;
using approvals::may_view_request;
using approvals::RequestErrc;
using approvals::RequestState;

Result<std::optional<std::chrono::seconds>> parse_optional_duration(
    const std::optional<std::string>& text) {
  if (!text) return std::optional<std::chrono::seconds>{};
  auto parsed = config::parse_duration(*text);
  if (!parsed) return make_error_code(RequestErrc::invalid_duration);
  return std::optional<std::chrono::seconds>{*parsed};
}

std::string evidence_json(const std::optional<approvals::MfaEvidence>& evidence) {
  if (!evidence) return "{}";
  return json::serialize(approvals::mfa_evidence_to_json(*evidence));
}

// The fields every new request has; the caller sets what is particular to its kind.
RequestRow new_request_row(const std::string& requester, const std::string& role,
                           const std::string& reason, std::chrono::seconds length,
                           std::int64_t now) {
  RequestRow row;
  row.id = new_request_id();
  row.requester = requester;
  row.role = role;
  row.reason = reason;
  row.duration_s = length.count();
  row.created_at = now;
  return row;
}

}  // namespace

std::string request_object(const std::string& id) { return "request/" + id; }
std::string grant_object(const std::string& id) { return "grant/" + id; }

AccessService::AccessService(IdentityService& identity, config::Limits limits, AccessHooks hooks)
    : identity_(identity), limits_(limits), hooks_(std::move(hooks)) {}

void AccessService::commit(Job job, Answer done) {
  auto outcome = std::make_shared<Outcome>();
  identity_.store().write(
      [this, job = std::move(job), outcome](WriteContext& tx) -> boost::system::error_code {
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

void AccessService::keep_events(WriteContext& tx, Outcome& outcome) {
  if (!hooks_.events_to_outbox) return;
  for (const auto& [event, data] : outcome.events) {
    enqueue_event(tx.db(), event, data, tx.now_seconds());
  }
  outcome.events.clear();
}

void AccessService::fire(const Outcome& outcome) {
  for (const auto& [event, data] : outcome.events) {
    if (hooks_.notify) hooks_.notify(event, data);
  }
  if (outcome.deadlines_changed && hooks_.deadlines_changed) hooks_.deadlines_changed();
}

void AccessService::with_presence(const Caller& caller, const json::value* mfa, bool allow_fresh,
                                  MfaPurpose purpose,
                                  std::optional<approvals::ApprovalSubject> subject,
                                  std::function<void(std::optional<approvals::MfaEvidence>)> then,
                                  Answer done) {
  const bool absent = mfa == nullptr || mfa->is_null();
  if (absent) {
    const bool fresh = identity_.now_seconds() - caller.session.last_mfa_at <=
                       identity_.settings().mfa_freshness.count();
    if (!allow_fresh || !fresh) return done(make_error_code(BrokerErrc::mfa_required));
  }
  identity_.prove_presence(caller, mfa, allow_fresh, purpose, std::move(subject),
                           [then = std::move(then), done](Result<Presence> presence) {
                             if (!presence) return done(presence.error());
                             then(std::move(presence->evidence));
                           });
}

approvals::ApprovalSubject approval_subject_of(const RequestRow& row,
                                               approvals::ApprovalDecision decision) {
  return approvals::ApprovalSubject{
      row.id,     row.requester, row.role, static_cast<std::uint64_t>(row.duration_s),
      row.reason, row.ticket,    decision};
}

std::optional<approvals::ApprovalSubject> AccessService::approval_subject(
    const std::string& request_id, approvals::ApprovalDecision decision) {
  auto row =
      identity_.store().read([&](SQLite::Database& db) { return find_request(db, request_id); });
  if (!row) return std::nullopt;
  return approval_subject_of(*row, decision);
}

void AccessService::refuse_early(const Caller& caller, std::string action,
                                 const std::string& request_id, boost::system::error_code why,
                                 Answer done) {
  // An unknown id is just not found; a refusal of a real request is recorded, as the write job
  // would record it.
  if (why == BrokerErrc::not_found) return done(why);
  json::object details{{"code", error_code_name(why)}};
  identity_.store().write(
      [caller, action = std::move(action), object = request_object(request_id),
       details](WriteContext& tx) -> boost::system::error_code {
        tx.audit({caller.user, action, object, json::serialize(details)});
        return {};
      },
      [why, done = std::move(done)](boost::system::error_code ec) { done(ec ? ec : why); });
}

void AccessService::create_request(const Caller& caller, NewRequest ask, const json::value* mfa,
                                   Answer done) {
  auto duration = parse_optional_duration(ask.duration);
  if (!duration) return done(duration.error());
  approvals::AccessAsk access{caller.user, ask.role, ask.reason, ask.ticket, *duration};
  auto approved = approvals::check_access_request(policy(), access);
  if (!approved) return done(approved.error());
  const auto length = approved->duration;
  const bool auto_approve = approved->role->auto_approve;
  // Checked before a factor is spent, and again in the write job, where it counts.
  if (!auto_approve) {
    auto room = identity_.store().read(
        [&](SQLite::Database& db) { return check_pending_room(db, caller.user, access.role); });
    if (!room) return done(room.error());
  }
  with_presence(
      caller, mfa, true, MfaPurpose::presence, std::nullopt,
      [this, caller, access, length, auto_approve,
       done](std::optional<approvals::MfaEvidence> evidence) {
        commit(
            [this, caller, access, length, auto_approve, evidence](WriteContext& tx,
                                                                   Outcome& outcome) {
              const auto now = identity_.now_seconds();
              if (!auto_approve) {
                if (auto room = check_pending_room(tx.db(), caller.user, access.role); !room) {
                  outcome.answer = room.error();
                  return;
                }
              }
              auto row = new_request_row(caller.user, access.role, access.reason, length, now);
              row.ticket = access.ticket;
              row.state = auto_approve ? RequestState::active : RequestState::pending;
              row.pending_deadline = now + limits_.pending_timeout.count();
              insert_request(tx.db(), row);
              json::object details{{"role", row.role},
                                   {"duration_seconds", row.duration_s},
                                   {"ticket", row.ticket},
                                   {"mfa", json::parse(evidence_json(evidence))}};
              tx.audit({caller.user, "request.create", request_object(row.id),
                        json::serialize(details)});
              if (auto_approve) create_grant(tx, outcome, row, now);
              outcome.deadlines_changed = true;
              auto view = request_view(tx.db(), policy(), row);
              outcome.events.emplace_back("request.created", view);
              if (auto_approve) outcome.events.emplace_back("request.approved", view);
              outcome.answer = std::move(view);
            },
            done);
      },
      done);
}

Result<approvals::BreakGlassVerdict> AccessService::breakglass_verdict(
    SQLite::Database& db, const std::string& responder, const std::string& role,
    const config::BreakGlassSettings& settings) {
  const auto now = identity_.now_seconds();
  const auto history =
      breakglass_history(db, responder, now - approvals::kBreakGlassRepeatWindow.count(), now);
  return approvals::check_breakglass_history(settings, role, history, now);
}

Result<void> AccessService::check_pending_room(SQLite::Database& db, const std::string& user,
                                               const std::string& role) {
  const auto pending = count_pending(db, user, role, identity_.now_seconds());
  auto room = approvals::check_pending_room(
      pending, {limits_.max_pending_per_user_role, limits_.max_pending_per_user});
  if (!room) return room.error();
  return {};
}

void AccessService::breakglass(const Caller& caller, NewBreakGlass ask, const json::value* mfa,
                               Answer done) {
  auto duration = parse_optional_duration(ask.duration);
  approvals::BreakGlassAsk access{caller.user, ask.role, ask.incident, ask.reason,
                                  duration ? *duration : std::nullopt};
  auto approved = duration ? approvals::check_breakglass_request(policy(), access)
                           : Result<approvals::ApprovedAsk>(duration.error());
  // A refused break-glass attempt is worth a record: who tried, for which role, and why not;
  // a duration that does not parse is refused like one above the maximum.
  const auto refuse_breakglass = [this, caller, role = access.role,
                                  done](boost::system::error_code why) {
    json::object details{{"role", approvals::utf8_prefix(role, 64)},
                         {"code", error_code_name(why)}};
    identity_.store().write(
        [caller, details](WriteContext& tx) -> boost::system::error_code {
          tx.audit(
              {caller.user, "breakglass.refused", "user/" + caller.user, json::serialize(details)});
          return {};
        },
        [why, done](boost::system::error_code ec) { done(ec ? ec : why); });
  };
  if (!approved) return refuse_breakglass(approved.error());
  const auto length = approved->duration;
  const auto settings = *approved->role->breakglass;
  // Overlapping grants and an overdue review are refused before a factor is spent; the write job
  // checks again on the rows as they are then.
  auto verdict = identity_.store().read([&](SQLite::Database& db) {
    return breakglass_verdict(db, caller.user, access.role, settings);
  });
  if (!verdict) return refuse_breakglass(verdict.error());
  // Invariant 8: a factor in the call, never a fresh session alone.
  with_presence(
      caller, mfa, false, MfaPurpose::presence, std::nullopt,
      [this, caller, access, length, settings,
       done](std::optional<approvals::MfaEvidence> evidence) {
        commit(
            [this, caller, access, length, settings, evidence](WriteContext& tx, Outcome& outcome) {
              const auto now = identity_.now_seconds();
              auto verdict = breakglass_verdict(tx.db(), caller.user, access.role, settings);
              if (!verdict) {
                json::object refused{{"role", access.role},
                                     {"code", error_code_name(verdict.error())}};
                tx.audit({caller.user, "breakglass.refused", "user/" + caller.user,
                          json::serialize(refused)});
                outcome.answer = verdict.error();
                return;
              }
              auto row = new_request_row(caller.user, access.role, access.reason, length, now);
              row.state = RequestState::active;
              row.pending_deadline = now;
              row.breakglass = true;
              row.incident = access.incident;
              row.review_due_at = now + settings.review_within.count();
              insert_request(tx.db(), row);
              json::object details{{"role", row.role},
                                   {"incident", row.incident},
                                   {"duration_seconds", row.duration_s},
                                   {"review_due_at", *row.review_due_at},
                                   {"mfa", json::parse(evidence_json(evidence))}};
              tx.audit({caller.user, "breakglass.create", request_object(row.id),
                        json::serialize(details)});
              create_grant(tx, outcome, row, now);
              outcome.deadlines_changed = true;
              auto view = request_view(tx.db(), policy(), row);
              outcome.events.emplace_back("breakglass", view);
              if (verdict->repeated) {
                // A repeat escalates: its own record and event, beside the usual ones.
                json::object repeat{{"recent_breakglass", verdict->within_window},
                                    {"unreviewed_breakglass", verdict->unreviewed},
                                    {"active_of_role", verdict->active_of_role}};
                tx.audit({caller.user, "breakglass.repeated", request_object(row.id),
                          json::serialize(repeat)});
                auto alert = view;
                alert["repeat"] = std::move(repeat);
                outcome.events.emplace_back("breakglass.repeated", std::move(alert));
              }
              outcome.answer = std::move(view);
            },
            done);
      },
      done);
}

void AccessService::review(const Caller& caller, const std::string& request_id,
                           approvals::ReviewDecision decision, std::string comment,
                           const json::value* mfa, Answer done) {
  if (auto text = approvals::check_text(comment, approvals::kMaxCommentLength); !text) {
    return done(text.error());
  }
  if (auto allowed = check_review_now(caller.user, request_id, decision); !allowed) {
    if (allowed.error() == RequestErrc::requester_not_entitled) {
      // No factor is spent on a request that can no longer be granted: the job refuses the
      // review and cancels the request.
      return commit(
          [this, caller, request_id, decision, comment](WriteContext& tx, Outcome& outcome) {
            review_in(tx, outcome, caller.user, request_id, decision, comment, "{}");
          },
          std::move(done));
    }
    const auto action = decision == approvals::ReviewDecision::approve ? "request.approve.refused"
                                                                       : "request.deny.refused";
    return refuse_early(caller, action, request_id, allowed.error(), std::move(done));
  }
  auto subject = approval_subject(request_id, decision == approvals::ReviewDecision::approve
                                                  ? approvals::ApprovalDecision::approve
                                                  : approvals::ApprovalDecision::deny);
  if (!subject) return done(make_error_code(BrokerErrc::not_found));
  // Invariant 4: a factor in the call; a passkey's challenge is bound to this request's digest
  // and to this decision.
  with_presence(
      caller, mfa, false, MfaPurpose::approval, subject,
      [this, caller, request_id, decision, comment,
       done](std::optional<approvals::MfaEvidence> evidence) {
        commit(
            [this, caller, request_id, decision, comment, evidence](WriteContext& tx,
                                                                    Outcome& outcome) {
              review_in(tx, outcome, caller.user, request_id, decision, comment,
                        evidence_json(evidence));
            },
            done);
      },
      done);
}

void AccessService::post_incident_review(const Caller& caller, const std::string& request_id,
                                         std::string comment, const json::value* mfa, Answer done) {
  if (auto text = approvals::check_text(comment, approvals::kMaxCommentLength); !text) {
    return done(text.error());
  }
  if (auto allowed = check_review_now(caller.user, request_id, std::nullopt); !allowed) {
    return refuse_early(caller, "breakglass.review.refused", request_id, allowed.error(),
                        std::move(done));
  }
  auto subject = approval_subject(request_id, approvals::ApprovalDecision::review);
  if (!subject) return done(make_error_code(BrokerErrc::not_found));
  with_presence(
      caller, mfa, false, MfaPurpose::approval, subject,
      [this, caller, request_id, comment, done](std::optional<approvals::MfaEvidence> evidence) {
        commit(
            [this, caller, request_id, comment, evidence](WriteContext& tx, Outcome& outcome) {
              post_incident_review_in(tx, outcome, caller.user, request_id, comment,
                                      evidence_json(evidence));
            },
            done);
      },
      done);
}

void AccessService::cancel(const Caller& caller, const std::string& request_id, Answer done) {
  commit(
      [this, caller, request_id](WriteContext& tx, Outcome& outcome) {
        auto row = find_request(tx.db(), request_id);
        if (!row || !may_view_request(policy(), row->role, row->requester, caller.user)) {
          outcome.answer = make_error_code(BrokerErrc::not_found);
          return;
        }
        auto next = approvals::apply_cancel(to_snapshot(*row, {}), caller.user);
        if (!next) {
          outcome.answer = next.error();
          return;
        }
        set_request_state(tx.db(), row->id, *next);
        row->state = *next;
        tx.audit({caller.user, "request.cancel", request_object(row->id), "{}"});
        outcome.answer = request_view(tx.db(), policy(), *row);
      },
      std::move(done));
}

}  // namespace jit::broker
