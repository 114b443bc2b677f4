// How many requests one user may keep pending (issue 14, B9): without a bound, one requester's
// asks pushed everyone else's out of the approvers' listing. Pure: the broker counts, this decides.
#pragma once

#include <boost/system/result.hpp>

#include <cstddef>

namespace jit::approvals {

struct PendingLimits {
  std::size_t per_user_role = 3;  // limits.max_pending_per_user_role
  std::size_t per_user = 10;      // limits.max_pending_per_user
};

// The requester's requests that are pending now (not past their pending deadline).
struct PendingCounts {
  std::size_t for_role = 0;  // of the role being requested
  std::size_t in_all = 0;
};

// Whether one more pending request fits: too_many_pending_for_role or too_many_pending if not.
[[nodiscard]] boost::system::result<void> check_pending_room(const PendingCounts& pending,
                                                             const PendingLimits& limits);

}  // namespace jit::approvals
