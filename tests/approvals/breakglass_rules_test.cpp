#include "approvals/breakglass_rules.hpp"
#include "config/policy.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'000'000;
constexpr std::int64_t kHour = 3600;

config::BreakGlassSettings settings(int max_active) {
  config::BreakGlassSettings breakglass;
  breakglass.allowed_groups = {"oncall"};
  breakglass.max_duration = 30min;
  breakglass.review_within = 24h;
  breakglass.max_active = max_active;
  return breakglass;
}

// One earlier break-glass of the responder, started `ago` seconds before kNow.
PastBreakGlass past(std::string role, std::int64_t ago, bool grant_active, bool reviewed,
                    std::int64_t review_due_in = 23 * kHour) {
  return PastBreakGlass{std::move(role), kNow - ago, grant_active, kNow + review_due_in, reviewed};
}

TEST(BreakGlassHistory, TableOfVerdicts) {
  struct Case {
    std::string name;
    int max_active;
    std::vector<PastBreakGlass> history;
    std::optional<RequestErrc> error;
    bool repeated;
  };
  const std::vector<Case> cases = {
      {"first ever", 1, {}, std::nullopt, false},
      {"one reviewed long ago", 1, {past("db", 30 * kHour, false, true)}, std::nullopt, false},
      // Overlap: one active grant of the role is the default maximum.
      {"one active of the role",
       1,
       {past("db", 10 * 60, true, false)},
       RequestErrc::breakglass_limit_reached,
       true},
      {"two allowed, one active", 2, {past("db", 10 * 60, true, false)}, std::nullopt, true},
      {"two allowed, two active",
       2,
       {past("db", 10 * 60, true, false), past("db", 20 * 60, true, false)},
       RequestErrc::breakglass_limit_reached,
       true},
      // Another role's active grant does not count against this role's maximum, but is a repeat.
      {"active of another role", 1, {past("web", 10 * 60, true, false)}, std::nullopt, true},
      // Ended but within the window and reviewed: still a repeat (second within 24 h).
      {"ended, reviewed, 2 h ago", 1, {past("db", 2 * kHour, false, true)}, std::nullopt, true},
      {"ended, reviewed, 25 h ago", 1, {past("db", 25 * kHour, false, true)}, std::nullopt, false},
      // Unreviewed but not yet due, from long ago: a repeat, not refused.
      {"unreviewed, not due, 3 days ago",
       1,
       {past("web", 72 * kHour, false, false, kHour)},
       std::nullopt,
       true},
      // An overdue review refuses, whatever the role, even with no active grant.
      {"overdue review",
       3,
       {past("web", 30 * kHour, false, false, -kHour)},
       RequestErrc::breakglass_review_overdue,
       true},
      {"due exactly now",
       3,
       {past("web", 30 * kHour, false, false, 0)},
       RequestErrc::breakglass_review_overdue,
       true},
      {"overdue but reviewed",
       1,
       {past("web", 30 * kHour, false, true, -kHour)},
       std::nullopt,
       false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto verdict = check_breakglass_history(settings(c.max_active), "db", c.history, kNow);
    if (c.error) {
      ASSERT_FALSE(verdict);
      EXPECT_EQ(verdict.error(), make_error_code(*c.error));
      EXPECT_EQ(request_error_status(*c.error), 409u);
      continue;
    }
    ASSERT_TRUE(verdict) << verdict.error().message();
    EXPECT_EQ(verdict->repeated, c.repeated);
  }
}

TEST(BreakGlassHistory, CountsWhatMadeItARepeat) {
  const std::vector<PastBreakGlass> history = {
      past("db", 5 * 60, true, false),       // active, unreviewed, recent
      past("web", 3 * kHour, false, true),   // recent, reviewed
      past("web", 40 * kHour, false, false)  // old, unreviewed, not yet due
  };
  auto verdict = check_breakglass_history(settings(2), "db", history, kNow);
  ASSERT_TRUE(verdict);
  EXPECT_TRUE(verdict->repeated);
  EXPECT_EQ(verdict->active_of_role, 1);
  EXPECT_EQ(verdict->within_window, 2);
  EXPECT_EQ(verdict->unreviewed, 2);
}

TEST(BreakGlassHistory, TheRepeatWindowIsADay) {
  EXPECT_EQ(kBreakGlassRepeatWindow, 24h);
  // Exactly at the window's edge it no longer counts.
  auto edge =
      check_breakglass_history(settings(1), "db", {past("db", 24 * kHour, false, true)}, kNow);
  ASSERT_TRUE(edge);
  EXPECT_FALSE(edge->repeated);
}

}  // namespace
}  // namespace jit::approvals
