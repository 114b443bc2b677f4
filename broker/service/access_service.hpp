// The access workflow behind the API: requests, reviews, break-glass, post-incident reviews,
// revocation, and the sweeper's expiry. Every decision is taken inside the write job that stores
// it, from the rows as they are in that transaction, so concurrent calls are serialised by the
// store's single writer: two approvals racing for the last slot make exactly one grant. Answers
// are the stored JSON views; webhooks and the sweeper/publisher hooks fire only after the commit.
#pragma once

#include "approvals/access_rules.hpp"
#include "approvals/breakglass_rules.hpp"
#include "approvals/request_state_machine.hpp"
#include "broker/auth/identity_service.hpp"
#include "broker/store/access_records.hpp"
#include "config/broker_config.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <string>

namespace jit::broker {

// What happens after a commit. Each may be empty. They run on the store's writer thread: they
// must only queue work (e.g. post to an io_context), never wait for the store.
struct AccessHooks {
  // Webhook event names: request.created, request.approved, request.denied, breakglass,
  // breakglass.repeated, grant.expired, grant.revoked.
  std::function<void(std::string event, boost::json::object data)> notify;
  std::function<void()> deadlines_changed;  // a grant or pending deadline was added
  // Certificates were revoked: publish the KRL and CRL, then call `published` with the numbers of
  // the lists that include the revocation ({"krl_version", "crl_number"}; empty if publishing
  // failed, and the running broker's poll then retries). A revoke answers only after that call.
  std::function<void(std::function<void(boost::json::object lists)> published)> revocations_changed;
  // Events go into the event_outbox table in the transaction of their change instead of to
  // `notify`: for a process with no webhooks of its own (an admin command); the running broker
  // delivers them.
  bool events_to_outbox = false;
};

// One page of a listing: at most the filter's `limit` views, and where the next page starts when
// more rows exist.
struct ListPage {
  boost::json::array items;
  std::optional<PageCursor> next;
};

struct NewRequest {
  std::string role;
  std::string reason;
  std::string ticket;
  std::optional<std::string> duration;  // "30m"; the role's default when absent
};

struct NewBreakGlass {
  std::string role;
  std::string incident;
  std::string reason;
  std::optional<std::string> duration;  // the break-glass maximum when absent
};

class AccessService {
 public:
  using Answer = std::function<void(Result<boost::json::object>)>;

  AccessService(IdentityService& identity, config::Limits limits, AccessHooks hooks = {});

  // 201 material: the new pending request (active at once for an auto-approved role).
  void create_request(const Caller& caller, NewRequest ask, const boost::json::value* mfa,
                      Answer done);
  // The request with its active grant; MFA always in the call.
  void breakglass(const Caller& caller, NewBreakGlass ask, const boost::json::value* mfa,
                  Answer done);
  void review(const Caller& caller, const std::string& request_id,
              approvals::ReviewDecision decision, std::string comment,
              const boost::json::value* mfa, Answer done);
  void post_incident_review(const Caller& caller, const std::string& request_id,
                            std::string comment, const boost::json::value* mfa, Answer done);
  void cancel(const Caller& caller, const std::string& request_id, Answer done);
  // Ends a grant early. `mfa`, when given, is verified (a presence proof: TOTP or an assertion on a
  // /v1/webauthn/presence/begin challenge) and its evidence audited. The page (a cookie session)
  // must always give one; a bearer caller (the CLI) may revoke on its session alone, since
  // revoking only takes access away.
  void revoke(const Caller& caller, const std::string& grant_id, std::string reason,
              const boost::json::value* mfa, Answer done);

  // Reads. A request or grant the caller may not see is not_found, like one that does not exist.
  Result<boost::json::object> get_request(const Caller& caller, const std::string& id);
  ListPage list_requests(const Caller& caller, RequestFilter filter);
  Result<boost::json::object> get_grant(const Caller& caller, const std::string& id);
  ListPage list_grants(const Caller& caller, GrantFilter filter);
  // The requester's latest `limit` grants of the request's role, other than the request's own,
  // newest first: what a reviewer looks at to spot an unusual ask. Visible to whoever may view the
  // request (not_found otherwise).
  Result<boost::json::array> requester_history(const Caller& caller, const std::string& request_id,
                                               std::size_t limit);

  // A WebAuthn challenge bound to the request's digest and to `decision` (approving, denying or
  // the post-incident review): an assertion over it is accepted for that decision only.
  Result<ca::Bytes> approval_challenge(const Caller& caller, const std::string& request_id,
                                       approvals::ApprovalDecision decision);

