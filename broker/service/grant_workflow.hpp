// The grant workflow: ending grants. A user's revoke (POST /v1/grants/{id}/revoke), the operator's
// `user lock`, the start-up pass over users a changed policy no longer entitles, and the expiry
// sweeper's pass over grants and pending requests whose time ran out. Each is one write
// transaction with its audit records (see access_context.hpp).
#pragma once

#include "broker/auth/identity_service.hpp"
#include "broker/service/access_context.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>

namespace jit::broker {

class GrantWorkflow {
 public:
  explicit GrantWorkflow(AccessContext& context) : context_(context) {}

  // Ends a grant early. `mfa`, when given, is verified (a presence proof: TOTP or an assertion on a
  // /v1/webauthn/presence/begin challenge), spent in the revocation's transaction and its evidence
  // audited. The page (a cookie session) must always give one; a bearer caller (the CLI) may revoke
  // on its session alone, since revoking only takes access away.
  void revoke(const Caller& caller, const std::string& grant_id, std::string reason,
              const boost::json::value* mfa, AccessContext::Answer done);

  // `user lock`: revokes every active grant of `user` and cancels their pending requests, at once.
  // Waits for the commit.
  Result<std::size_t> revoke_all_of(const std::string& user, const std::string& actor,
                                    const std::string& reason);

  // At start-up, under a policy that may have changed: revokes the active grants and cancels the
  // pending requests of users whose groups no longer allow the role (approvals::still_entitled),
  // each audited as done by "system". Returns how many it ended. Waits for the commit.
  Result<std::size_t> end_unentitled();

  // Expires grants that reached their end and times out pending requests past their deadline, at
  // `now`; returns how many it ended, or the storage error. Waits for the commit: never call it on
  // the writer thread.
  Result<std::size_t> sweep(std::int64_t now);
  // When the next grant or pending request ends, if any.
  std::optional<std::int64_t> next_deadline();

 private:
  // Revokes `grant` inside a write job, audited as done by `actor`.
  void revoke_in(WriteContext& tx, AccessOutcome& outcome, const std::string& actor,
                 const GrantRow& grant, const std::string& reason,
                 const std::optional<approvals::MfaEvidence>& evidence = std::nullopt);
  // The checks revoke's write job makes, on the last committed state.
  bool may_revoke_now(const std::string& actor, const std::string& grant_id);

  AccessContext& context_;
};

}  // namespace jit::broker
