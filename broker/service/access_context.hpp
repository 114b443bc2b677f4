// What the access use cases share (request_workflow, grant_workflow, access_queries): the store
// they write, the identity service (clock, policy, challenges), the limits, and the hooks that fire
// after a commit. Every decision is taken inside the write job that stores it, from the rows as
// they are in that transaction, so concurrent calls are serialised by the store's single writer:
// two approvals racing for the last slot make exactly one grant. Answers are the stored JSON
// views; events are written with the change, the sweeper/publisher hooks fire after the commit.
#pragma once

#include "approvals/mfa_evidence.hpp"
#include "approvals/request_binding.hpp"
#include "broker/auth/identity_service.hpp"
#include "broker/auth/presence.hpp"
#include "broker/store/access_records.hpp"
#include "broker/store/store.hpp"
#include "config/broker_config.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace jit::broker {

// What happens after a commit. Each may be empty. They run on the store's writer thread: they
// must only queue work (e.g. post to an io_context), never wait for the store. Events need no hook:
// they go into the event outbox in the transaction of their change (keep_events), whichever
// process commits it, and the running broker delivers them (docs/architecture.md, "Events").
struct AccessHooks {
  std::function<void()> deadlines_changed;  // a grant or pending deadline was added
  // Certificates were revoked: publish the KRL and CRL, then call `published` with the numbers of
  // the lists that include the revocation ({"krl_version", "crl_number"}; empty if publishing
  // failed, and the running broker's poll then retries). A revoke answers only after that call.
  std::function<void(std::function<void(boost::json::object lists)> published)> revocations_changed;
};

// What a write job hands back after the commit: the answer and the follow-ups.
struct AccessOutcome {
  Result<boost::json::object> answer = make_error_code(BrokerErrc::internal);
  // Event names: request.created, request.approved, request.denied, breakglass,
  // breakglass.repeated, grant.expired, grant.revoked.
  std::vector<std::pair<std::string, boost::json::object>> events;
  bool deadlines_changed = false;
  bool revocations_changed = false;
};

class AccessContext {
 public:
  using Answer = std::function<void(Result<boost::json::object>)>;
  using Job = std::function<void(WriteContext&, AccessOutcome&)>;
  // A job authorised by a proof of presence: it calls spend_presence once its checks pass and
  // before it writes anything else.
  using PresentJob = std::function<void(const Presence&, WriteContext&, AccessOutcome&)>;

  AccessContext(Store& store, IdentityService& identity, config::Limits limits, AccessHooks hooks)
      : store_(store), identity_(identity), limits_(limits), hooks_(std::move(hooks)) {}

  // Runs `job` in one write transaction (refusals commit their audit record too) and answers with
  // the outcome's result after the commit, firing its hooks first; a revocation answers once the
  // served lists include it.
  void commit(Job job, Answer done);
  // Checks the caller's presence (check_presence: `mfa`, or the session under `rule`), then
  // commits `job` with it, so the factor is spent in the transaction of the action it authorises.
  void commit_with_presence(const Caller& caller, const boost::json::value* mfa,
                            approvals::SessionFactor rule, approvals::ChallengePurpose purpose,
                            std::optional<approvals::ApprovalSubject> subject, PresentJob job,
                            Answer done);
  // The same, waiting for the commit (never on the writer thread); the outcome's answer is not
  // used, the count the job returns is. With `publish_revocations`, revoked certificates start a
  // publication nobody waits for (the publisher's poll retries a failed one).
  Result<std::size_t> commit_sync(std::function<std::size_t(WriteContext&, AccessOutcome&)> job,
                                  bool publish_revocations);

  Store& store() { return store_; }
  IdentityService& identity() { return identity_; }
  const config::Policy& policy() const { return identity_.policy(); }
  const config::Limits& limits() const { return limits_; }
  std::int64_t now_seconds() const { return identity_.now_seconds(); }

 private:
  // Inside the write job: moves the outcome's events into the outbox.
  static void keep_events(WriteContext& tx, AccessOutcome& outcome);
  // After the commit: the sweeper poke. Revocations are published apart.
  void fire(const AccessOutcome& outcome);

  Store& store_;
  IdentityService& identity_;
  config::Limits limits_;
  AccessHooks hooks_;
};

// The reason recorded when a grant or request ends because its user is no longer entitled.
inline constexpr std::string_view kNotEntitledReason =
    "the policy no longer allows this user the role";

// A refusal inside a write job: audited (who tried what, and why not), nothing else is written.
void refuse(WriteContext& tx, Result<boost::json::object>& answer, const std::string& actor,
            std::string action, const std::string& object, const boost::system::error_code& why);
// Cancels a pending request whose requester is no longer entitled, audited as done by `actor`.
void cancel_unentitled(WriteContext& tx, const std::string& request_id, const std::string& actor);

// Makes the grant of an approved (or auto-approved, or break-glass) `request`, from `now`.
void insert_grant_for(WriteContext& tx, AccessOutcome& outcome, const RequestRow& request,
                      std::int64_t now);

// The audit and stored form of a factor's evidence: "{}" when a fresh session sufficed.
std::string evidence_json(const std::optional<approvals::MfaEvidence>& evidence);

// What a reviewer's factor binds for `decision` on the request `row`.
approvals::ApprovalSubject approval_subject_of(const RequestRow& row,
                                               approvals::ApprovalDecision decision);

// Whether `viewer` may see `grant` (the request-visibility rule of approvals/access_rules.hpp,
// applied to the grant's role and owner).
bool may_see_grant(const config::Policy& policy, const GrantRow& grant, const std::string& viewer);

// Audit object names.
std::string request_object(const std::string& id);
std::string grant_object(const std::string& id);

}  // namespace jit::broker
