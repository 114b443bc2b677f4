#include "approvals/challenge_store.hpp"

#include "approvals/request_binding.hpp"
#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace jit::approvals {
namespace {

using std::chrono::seconds;
using testing::kWebAuthnTestNow;

TEST(ChallengeStore, IssuesRandom32ByteChallenges) {
  ChallengeStore store;
  const ca::Bytes a = store.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  const ca::Bytes b = store.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(store.size(), 2u);
}

TEST(ChallengeStore, ConsumedExactlyOnce) {
  ChallengeStore store;
  const ca::Bytes challenge =
      store.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  auto consumed =
      store.consume(challenge, ChallengePurpose::login, "alice", kWebAuthnTestNow + seconds{1});
  ASSERT_TRUE(consumed.has_value());
  EXPECT_TRUE(consumed->nonce.empty());
  EXPECT_EQ(
      store.consume(challenge, ChallengePurpose::login, "alice", kWebAuthnTestNow + seconds{2})
          .error(),
      ApprovalsErrc::replayed);
}

TEST(ChallengeStore, ExpiresAfterTwoMinutes) {
  ChallengeStore store;
  const ca::Bytes last_moment =
      store.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  const ca::Bytes too_late =
      store.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  EXPECT_TRUE(
      store.consume(last_moment, ChallengePurpose::login, "alice", kWebAuthnTestNow + seconds{119})
          .has_value());
  EXPECT_EQ(
      store.consume(too_late, ChallengePurpose::login, "alice", kWebAuthnTestNow + seconds{120})
          .error(),
      ApprovalsErrc::expired);
  // Once expired it is gone.
  EXPECT_EQ(
      store.consume(too_late, ChallengePurpose::login, "alice", kWebAuthnTestNow + seconds{121})
          .error(),
      ApprovalsErrc::challenge_mismatch);
}

TEST(ChallengeStore, BoundToPurposeAndUserWithoutBeingUsedUp) {
  ChallengeStore store;
  const ca::Bytes challenge =
      store.issue(ChallengePurpose::registration, "alice", kWebAuthnTestNow).value();
  EXPECT_EQ(store.consume(challenge, ChallengePurpose::login, "alice", kWebAuthnTestNow).error(),
            ApprovalsErrc::challenge_mismatch);
  EXPECT_EQ(
      store.consume(challenge, ChallengePurpose::registration, "bob", kWebAuthnTestNow).error(),
      ApprovalsErrc::challenge_mismatch);
  EXPECT_TRUE(store.consume(challenge, ChallengePurpose::registration, "alice", kWebAuthnTestNow)
                  .has_value());
}

TEST(ChallengeStore, UnknownChallenges) {
  ChallengeStore store;
  EXPECT_EQ(
      store.consume(ca::Bytes(32), ChallengePurpose::login, "alice", kWebAuthnTestNow).error(),
      ApprovalsErrc::challenge_mismatch);
  EXPECT_EQ(store.consume(ca::Bytes(), ChallengePurpose::login, "alice", kWebAuthnTestNow).error(),
            ApprovalsErrc::challenge_mismatch);
}

TEST(ChallengeStore, BoundsUserNames) {
  ChallengeStore store;
  EXPECT_TRUE(
      store.issue(ChallengePurpose::login, std::string(256, 'u'), kWebAuthnTestNow).has_value());
  EXPECT_EQ(store.issue(ChallengePurpose::login, std::string(257, 'u'), kWebAuthnTestNow).error(),
            ApprovalsErrc::invalid_input);
  EXPECT_EQ(store.size(), 1u);
}

TEST(ChallengeStore, PrunesExpiredEntriesAndBoundsItsSize) {
  ChallengeStoreLimits limits;
  limits.login = {3, 64, 0};
  ChallengeStore store(limits);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(store.issue(ChallengePurpose::login, "u", kWebAuthnTestNow));
  EXPECT_EQ(store.issue(ChallengePurpose::login, "u", kWebAuthnTestNow + seconds{119}).error(),
            ApprovalsErrc::unavailable);
  // At expiry the old ones are pruned and there is room again.
  EXPECT_TRUE(
      store.issue(ChallengePurpose::login, "u", kWebAuthnTestNow + seconds{120}).has_value());
  EXPECT_EQ(store.size(), 1u);
  store.prune(kWebAuthnTestNow + seconds{240});
  EXPECT_EQ(store.size(), 0u);
}

TEST(ChallengeStore, AFullLoginPoolLeavesTheOtherPurposes) {
  ChallengeStoreLimits limits;
  limits.login = {3, 64, 0};
  ChallengeStore store(limits);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store.issue(ChallengePurpose::login, "u" + std::to_string(i), kWebAuthnTestNow));
  }
  EXPECT_EQ(store.issue(ChallengePurpose::login, "u9", kWebAuthnTestNow).error(),
            ApprovalsErrc::unavailable);
  EXPECT_TRUE(store.issue(ChallengePurpose::presence, "carol", kWebAuthnTestNow).has_value());
  EXPECT_TRUE(store.issue(ChallengePurpose::registration, "carol", kWebAuthnTestNow).has_value());
  const ca::Bytes digest = request_digest({"r-1", "alice", "db", 3600, "why", "T-1", {}}).value();
  EXPECT_TRUE(store.issue_for_request(digest, "carol", kWebAuthnTestNow).has_value());
  EXPECT_EQ(store.size(ChallengePurpose::login), 3u);
  EXPECT_EQ(store.size(), 6u);
  // A challenge is looked up in its own purpose's pool only.
  const ca::Bytes presence =
      store.issue(ChallengePurpose::presence, "carol", kWebAuthnTestNow).value();
  EXPECT_EQ(store.consume(presence, ChallengePurpose::login, "carol", kWebAuthnTestNow).error(),
            ApprovalsErrc::challenge_mismatch);
  EXPECT_TRUE(
      store.consume(presence, ChallengePurpose::presence, "carol", kWebAuthnTestNow).has_value());
}

