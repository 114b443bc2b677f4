// The request workflow, the requester's side: asking for a role (POST /v1/requests), break-glass
// (POST /v1/breakglass) and cancelling a pending request. The reviewer's side is
// review_workflow.hpp. Each action is one write transaction: its checks on the rows as they are
// then, the factor that authorises it (spent there, broker/auth/presence.hpp), its rows and its
// audit records, so an action makes one durable write (see access_context.hpp).
#pragma once

#include "approvals/breakglass_rules.hpp"
#include "broker/auth/identity_service.hpp"
#include "broker/service/access_context.hpp"
#include "broker/store/db/db_connection.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>

namespace jit::broker {

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

class RequestWorkflow {
 public:
  explicit RequestWorkflow(AccessContext& context) : context_(context) {}

  // 201 material: the new pending request (active at once for an auto-approved role). A factor in
  // the call, or a fresh session.
  void create_request(const Caller& caller, NewRequest ask, const boost::json::value* mfa,
                      AccessContext::Answer done);
  // The request with its active grant; a factor always in the call (invariant 8).
  void breakglass(const Caller& caller, NewBreakGlass ask, const boost::json::value* mfa,
                  AccessContext::Answer done);
  void cancel(const Caller& caller, const std::string& request_id, AccessContext::Answer done);

 private:
  // The responder's break-glass history checked against the role's limits, at now.
  Result<approvals::BreakGlassVerdict> breakglass_verdict(
      db::Connection& db, const std::string& responder, const std::string& role,
      const config::BreakGlassSettings& settings);
  // Whether `user` may add a pending request for `role` (limits.max_pending_*), on `db`.
  Result<void> check_pending_room(db::Connection& db, const std::string& user,
                                  const std::string& role);
  // Audits a refused break-glass attempt (who tried, for which role, and why not), then answers.
  void refuse_breakglass(const Caller& caller, const std::string& role,
                         boost::system::error_code why, AccessContext::Answer done);

  AccessContext& context_;
};

}  // namespace jit::broker
