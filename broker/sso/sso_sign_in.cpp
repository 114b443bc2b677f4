#include "broker/sso/sso_sign_in.hpp"

#include "approvals/oidc_identity.hpp"
#include "broker/auth/credential_store.hpp"
#include "broker/sso/sso_identity_store.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <memory>

namespace jit::broker {
namespace {

namespace json = boost::json;

json::array sso_string_array(const std::vector<std::string>& values) {
  json::array array;
  for (const auto& value : values) array.emplace_back(value);
  return array;
}

// How the provider signed the user in: kept with the session and in each review's evidence.
json::object sso_login_json(const std::string& provider, const approvals::IdTokenClaims& claims) {
  json::object login{
      {"provider", provider}, {"sub", claims.subject}, {"amr", sso_string_array(claims.amr)}};
  if (claims.acr) login["acr"] = *claims.acr;
  if (claims.auth_time) login["auth_time"] = *claims.auth_time;
  return login;
}

SsoProblem login_conflict(std::string message) {
  return {boost::beast::http::status::conflict, "sso_user_conflict", std::move(message)};
}

}  // namespace

void SsoSignIn::open_session(const config::OidcProviderSettings& provider,
                             const approvals::IdTokenClaims& claims,
                             std::function<void(SsoResult<IssuedSession>)> done) {
  auto identity = approvals::oidc_identity(claims, provider);
  if (!identity) {
    // One of two things is wrong; the person (and the audit record) is told which.
    const bool name_ok = static_cast<bool>(approvals::oidc_user_name(claims, provider));
    return refuse(provider.name,
                  {boost::beast::http::status::forbidden, "sso_identity_refused",
                   name_ok ? "the identity provider's " + provider.groups_claim +
                                 " claim is not a list of at most " +
                                 std::to_string(approvals::kMaxIdpGroups) + " group names"
                           : "the identity provider's " + provider.username_claim +
                                 " (or email) is not a valid user name here"},
                  [done](SsoProblem problem) { done(std::move(problem)); });
  }
  auto limits = identity_.settings().sessions;
  // An SSO session never outlives the provider's cap (docs/sso.md, "Operating").
  limits.absolute_timeout = std::min(limits.absolute_timeout, provider.session_cap);
  const auto now = identity_.now_seconds();
  auto login = sso_login_json(provider.name, claims);
  struct Outcome {
    IssuedSession issued;
    std::string user;
    std::optional<SsoProblem> problem;
  };
  auto outcome = std::make_shared<Outcome>();
  identity_.store().write(
      [provider = provider.name, subject = claims.subject, identity = *identity, login, limits, now,
       outcome](WriteContext& tx) -> boost::system::error_code {
        const auto known = find_sso_identity_by_subject(tx.db(), provider, subject);
        // The subject is who someone is at the provider; the name is fixed at first sight, so a
        // rename at the provider does not make a second broker user.
        const std::string user = known ? known->user : identity.user;
        auto details = login;
        details["factor"] = "sso";
        details["mfa"] = identity.mfa;
        details["groups"] = sso_string_array(identity.groups);
        if (!known) {
          if (find_sso_identity(tx.db(), user)) {
            outcome->problem = login_conflict("the user name belongs to another SSO identity");
          } else if (find_credentials(tx.db(), user)) {
            outcome->problem = login_conflict("the user name belongs to a local (password) user");
          }
          if (outcome->problem) {
            details["reason"] = outcome->problem->message;
            tx.audit({"unknown", "login.failure", "user/" + user, json::serialize(details)});
            return {};
          }
          insert_sso_user(tx, {user, provider, subject, identity.groups, now, now});
          tx.audit({user, "user.provisioned", "user/" + user,
                    json::serialize(json::object{{"provider", provider}, {"sub", subject}})});
        } else {
          record_sso_login(tx, user, identity.groups, now);
        }
        if (const auto credentials = find_credentials(tx.db(), user);
            !credentials || credentials->admin_locked) {
          outcome->problem = SsoProblem{boost::beast::http::status::unauthorized, "unauthenticated",
                                        "the account is locked"};
          details["reason"] = "account locked by an administrator";
          tx.audit({user, "login.failure", "user/" + user, json::serialize(details)});
          return {};
        }
        outcome->user = user;
        outcome->issued =
            create_sso_session(tx, user, now, limits, json::serialize(login), identity.mfa);
        tx.audit({user, "login.success", "user/" + user, json::serialize(details)});
        return {};
      },
      [this, outcome, groups = identity->groups, done](boost::system::error_code ec) {
        if (ec) {
          return done(SsoProblem{boost::beast::http::status::service_unavailable, "unavailable",
                                 "the broker could not record the login; try again"});
        }
        if (outcome->problem) return done(*outcome->problem);
        // After the commit: from now on the policy answers from this login's groups.
        identity_.policy().idp_members->set(outcome->user, groups);
        done(std::move(outcome->issued));
      });
}

void SsoSignIn::refuse(const std::string& provider, const SsoProblem& problem,
                       std::function<void(SsoProblem)> done) {
  const json::object details{{"factor", "sso"},
                             {"provider", provider},
                             {"reason", problem.message},
                             {"code", problem.code}};
  identity_.store().write(
      [details](WriteContext& tx) {
        tx.audit({"unknown", "login.failure", "user/unknown", json::serialize(details)});
        return boost::system::error_code{};
      },
      [problem, done](boost::system::error_code) { done(problem); });
}

void SsoSignIn::load_membership() {
  const auto identities =
      identity_.store().read([](db::Connection& db) { return all_sso_identities(db); });
  for (const auto& record : identities) {
    identity_.policy().idp_members->set(record.user, record.groups);
  }
}

}  // namespace jit::broker
