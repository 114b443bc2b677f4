#include "approvals/pending_limits.hpp"

#include "approvals/request_errors.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

TEST(PendingLimits, RoomUntilEitherCapIsReached) {
  const PendingLimits limits{3, 10};
  EXPECT_TRUE(check_pending_room({0, 0}, limits));
  EXPECT_TRUE(check_pending_room({2, 9}, limits));
  EXPECT_EQ(check_pending_room({3, 3}, limits).error(), RequestErrc::too_many_pending_for_role);
  EXPECT_EQ(check_pending_room({1, 10}, limits).error(), RequestErrc::too_many_pending);
  // The role's cap is named first: cancelling one of that role is what helps.
  EXPECT_EQ(check_pending_room({3, 10}, limits).error(), RequestErrc::too_many_pending_for_role);
  EXPECT_EQ(request_error_status(RequestErrc::too_many_pending), 409u);
  EXPECT_EQ(request_error_name(RequestErrc::too_many_pending_for_role),
            "too_many_pending_for_role");
}

}  // namespace
}  // namespace jit::approvals
