#include "approvals/audit_budget.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using namespace std::chrono_literals;

const TimePoint kBudgetStart = TimePoint(std::chrono::seconds(1'800'000'000));

TEST(AuditBudget, RecordsUpToTheBudgetPerKeyThenCounts) {
  AuditBudget budget(2, 60s);
  EXPECT_TRUE(budget.admit("unknown", kBudgetStart).record);
  EXPECT_TRUE(budget.admit("unknown", kBudgetStart + 1s).record);
  EXPECT_FALSE(budget.admit("unknown", kBudgetStart + 2s).record);
  EXPECT_FALSE(budget.admit("unknown", kBudgetStart + 59s).record);
  EXPECT_TRUE(budget.admit("user/alice", kBudgetStart + 3s).record);  // a key of its own
  EXPECT_EQ(budget.suppressed_total(), 2u);
  // The window is over: the next record says how many were left out, the one after does not.
  const auto next = budget.admit("unknown", kBudgetStart + 60s);
  EXPECT_TRUE(next.record);
  EXPECT_EQ(next.suppressed_before, 2u);
  const auto after = budget.admit("unknown", kBudgetStart + 61s);
  EXPECT_TRUE(after.record);
  EXPECT_EQ(after.suppressed_before, 0u);
  EXPECT_FALSE(budget.admit("unknown", kBudgetStart + 62s).record);
}

TEST(AuditBudget, AClockThatWentBackStartsANewWindow) {
  AuditBudget budget(1, 60s);
  EXPECT_TRUE(budget.admit("k", kBudgetStart).record);
  EXPECT_FALSE(budget.admit("k", kBudgetStart + 1s).record);
  const auto back = budget.admit("k", kBudgetStart - 3600s);
  EXPECT_TRUE(back.record);
  EXPECT_EQ(back.suppressed_before, 1u);
}

TEST(AuditBudget, ManyKeysAreForgottenOnceTheirWindowIsOver) {
  AuditBudget budget(1, 60s);
  for (int i = 0; i < 5000; ++i)
    EXPECT_TRUE(budget.admit("k" + std::to_string(i), kBudgetStart).record);
  // Still within the window: a key seen before keeps its count.
  EXPECT_FALSE(budget.admit("k1", kBudgetStart + 1s).record);
  // Later, old keys are pruned and admitting goes on as before.
  EXPECT_TRUE(budget.admit("fresh", kBudgetStart + 120s).record);
  const auto owed = budget.admit("k1", kBudgetStart + 120s);
  EXPECT_TRUE(owed.record);
  EXPECT_EQ(owed.suppressed_before, 1u);  // a key that owes a count is never forgotten
}

}  // namespace
}  // namespace jit::approvals
