// ChallengeStore with shared challenges (docs/architecture.md, "Ceremonies across brokers"): two
// stores, as two brokers, over one table. The table here is a map with the semantics of the
// broker's PostgreSQL table (a take removes a row only for its purpose and user); the real table
// is exercised by tests/broker/postgres_ceremonies_it.cpp.
#include "approvals/challenge_store.hpp"

#include "approvals/request_binding.hpp"
#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>

namespace jit::approvals {
namespace {

using std::chrono::seconds;
using testing::kWebAuthnTestNow;

class TableOfChallenges final : public SharedChallenges {
 public:
  Result<void> publish(ca::ByteView challenge, ChallengePurpose purpose, std::string_view user,
                       ca::ByteView nonce, TimePoint expires_at) override {
    if (down) return ApprovalsErrc::unavailable;
    rows[key(challenge)] = {purpose, std::string(user), ca::Bytes(nonce.begin(), nonce.end()),
                            expires_at};
    return {};
  }
  Result<std::optional<Taken>> take(ca::ByteView challenge, ChallengePurpose purpose,
                                    std::string_view user) override {
    if (down) return ApprovalsErrc::unavailable;
    const auto found = rows.find(key(challenge));
    if (found == rows.end() || std::get<0>(found->second) != purpose ||
        std::get<1>(found->second) != user) {
      return std::optional<Taken>();
    }
    Taken taken{std::get<2>(found->second), std::get<3>(found->second)};
    rows.erase(found);
    return std::optional<Taken>(std::move(taken));
  }
  void withdraw(ca::ByteView challenge, ChallengePurpose) override { rows.erase(key(challenge)); }

  static std::string key(ca::ByteView challenge) { return std::string(ca::as_chars(challenge)); }

  std::map<std::string, std::tuple<ChallengePurpose, std::string, ca::Bytes, TimePoint>> rows;
  bool down = false;
};

class SharedChallengesTest : public ::testing::Test {
 protected:
  SharedChallengesTest() {
    first_.share_through(&table_);
    second_.share_through(&table_);
  }
  TableOfChallenges table_;
  ChallengeStore first_, second_;
};

TEST_F(SharedChallengesTest, OneBrokersChallengeIsAcceptedOnceByTheOther) {
  const auto challenge = first_.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  EXPECT_EQ(table_.rows.size(), 1u);
  EXPECT_TRUE(
      second_.consume(challenge, ChallengePurpose::login, "alice", kWebAuthnTestNow + seconds{1})
          .has_value());
  EXPECT_TRUE(table_.rows.empty());
  // Spent everywhere: at the broker that took it, and at the one that issued it.
  EXPECT_EQ(
      second_.consume(challenge, ChallengePurpose::login, "alice", kWebAuthnTestNow + seconds{2})
          .error(),
      ApprovalsErrc::challenge_mismatch);
  EXPECT_EQ(
      first_.consume(challenge, ChallengePurpose::login, "alice", kWebAuthnTestNow + seconds{2})
          .error(),
      ApprovalsErrc::replayed);
}

TEST_F(SharedChallengesTest, UsedWhereIssuedItIsGoneForTheOther) {
  const auto challenge = first_.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  EXPECT_TRUE(
      first_.consume(challenge, ChallengePurpose::login, "alice", kWebAuthnTestNow).has_value());
  EXPECT_EQ(second_.consume(challenge, ChallengePurpose::login, "alice", kWebAuthnTestNow).error(),
            ApprovalsErrc::challenge_mismatch);
}

TEST_F(SharedChallengesTest, AnotherUserOrPurposeDoesNotUseItUp) {
  const auto challenge = first_.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  EXPECT_EQ(second_.consume(challenge, ChallengePurpose::login, "bob", kWebAuthnTestNow).error(),
            ApprovalsErrc::challenge_mismatch);
  EXPECT_EQ(
      second_.consume(challenge, ChallengePurpose::presence, "alice", kWebAuthnTestNow).error(),
      ApprovalsErrc::challenge_mismatch);
  EXPECT_TRUE(
      second_.consume(challenge, ChallengePurpose::login, "alice", kWebAuthnTestNow).has_value());
}

TEST_F(SharedChallengesTest, ExpiryHoldsAtTheOtherBroker) {
  const auto challenge = first_.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  EXPECT_EQ(
      second_.consume(challenge, ChallengePurpose::login, "alice", kWebAuthnTestNow + seconds{120})
          .error(),
      ApprovalsErrc::expired);
}

TEST_F(SharedChallengesTest, AnApprovalNonceTravelsWithItsChallenge) {
  const ca::Bytes digest(kRequestDigestBytes, std::byte{7});
  const auto challenge = first_.issue_for_request(digest, "carol", kWebAuthnTestNow).value();
  auto consumed = second_.consume(challenge, ChallengePurpose::approval, "carol", kWebAuthnTestNow);
  ASSERT_TRUE(consumed.has_value());
  EXPECT_EQ(approval_challenge(digest, consumed->nonce).value(), challenge);
}

TEST_F(SharedChallengesTest, PushedOutOfAFullPoolIsPushedOutEverywhere) {
  ChallengeStoreLimits limits;
  limits.login = {100, 2, 0};
  ChallengeStore small(limits);
  small.share_through(&table_);
  const auto oldest = small.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  (void)small.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  (void)small.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  EXPECT_EQ(table_.rows.size(), 2u);
  EXPECT_EQ(second_.consume(oldest, ChallengePurpose::login, "alice", kWebAuthnTestNow).error(),
            ApprovalsErrc::challenge_mismatch);
}

TEST_F(SharedChallengesTest, AnUnreachableTableRefusesWithoutKeepingAnything) {
  table_.down = true;
  EXPECT_EQ(first_.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).error(),
            ApprovalsErrc::unavailable);
  EXPECT_EQ(first_.size(), 0u);
  table_.down = false;
  const auto challenge = first_.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  table_.down = true;
  EXPECT_EQ(first_.consume(challenge, ChallengePurpose::login, "alice", kWebAuthnTestNow).error(),
            ApprovalsErrc::unavailable);
}

}  // namespace
}  // namespace jit::approvals
