#include "approvals/challenge_store.hpp"

#include "approvals/request_binding.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace jit::approvals {
namespace {

using std::chrono::seconds;

const TimePoint kNow = from_unix_seconds(1700000000);

TEST(ChallengeStore, IssuesRandom32ByteChallenges) {
  ChallengeStore store;
  const ca::Bytes a = store.issue(ChallengePurpose::login, "alice", kNow).value();
  const ca::Bytes b = store.issue(ChallengePurpose::login, "alice", kNow).value();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(store.size(), 2u);
}

TEST(ChallengeStore, ConsumedExactlyOnce) {
  ChallengeStore store;
  const ca::Bytes challenge = store.issue(ChallengePurpose::login, "alice", kNow).value();
  auto consumed = store.consume(challenge, ChallengePurpose::login, "alice", kNow + seconds{1});
  ASSERT_TRUE(consumed.has_value());
  EXPECT_TRUE(consumed->nonce.empty());
  EXPECT_EQ(store.consume(challenge, ChallengePurpose::login, "alice", kNow + seconds{2}).error(),
            ApprovalsErrc::replayed);
}

TEST(ChallengeStore, ExpiresAfterTwoMinutes) {
  ChallengeStore store;
  const ca::Bytes last_moment = store.issue(ChallengePurpose::login, "alice", kNow).value();
  const ca::Bytes too_late = store.issue(ChallengePurpose::login, "alice", kNow).value();
  EXPECT_TRUE(store.consume(last_moment, ChallengePurpose::login, "alice", kNow + seconds{119})
                  .has_value());
  EXPECT_EQ(store.consume(too_late, ChallengePurpose::login, "alice", kNow + seconds{120}).error(),
            ApprovalsErrc::expired);
  // Once expired it is gone.
  EXPECT_EQ(store.consume(too_late, ChallengePurpose::login, "alice", kNow + seconds{121}).error(),
            ApprovalsErrc::challenge_mismatch);
}

TEST(ChallengeStore, BoundToPurposeAndUserWithoutBeingUsedUp) {
  ChallengeStore store;
  const ca::Bytes challenge = store.issue(ChallengePurpose::registration, "alice", kNow).value();
  EXPECT_EQ(store.consume(challenge, ChallengePurpose::login, "alice", kNow).error(),
            ApprovalsErrc::challenge_mismatch);
  EXPECT_EQ(store.consume(challenge, ChallengePurpose::registration, "bob", kNow).error(),
            ApprovalsErrc::challenge_mismatch);
  EXPECT_TRUE(store.consume(challenge, ChallengePurpose::registration, "alice", kNow).has_value());
}

TEST(ChallengeStore, UnknownChallenges) {
  ChallengeStore store;
  EXPECT_EQ(store.consume(ca::Bytes(32), ChallengePurpose::login, "alice", kNow).error(),
            ApprovalsErrc::challenge_mismatch);
  EXPECT_EQ(store.consume(ca::Bytes(), ChallengePurpose::login, "alice", kNow).error(),
            ApprovalsErrc::challenge_mismatch);
}

TEST(ChallengeStore, BoundsUserNames) {
  ChallengeStore store;
  EXPECT_TRUE(store.issue(ChallengePurpose::login, std::string(256, 'u'), kNow).has_value());
  EXPECT_EQ(store.issue(ChallengePurpose::login, std::string(257, 'u'), kNow).error(),
            ApprovalsErrc::invalid_input);
  EXPECT_EQ(store.size(), 1u);
}

TEST(ChallengeStore, PrunesExpiredEntriesAndBoundsItsSize) {
  ChallengeStoreLimits limits;
  limits.login = {3, 64, 0};
  ChallengeStore store(limits);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store.issue(ChallengePurpose::login, "u", kNow));
  EXPECT_EQ(store.issue(ChallengePurpose::login, "u", kNow + seconds{119}).error(),
            ApprovalsErrc::unavailable);
  // At expiry the old ones are pruned and there is room again.
  EXPECT_TRUE(store.issue(ChallengePurpose::login, "u", kNow + seconds{120}).has_value());
  EXPECT_EQ(store.size(), 1u);
  store.prune(kNow + seconds{240});
  EXPECT_EQ(store.size(), 0u);
}

TEST(ChallengeStore, AFullLoginPoolLeavesTheOtherPurposes) {
  ChallengeStoreLimits limits;
  limits.login = {3, 64, 0};
  ChallengeStore store(limits);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store.issue(ChallengePurpose::login, "u" + std::to_string(i), kNow));
  }
  EXPECT_EQ(store.issue(ChallengePurpose::login, "u9", kNow).error(), ApprovalsErrc::unavailable);
  EXPECT_TRUE(store.issue(ChallengePurpose::presence, "carol", kNow).has_value());
  EXPECT_TRUE(store.issue(ChallengePurpose::registration, "carol", kNow).has_value());
  const ca::Bytes digest = request_digest({"r-1", "alice", "db", 3600, "why", "T-1", {}}).value();
  EXPECT_TRUE(store.issue_for_request(digest, "carol", kNow).has_value());
  EXPECT_EQ(store.size(ChallengePurpose::login), 3u);
  EXPECT_EQ(store.size(), 6u);
  // A challenge is looked up in its own purpose's pool only.
  const ca::Bytes presence = store.issue(ChallengePurpose::presence, "carol", kNow).value();
  EXPECT_EQ(store.consume(presence, ChallengePurpose::login, "carol", kNow).error(),
            ApprovalsErrc::challenge_mismatch);
  EXPECT_TRUE(store.consume(presence, ChallengePurpose::presence, "carol", kNow).has_value());
}

