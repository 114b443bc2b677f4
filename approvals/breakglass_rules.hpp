// Limits on break-glass beyond the role's groups and duration (issue 14 item 15): how many of a
// responder's break-glass grants of one role may be active at once, no new break-glass while one
// of their post-incident reviews is overdue, and when a new one counts as a repeat that must
// escalate. Pure: the broker passes the responder's recent break-glass history and `now`.
#pragma once

#include "approvals/access_rules.hpp"
#include "config/policy.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jit::approvals {

// A break-glass that began less than this long after another one of the same responder is a
// repeat, whatever the roles.
inline constexpr Seconds kBreakGlassRepeatWindow = std::chrono::hours(24);

// One earlier break-glass request of the responder, as stored.
struct PastBreakGlass {
  std::string role;
  std::int64_t started_at = 0;     // Unix seconds
  bool grant_active = false;       // its grant is active and has not reached its end
  std::int64_t review_due_at = 0;  // the post-incident review's deadline
  bool reviewed = false;           // the post-incident review is done
};

struct BreakGlassVerdict {
  bool repeated = false;   // another began within the window, or one is still unreviewed
  int active_of_role = 0;  // active break-glass grants of this role the responder holds
  int within_window = 0;   // earlier break-glass requests that began within the window
  int unreviewed = 0;      // earlier break-glass requests whose review is not done
};

// Refuses with breakglass_review_overdue while any earlier break-glass of the responder is past
// its review deadline without a review (any role), and with breakglass_limit_reached while they
// already hold `settings.max_active` active break-glass grants of `role`. Otherwise says whether
// this one is a repeat. `history` needs only the requests begun within the window and those not
// reviewed yet.
Result<BreakGlassVerdict> check_breakglass_history(const config::BreakGlassSettings& settings,
                                                   std::string_view role,
                                                   const std::vector<PastBreakGlass>& history,
                                                   std::int64_t now);

}  // namespace jit::approvals
