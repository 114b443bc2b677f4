// The JSON shapes of requests and grants that the API answers and webhooks carry (the contract in
// docs/api.md, "Objects"). Built from stored rows only, so every answer shows what is durable.
#pragma once

#include "broker/store/access_records.hpp"
#include "config/policy.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/json/object.hpp>

namespace jit::broker {

boost::json::object grant_view(const GrantRow& grant, bool breakglass);

// The request with its reviews (and their MFA evidence) and its grant, read from `db`.
boost::json::object request_view(SQLite::Database& db, const config::Policy& policy,
                                 const RequestRow& request);

}  // namespace jit::broker
