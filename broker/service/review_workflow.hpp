// The request workflow, the reviewer's side: approve, deny (POST /v1/requests/{id}/approve|deny),
// the post-incident review of a break-glass grant (/review), and the passkey challenge bound to one
// of those decisions (/webauthn/begin). The request is read once before the reviewer's factor is
// checked (so a reviewer who may not act spends nothing, and a passkey's challenge binds the
// request as stored), then once more inside the one write transaction that spends the factor and
// stores the decision (docs/architecture.md invariant 4).
#pragma once

#include "approvals/request_state_machine.hpp"
#include "broker/auth/identity_service.hpp"
#include "broker/service/access_context.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>

namespace jit::broker {

class ReviewWorkflow {
 public:
  explicit ReviewWorkflow(AccessContext& context) : context_(context) {}

  // Approve or deny; a factor always in the call, a passkey's bound to the request and decision.
  void review(const Caller& caller, const std::string& request_id,
              approvals::ReviewDecision decision, std::string comment,
              const boost::json::value* mfa, AccessContext::Answer done);
  void post_incident_review(const Caller& caller, const std::string& request_id,
                            std::string comment, const boost::json::value* mfa,
                            AccessContext::Answer done);

  // A WebAuthn challenge bound to the request's digest and to `decision` (approving, denying or
  // the post-incident review): an assertion over it is accepted for that decision only.
  Result<ca::Bytes> approval_challenge(const Caller& caller, const std::string& request_id,
                                       approvals::ApprovalDecision decision);

 private:
  // On the last committed state: what the reviewer's factor binds for `decision`, if the reviewer
  // may take it now (the write job checks again). `decision` empty: the post-incident review.
  // `factor_is_code`: the call carries a TOTP code (refused unchecked for a passkey-only role).
  Result<approvals::ApprovalSubject> subject_if_allowed(
      const std::string& reviewer, const std::string& request_id,
      std::optional<approvals::ReviewDecision> decision, bool factor_is_code);
  // Audits a refusal found before the factor was checked, as the write job would, and answers.
  void refuse_early(const Caller& caller, std::string action, const std::string& request_id,
                    boost::system::error_code why, AccessContext::Answer done);
  // The write jobs: each re-reads the request, asks approvals/ again, spends the factor, and
  // stores the decision with its audit record.
  void review_in(const Presence& presence, WriteContext& tx, AccessOutcome& outcome,
                 const std::string& reviewer, const std::string& request_id,
                 approvals::ReviewDecision decision, const std::string& comment);
  void post_incident_review_in(const Presence& presence, WriteContext& tx, AccessOutcome& outcome,
                               const std::string& reviewer, const std::string& request_id,
                               const std::string& comment);

  AccessContext& context_;
};

}  // namespace jit::broker
