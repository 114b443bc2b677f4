#include "approvals/breakglass_rules.hpp"

namespace jit::approvals {

Result<BreakGlassVerdict> check_breakglass_history(const config::BreakGlassSettings& settings,
                                                   std::string_view role,
                                                   const std::vector<PastBreakGlass>& history,
                                                   std::int64_t now) {
  BreakGlassVerdict verdict;
  bool overdue = false;
  for (const auto& past : history) {
    if (!past.reviewed) {
      ++verdict.unreviewed;
      // Due at review_due_at: from that second on it is overdue (as the overdue-review gauge).
      if (now >= past.review_due_at) overdue = true;
    }
    if (now - past.started_at < kBreakGlassRepeatWindow.count()) ++verdict.within_window;
    if (past.grant_active && past.role == role) ++verdict.active_of_role;
  }
  verdict.repeated = verdict.within_window > 0 || verdict.unreviewed > 0;
  if (overdue) return RequestErrc::breakglass_review_overdue;
  if (verdict.active_of_role >= settings.max_active) return RequestErrc::breakglass_limit_reached;
  return verdict;
}

}  // namespace jit::approvals
