// The JSON shapes of requests and grants that the API answers and webhooks carry (the contract in
// docs/api.md, "Objects"). Built from stored rows only, so every answer shows what is durable.
#pragma once

#include "broker/store/access_records.hpp"
#include "broker/store/db/db_connection.hpp"
#include "config/policy.hpp"

#include <boost/json/object.hpp>

namespace jit::broker {

boost::json::object grant_view(const GrantRow& grant, bool breakglass);

// How much of a review's MFA evidence a view shows: `full` for auditors
// (approvals::may_see_mfa_evidence), else only {"factor": "totp"|"webauthn"}, so a requester
// does not learn their approvers' passkey credential ids and counters. Webhooks get factor_only.
enum class EvidenceDetail { factor_only, full };

// The request with its reviews (and their MFA evidence as `detail` says) and its grant, read from
// `db`.
boost::json::object request_view(db::Connection& db, const config::Policy& policy,
                                 const RequestRow& request,
                                 EvidenceDetail detail = EvidenceDetail::factor_only);

}  // namespace jit::broker
