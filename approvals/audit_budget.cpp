#include "approvals/audit_budget.hpp"

#include <iterator>

namespace jit::approvals {
namespace {

// Past this many keys, those whose window is over and that owe no count are forgotten.
constexpr std::size_t kKeysBeforePruning = 4096;

}  // namespace

AuditBudget::AuditBudget(std::size_t per_window, std::chrono::seconds window)
    : per_window_(per_window), window_(window) {}

AuditBudget::Admission AuditBudget::admit(const std::string& key, TimePoint now) {
  if (windows_.size() >= kKeysBeforePruning && !windows_.contains(key)) {
    for (auto it = windows_.begin(); it != windows_.end();) {
      const bool idle = now - it->second.start >= window_ && it->second.suppressed == 0;
      it = idle ? windows_.erase(it) : std::next(it);
    }
  }
  auto [it, added] = windows_.try_emplace(key, Window{now, 0, 0});
  Window& window = it->second;
  // A clock that went back also starts a new window, rather than stalling the old one.
  if (!added && (now - window.start >= window_ || now < window.start)) {
    window.start = now;
    window.recorded = 0;
  }
  if (window.recorded >= per_window_) {
    ++window.suppressed;
    ++suppressed_total_;
    return {};
  }
  ++window.recorded;
  Admission admission{true, window.suppressed};
  window.suppressed = 0;
  return admission;
}

}  // namespace jit::approvals
