#include "broker/service/request_workflow.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/access_rules.hpp"
#include "approvals/pending_limits.hpp"
#include "approvals/request_state_machine.hpp"
#include "broker/service/access_views.hpp"
#include "config/duration.hpp"

#include <boost/json.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;
using approvals::RequestErrc;
using approvals::RequestState;

Result<std::optional<std::chrono::seconds>> parse_optional_duration(
    const std::optional<std::string>& text) {
  if (!text) return std::optional<std::chrono::seconds>{};
  auto parsed = config::parse_duration(*text);
  if (!parsed) return make_error_code(RequestErrc::invalid_duration);
  return std::optional<std::chrono::seconds>{*parsed};
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

Result<void> RequestWorkflow::check_pending_room(db::Connection& db, const std::string& user,
                                                 const std::string& role) {
  const auto& limits = context_.limits();
  const auto pending = count_pending(db, user, role, context_.now_seconds());
  auto room = approvals::check_pending_room(
      pending, {limits.max_pending_per_user_role, limits.max_pending_per_user});
  if (!room) return room.error();
  return {};
}

void RequestWorkflow::create_request(const Caller& caller, NewRequest ask, const json::value* mfa,
                                     AccessContext::Answer done) {
  auto duration = parse_optional_duration(ask.duration);
  if (!duration) return done(duration.error());
  approvals::AccessAsk access{caller.user, ask.role, ask.reason, ask.ticket, *duration};
  auto approved = approvals::check_access_request(context_.policy(), access);
  if (!approved) return done(approved.error());
  const auto length = approved->duration;
  const bool auto_approve = approved->role->auto_approve;
  // Checked before a factor is checked, and again in the write job, where it counts.
  if (!auto_approve) {
    auto room = context_.store().read(
        [&](db::Connection& db) { return check_pending_room(db, caller.user, access.role); });
    if (!room) return done(room.error());
  }
  auto job = [this, caller, access, length, auto_approve](
                 const Presence& presence, WriteContext& tx, AccessOutcome& outcome) {
    const auto now = context_.now_seconds();
    if (!auto_approve) {
      if (auto room = check_pending_room(tx.db(), caller.user, access.role); !room) {
        outcome.answer = room.error();
        return;
      }
    }
    if (auto spent = spend_presence(tx, presence)) {
      outcome.answer = spent;
      return;
    }
    auto row = new_request_row(caller.user, access.role, access.reason, length, now);
    row.ticket = access.ticket;
    row.state = auto_approve ? RequestState::active : RequestState::pending;
    row.pending_deadline = now + context_.limits().pending_timeout.count();
    insert_request(tx.db(), row);
    json::object details{{"role", row.role},
                         {"duration_seconds", row.duration_s},
                         {"ticket", row.ticket},
                         {"mfa", json::parse(evidence_json(presence.evidence))}};
    tx.audit({caller.user, "request.create", request_object(row.id), json::serialize(details)});
    if (auto_approve) insert_grant_for(tx, outcome, row, now);
    outcome.deadlines_changed = true;
    auto view = request_view(tx.db(), context_.policy(), row);
    outcome.events.emplace_back("request.created", view);
    if (auto_approve) outcome.events.emplace_back("request.approved", view);
    outcome.answer = std::move(view);
  };
  context_.commit_with_presence(caller, mfa, approvals::SessionFactor::when_fresh,
                                approvals::ChallengePurpose::presence, std::nullopt, std::move(job),
                                std::move(done));
}

Result<approvals::BreakGlassVerdict> RequestWorkflow::breakglass_verdict(
    db::Connection& db, const std::string& responder, const std::string& role,
    const config::BreakGlassSettings& settings) {
  const auto now = context_.now_seconds();
  const auto history =
      breakglass_history(db, responder, now - approvals::kBreakGlassRepeatWindow.count(), now);
  return approvals::check_breakglass_history(settings, role, history, now);
}

void RequestWorkflow::refuse_breakglass(const Caller& caller, const std::string& role,
                                        boost::system::error_code why, AccessContext::Answer done) {
  // A duration that does not parse is refused like one above the maximum.
  json::object details{{"role", approvals::utf8_prefix(role, 64)}, {"code", error_code_name(why)}};
  context_.store().write(
      [caller, details](WriteContext& tx) -> boost::system::error_code {
        tx.audit(
            {caller.user, "breakglass.refused", "user/" + caller.user, json::serialize(details)});
        return {};
      },
      [why, done = std::move(done)](boost::system::error_code ec) { done(ec ? ec : why); });
}

void RequestWorkflow::breakglass(const Caller& caller, NewBreakGlass ask, const json::value* mfa,
                                 AccessContext::Answer done) {
  auto duration = parse_optional_duration(ask.duration);
  approvals::BreakGlassAsk access{caller.user, ask.role, ask.incident, ask.reason,
                                  duration ? *duration : std::nullopt};
  auto approved = duration ? approvals::check_breakglass_request(context_.policy(), access)
                           : Result<approvals::ApprovedAsk>(duration.error());
  if (!approved) return refuse_breakglass(caller, access.role, approved.error(), std::move(done));
  const auto length = approved->duration;
  const auto settings = *approved->role->breakglass;
  // Overlapping grants and an overdue review are refused before a factor is checked; the write
  // job checks again on the rows as they are then.
  auto verdict = context_.store().read([&](db::Connection& db) {
    return breakglass_verdict(db, caller.user, access.role, settings);
  });
  if (!verdict) return refuse_breakglass(caller, access.role, verdict.error(), std::move(done));
  auto job = [this, caller, access, length, settings](const Presence& presence, WriteContext& tx,
                                                      AccessOutcome& outcome) {
    const auto now = context_.now_seconds();
    auto verdict = breakglass_verdict(tx.db(), caller.user, access.role, settings);
    if (!verdict) {
      json::object refused{{"role", access.role}, {"code", error_code_name(verdict.error())}};
      tx.audit(
          {caller.user, "breakglass.refused", "user/" + caller.user, json::serialize(refused)});
      outcome.answer = verdict.error();
      return;
    }
    if (auto spent = spend_presence(tx, presence)) {
      outcome.answer = spent;
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
                         {"mfa", json::parse(evidence_json(presence.evidence))}};
    tx.audit({caller.user, "breakglass.create", request_object(row.id), json::serialize(details)});
    insert_grant_for(tx, outcome, row, now);
    outcome.deadlines_changed = true;
    auto view = request_view(tx.db(), context_.policy(), row);
    outcome.events.emplace_back("breakglass", view);
    if (verdict->repeated) {
      // A repeat escalates: its own record and event, beside the usual ones.
      json::object repeat{{"recent_breakglass", verdict->within_window},
                          {"unreviewed_breakglass", verdict->unreviewed},
                          {"active_of_role", verdict->active_of_role}};
      tx.audit(
          {caller.user, "breakglass.repeated", request_object(row.id), json::serialize(repeat)});
      auto alert = view;
      alert["repeat"] = std::move(repeat);
      outcome.events.emplace_back("breakglass.repeated", std::move(alert));
    }
    outcome.answer = std::move(view);
  };
  // Invariant 8: a factor in the call, never a fresh session alone.
  context_.commit_with_presence(caller, mfa, approvals::SessionFactor::not_enough,
                                approvals::ChallengePurpose::presence, std::nullopt, std::move(job),
                                std::move(done));
}

void RequestWorkflow::cancel(const Caller& caller, const std::string& request_id,
                             AccessContext::Answer done) {
  context_.commit(
      [this, caller, request_id](WriteContext& tx, AccessOutcome& outcome) {
        const auto& policy = context_.policy();
        auto row = find_request(tx.db(), request_id);
        if (!row || !approvals::may_view_request(policy, row->role, row->requester, caller.user)) {
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
        outcome.answer = request_view(tx.db(), policy, *row);
      },
      std::move(done));
}

}  // namespace jit::broker