TEST(ChallengeStore, EachSourceHasAQuotaOfLiveChallenges) {
  ChallengeStoreLimits limits;
  limits.login = {100, 64, 2};
  ChallengeStore store(limits);
  ASSERT_TRUE(store.issue(ChallengePurpose::login, "a", "192.0.2.1", kWebAuthnTestNow));
  const ca::Bytes used =
      store.issue(ChallengePurpose::login, "b", "192.0.2.1", kWebAuthnTestNow).value();
  EXPECT_EQ(store.issue(ChallengePurpose::login, "c", "192.0.2.1", kWebAuthnTestNow).error(),
            ApprovalsErrc::rate_limited);
  // Consumed challenges still count until they expire (they are kept to report replays).
  ASSERT_TRUE(store.consume(used, ChallengePurpose::login, "b", kWebAuthnTestNow));
  EXPECT_EQ(store.issue(ChallengePurpose::login, "c", "192.0.2.1", kWebAuthnTestNow).error(),
            ApprovalsErrc::rate_limited);
  EXPECT_TRUE(store.issue(ChallengePurpose::login, "c", "192.0.2.2", kWebAuthnTestNow).has_value());
  EXPECT_TRUE(
      store.issue(ChallengePurpose::login, "c", "192.0.2.1", kWebAuthnTestNow + seconds{120}));
  EXPECT_EQ(
      store.issue(ChallengePurpose::login, "c", std::string(65, '1'), kWebAuthnTestNow).error(),
      ApprovalsErrc::invalid_input);
}

TEST(ChallengeStore, ANamesNewestChallengePushesItsOldestOut) {
  ChallengeStoreLimits limits;
  limits.presence = {100, 2, 0};
  ChallengeStore store(limits);
  const ca::Bytes first =
      store.issue(ChallengePurpose::presence, "carol", kWebAuthnTestNow).value();
  const ca::Bytes second =
      store.issue(ChallengePurpose::presence, "carol", kWebAuthnTestNow).value();
  const ca::Bytes third =
      store.issue(ChallengePurpose::presence, "carol", kWebAuthnTestNow).value();
  const ca::Bytes other = store.issue(ChallengePurpose::presence, "dave", kWebAuthnTestNow).value();
  EXPECT_EQ(store.size(ChallengePurpose::presence), 3u);
  EXPECT_EQ(store.consume(first, ChallengePurpose::presence, "carol", kWebAuthnTestNow).error(),
            ApprovalsErrc::challenge_mismatch);
  EXPECT_TRUE(
      store.consume(second, ChallengePurpose::presence, "carol", kWebAuthnTestNow).has_value());
  EXPECT_TRUE(
      store.consume(third, ChallengePurpose::presence, "carol", kWebAuthnTestNow).has_value());
  EXPECT_TRUE(
      store.consume(other, ChallengePurpose::presence, "dave", kWebAuthnTestNow).has_value());
  // Cycling through one name's slots many times keeps the store bounded.
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(store.issue(ChallengePurpose::presence, "carol", kWebAuthnTestNow));
  EXPECT_EQ(store.size(ChallengePurpose::presence), 3u);
}

TEST(ChallengeStore, RequestBoundChallengesCarryTheirNonce) {
  ChallengeStore store;
  const ca::Bytes digest = request_digest({"r-1", "alice", "db", 3600, "why", "T-1", {}}).value();
  const ca::Bytes challenge = store.issue_for_request(digest, "carol", kWebAuthnTestNow).value();
  auto consumed = store.consume(challenge, ChallengePurpose::approval, "carol", kWebAuthnTestNow);
  ASSERT_TRUE(consumed.has_value());
  EXPECT_EQ(consumed->nonce.size(), 32u);
  EXPECT_EQ(approval_challenge(digest, consumed->nonce).value(), challenge);
  EXPECT_EQ(store.issue_for_request(ca::Bytes(31), "carol", kWebAuthnTestNow).error(),
            ApprovalsErrc::invalid_input);
}

TEST(ChallengeStore, ConcurrentUseConsumesEachChallengeOnce) {
  ChallengeStore store;
  std::vector<ca::Bytes> challenges;
  // A name each: one name keeps at most 64 live login challenges.
  for (int i = 0; i < 200; ++i) {
    challenges.push_back(
        store.issue(ChallengePurpose::login, "u" + std::to_string(i), kWebAuthnTestNow).value());
  }
  std::atomic<int> accepted{0};
  std::atomic<int> replayed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (std::size_t i = 0; i < challenges.size(); ++i) {
        auto result = store.consume(challenges[i], ChallengePurpose::login, "u" + std::to_string(i),
                                    kWebAuthnTestNow);
        if (result) {
          ++accepted;
        } else if (result.error() == ApprovalsErrc::replayed) {
          ++replayed;
        }
        (void)store.issue(ChallengePurpose::presence, "bob", kWebAuthnTestNow);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 200);
  EXPECT_EQ(replayed.load(), 600);
}

}  // namespace
}  // namespace jit::approvals
