// What an SSO login does once the provider's ID token has verified (docs/sso.md, "How sign-in
// works" and "Groups from the identity provider"): who the token makes the caller, the user
// created on first sight (no local password), the idp groups stored in place of the previous
// set, and a session like the password login's, with the login's audit record, all in one
// transaction. Failed SSO logins get an audit record and change nothing else.
#pragma once

#include "approvals/oidc_id_token.hpp"
#include "broker/auth/identity_service.hpp"
#include "broker/sso/sso_problem.hpp"
#include "config/broker_config.hpp"

#include <functional>
#include <string>

namespace jit::broker {

class SsoSignIn {
 public:
  explicit SsoSignIn(IdentityService& identity) : identity_(identity) {}

  // `done` runs once the session and its audit record are committed, or with the problem.
  void open_session(const config::OidcProviderSettings& provider,
                    const approvals::IdTokenClaims& claims,
                    std::function<void(SsoResult<IssuedSession>)> done);

  // Audits a failed SSO login (provider and a reason; never a code or token) and then answers
  // `problem` through `done`.
  void refuse(const std::string& provider, const SsoProblem& problem,
              std::function<void(SsoProblem)> done);

  // Loads every SSO user's stored idp groups into the policy's membership (start-up).
  void load_membership();

  IdentityService& identity() { return identity_; }

 private:
  IdentityService& identity_;
};

}  // namespace jit::broker
