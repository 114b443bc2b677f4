// The column lists of the requests and grants tables, in the order read_request and read_grant
// (access_records.cpp) read them and the inserts (access_writes.cpp) bind them. Shared by both
// files, so that neither depends on landing in the other's unity batch.
#pragma once

#include <string_view>

namespace jit::broker {

inline constexpr std::string_view kRequestColumns =
    "id, requester, role, reason, ticket, duration_s, state, created_at, pending_deadline, "
    "breakglass, incident, review_due_at, reviewed_at, reviewed_by";

inline constexpr std::string_view kGrantColumns =
    "id, request_id, user, role, not_before, not_after, state, ended_at, end_reason";

}  // namespace jit::broker