TEST(ChallengeStore, EachSourceHasAQuotaOfLiveChallenges) {
  ChallengeStoreLimits limits;
  limits.login = {100, 64, 2};
  ChallengeStore store(limits);
  ASSERT_TRUE(store.issue(ChallengePurpose::login, "a", "192.0.2.1", kNow));
  const ca::Bytes used = store.issue(ChallengePurpose::login, "b", "192.0.2.1", kNow).value();
  EXPECT_EQ(store.issue(ChallengePurpose::login, "c", "192.0.2.1", kNow).error(),
            ApprovalsErrc::rate_limited);
  // Consumed challenges still count until they expire (they are kept to report replays).
  ASSERT_TRUE(store.consume(used, ChallengePurpose::login, "b", kNow));
  EXPECT_EQ(store.issue(ChallengePurpose::login, "c", "192.0.2.1", kNow).error(),
            ApprovalsErrc::rate_limited);
  EXPECT_TRUE(store.issue(ChallengePurpose::login, "c", "192.0.2.2", kNow).has_value());
  EXPECT_TRUE(store.issue(ChallengePurpose::login, "c", "192.0.2.1", kNow + seconds{120}));
  EXPECT_EQ(store.issue(ChallengePurpose::login, "c", std::string(65, '1'), kNow).error(),
            ApprovalsErrc::invalid_input);
}

TEST(ChallengeStore, ANamesNewestChallengePushesItsOldestOut) {
  ChallengeStoreLimits limits;
  limits.presence = {100, 2, 0};
  ChallengeStore store(limits);
  const ca::Bytes first = store.issue(ChallengePurpose::presence, "carol", kNow).value();
  const ca::Bytes second = store.issue(ChallengePurpose::presence, "carol", kNow).value();
  const ca::Bytes third = store.issue(ChallengePurpose::presence, "carol", kNow).value();
  const ca::Bytes other = store.issue(ChallengePurpose::presence, "dave", kNow).value();
  EXPECT_EQ(store.size(ChallengePurpose::presence), 3u);
  EXPECT_EQ(store.consume(first, ChallengePurpose::presence, "carol", kNow).error(),
            ApprovalsErrc::challenge_mismatch);
  EXPECT_TRUE(store.consume(second, ChallengePurpose::presence, "carol", kNow).has_value());
  EXPECT_TRUE(store.consume(third, ChallengePurpose::presence, "carol", kNow).has_value());
  EXPECT_TRUE(store.consume(other, ChallengePurpose::presence, "dave", kNow).has_value());
  // Cycling through one name's slots many times keeps the store bounded.
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(store.issue(ChallengePurpose::presence, "carol", kNow));
  EXPECT_EQ(store.size(ChallengePurpose::presence), 3u);
}

TEST(ChallengeStore, RequestBoundChallengesCarryTheirNonce) {
  ChallengeStore store;
  const ca::Bytes digest = request_digest({"r-1", "alice", "db", 3600, "why", "T-1", {}}).value();
  const ca::Bytes challenge = store.issue_for_request(digest, "carol", kNow).value();
  auto consumed = store.consume(challenge, ChallengePurpose::approval, "carol", kNow);
  ASSERT_TRUE(consumed.has_value());
  EXPECT_EQ(consumed->nonce.size(), 32u);
  EXPECT_EQ(approval_challenge(digest, consumed->nonce).value(), challenge);
  EXPECT_EQ(store.issue_for_request(ca::Bytes(31), "carol", kNow).error(),
            ApprovalsErrc::invalid_input);
}

TEST(ChallengeStore, ConcurrentUseConsumesEachChallengeOnce) {
  ChallengeStore store;
  std::vector<ca::Bytes> challenges;
  // A name each: one name keeps at most 64 live login challenges.
  for (int i = 0; i < 200; ++i) {
    challenges.push_back(
        store.issue(ChallengePurpose::login, "u" + std::to_string(i), kNow).value());
  }
  std::atomic<int> accepted{0};
  std::atomic<int> replayed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (std::size_t i = 0; i < challenges.size(); ++i) {
        auto result =
            store.consume(challenges[i], ChallengePurpose::login, "u" + std::to_string(i), kNow);
        if (result) {
          ++accepted;
        } else if (result.error() == ApprovalsErrc::replayed) {
          ++replayed;
        }
        (void)store.issue(ChallengePurpose::presence, "bob", kNow);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 200);
  EXPECT_EQ(replayed.load(), 600);
}

}  // namespace
}  // namespace jit::approvals
