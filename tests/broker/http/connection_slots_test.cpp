#include "broker/http/connection_slots.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

TEST(ConnectionSlots, SourceAtItsCapEvictsItsOwnOldestHandshake) {
  ConnectionSlots slots(10, 2);
  std::vector<ConnectionSlots::Id> evicted;
  const auto other = slots.admit("10.0.0.9", evicted);
  const auto first = slots.admit("10.0.0.1", evicted);
  const auto second = slots.admit("10.0.0.1", evicted);
  ASSERT_TRUE(other && first && second);
  EXPECT_TRUE(evicted.empty());
  const auto third = slots.admit("10.0.0.1", evicted);
  ASSERT_TRUE(third);
  EXPECT_EQ(evicted, std::vector<ConnectionSlots::Id>{*first});  // not the other source's
  EXPECT_EQ(slots.held_by("10.0.0.1"), 2u);
  EXPECT_EQ(slots.size(), 3u);
}

TEST(ConnectionSlots, EstablishedConnectionsAreNeverEvicted) {
  ConnectionSlots slots(10, 2);
  std::vector<ConnectionSlots::Id> evicted;
  const auto first = slots.admit("10.0.0.1", evicted);
  const auto second = slots.admit("10.0.0.1", evicted);
  slots.handshake_done(*first);
  const auto third = slots.admit("10.0.0.1", evicted);
  EXPECT_EQ(evicted, std::vector<ConnectionSlots::Id>{*second});
  slots.handshake_done(*third);
  evicted.clear();
  EXPECT_FALSE(slots.admit("10.0.0.1", evicted));  // both established: the newcomer is refused
  EXPECT_TRUE(evicted.empty());
  EXPECT_EQ(slots.held_by("10.0.0.1"), 2u);
  EXPECT_TRUE(slots.admit("10.0.0.2", evicted));
}

TEST(ConnectionSlots, FullServerEvictsTheOldestHandshakeOfAnySource) {
  ConnectionSlots slots(3, 2);
  std::vector<ConnectionSlots::Id> evicted;
  const auto a = slots.admit("10.0.0.1", evicted);
  const auto b = slots.admit("10.0.0.2", evicted);
  const auto c = slots.admit("10.0.0.3", evicted);
  slots.handshake_done(*a);
  const auto d = slots.admit("10.0.0.4", evicted);
  ASSERT_TRUE(d);
  EXPECT_EQ(evicted, std::vector<ConnectionSlots::Id>{*b});
  EXPECT_EQ(slots.size(), 3u);
  slots.handshake_done(*c);
  slots.handshake_done(*d);
  evicted.clear();
  EXPECT_FALSE(slots.admit("10.0.0.5", evicted));
  EXPECT_TRUE(evicted.empty());
}

TEST(ConnectionSlots, BothCapsAtOnceEvictTwoAndReleaseIsIdempotent) {
  ConnectionSlots slots(2, 1);
  std::vector<ConnectionSlots::Id> evicted;
  const auto a = slots.admit("10.0.0.1", evicted);
  const auto b = slots.admit("10.0.0.2", evicted);
  // 10.0.0.1 is at its cap (evicts a); then one of two slots is held, so no second eviction.
  const auto c = slots.admit("10.0.0.1", evicted);
  ASSERT_TRUE(c);
  EXPECT_EQ(evicted, std::vector<ConnectionSlots::Id>{*a});
  slots.release(*a);  // the evicted session's destructor: nothing more happens
  EXPECT_EQ(slots.size(), 2u);
  slots.release(*b);
  slots.release(*c);
  EXPECT_EQ(slots.size(), 0u);
  EXPECT_EQ(slots.held_by("10.0.0.1"), 0u);
}

}  // namespace
}  // namespace jit::broker