  // Expires grants that reached their end and times out pending requests past their deadline, at
  // `now`; returns how many it ended, or the storage error. Waits for the commit: never call it on
  // the writer thread.
  Result<std::size_t> sweep(std::int64_t now);
  std::optional<std::int64_t> next_deadline();
  std::int64_t overdue_reviews(std::int64_t now);

  // `user lock`: revokes every active grant of `user` and cancels their pending requests, at once.
  // Waits for the commit.
  Result<std::size_t> revoke_all_of(const std::string& user, const std::string& actor,
                                    const std::string& reason);

  // At start-up, under a policy that may have changed: revokes the active grants and cancels the
  // pending requests of users whose groups no longer allow the role (approvals::still_entitled),
  // each audited as done by "system". Returns how many it ended. Waits for the commit.
  Result<std::size_t> end_unentitled();

  // Proves presence for an action, then runs `then` with the evidence (empty when a fresh session
  // sufficed, which `allow_fresh` permits); answers `done` with mfa_required or the failure.
  void with_presence(const Caller& caller, const boost::json::value* mfa, bool allow_fresh,
                     MfaPurpose purpose, std::optional<approvals::ApprovalSubject> subject,
                     std::function<void(std::optional<approvals::MfaEvidence>)> then, Answer done);

  IdentityService& identity() { return identity_; }
  const config::Policy& policy() const { return identity_.policy(); }

 private:
  struct Outcome;
  using Job = std::function<void(WriteContext&, Outcome&)>;
  // Runs `job` in a write transaction and answers with the Outcome's result after the commit,
  // firing the Outcome's hooks first.
  void commit(Job job, Answer done);
  // Inside the write job: with events_to_outbox, moves the Outcome's events into the outbox.
  void keep_events(WriteContext& tx, Outcome& outcome);
  // After the commit: events to `notify`, the sweeper poke. Revocations are published apart.
  void fire(const Outcome& outcome);
  std::optional<approvals::ApprovalSubject> approval_subject(const std::string& request_id,
                                                             approvals::ApprovalDecision decision);
  // The same checks the write job makes, on the last committed state, so that a reviewer who may
  // not act does not spend a second factor (the job checks again). `decision` empty: the
  // post-incident review.
  void refuse_early(const Caller& caller, std::string action, const std::string& request_id,
                    boost::system::error_code why, Answer done);
  Result<void> check_review_now(const std::string& reviewer, const std::string& request_id,
                                std::optional<approvals::ReviewDecision> decision);

  // The responder's break-glass history checked against the role's limits, at now.
  Result<approvals::BreakGlassVerdict> breakglass_verdict(
      SQLite::Database& db, const std::string& responder, const std::string& role,
      const config::BreakGlassSettings& settings);

  // Decisions inside a write job (access_decisions.cpp).
  void create_grant(WriteContext& tx, Outcome& outcome, const RequestRow& request,
                    std::int64_t now);
  void review_in(WriteContext& tx, Outcome& outcome, const std::string& reviewer,
                 const std::string& request_id, approvals::ReviewDecision decision,
                 const std::string& comment, const std::string& evidence);
  void post_incident_review_in(WriteContext& tx, Outcome& outcome, const std::string& reviewer,
                               const std::string& request_id, const std::string& comment,
                               const std::string& evidence);
  // Cancels a pending request whose requester is no longer entitled, audited as done by `actor`.
  void cancel_unentitled(WriteContext& tx, const std::string& request_id, const std::string& actor);
  void revoke_in(WriteContext& tx, Outcome& outcome, const std::string& actor,
                 const GrantRow& grant, const std::string& reason,
                 const std::optional<approvals::MfaEvidence>& evidence = std::nullopt);
  // Whether `user` may add a pending request for `role` (limits.max_pending_*), on `db`.
  Result<void> check_pending_room(SQLite::Database& db, const std::string& user,
                                  const std::string& role);
  // The checks revoke's write job makes, on the last committed state.
  bool may_revoke_now(const std::string& actor, const std::string& grant_id);

  IdentityService& identity_;
  config::Limits limits_;
  AccessHooks hooks_;
};

// The reason recorded when a grant or request ends because its user is no longer entitled.
inline constexpr std::string_view kNotEntitledReason =
    "the policy no longer allows this user the role";

// What a reviewer's factor binds for `decision` on the request `row`.
approvals::ApprovalSubject approval_subject_of(const RequestRow& row,
                                               approvals::ApprovalDecision decision);

// Audit object names.
std::string request_object(const std::string& id);
std::string grant_object(const std::string& id);

}  // namespace jit::broker
