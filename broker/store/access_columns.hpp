// The column lists of `requests` and `grants` in the order access_records.cpp reads them, shared
// with access_writes.cpp, which inserts in the same order (so each file compiles on its own, not
// only when a unity batch happens to hold both).
#pragma once

#include <string_view>

namespace jit::broker {

inline constexpr std::string_view kRequestColumns =
    "id, requester, role, reason, ticket, duration_s, state, created_at, pending_deadline, "
    "breakglass, incident, review_due_at, reviewed_at, reviewed_by";

inline constexpr std::string_view kGrantColumns =
    "id, request_id, \"user\", role, not_before, not_after, state, ended_at, end_reason";

}  // namespace jit::broker
