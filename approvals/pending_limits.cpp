#include "approvals/pending_limits.hpp"

#include "approvals/request_errors.hpp"

namespace jit::approvals {

boost::system::result<void> check_pending_room(const PendingCounts& pending,
                                               const PendingLimits& limits) {
  if (pending.for_role >= limits.per_user_role) {
    return make_error_code(RequestErrc::too_many_pending_for_role);
  }
  if (pending.in_all >= limits.per_user) return make_error_code(RequestErrc::too_many_pending);
  return {};
}

}  // namespace jit::approvals
