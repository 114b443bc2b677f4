#include "approvals/password_hash.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

namespace jit::approvals {
namespace {

// Cheap parameters keep the unit tests fast; one test below runs the production cost.
constexpr ScryptParams kCheap{4, 8, 1};

TEST(PasswordHash, RoundTripAndSelfDescribingFormat) {
  const std::string stored = hash_password("correct horse", kCheap).value();
  EXPECT_TRUE(stored.starts_with("$scrypt$ln=4,r=8,p=1$")) << stored;
  EXPECT_TRUE(verify_password("correct horse", stored).has_value());
  // A second hash of the same password has another salt.
  EXPECT_NE(hash_password("correct horse", kCheap).value(), stored);
}

TEST(PasswordHash, WrongPasswordIsUnauthenticated) {
  const std::string stored = hash_password("correct horse", kCheap).value();
  EXPECT_EQ(verify_password("correct hors", stored).error(), ApprovalsErrc::unauthenticated);
  EXPECT_EQ(verify_password("", stored).error(), ApprovalsErrc::unauthenticated);
  EXPECT_EQ(verify_password("Correct horse", stored).error(), ApprovalsErrc::unauthenticated);
}

TEST(PasswordHash, TamperedEncodingIsRefused) {
  const std::string stored = hash_password("pw", kCheap).value();
  // Structural damage does not parse.
  for (std::string bad :
       {std::string(""), std::string("$scrypt$"), std::string("$bcrypt$") + stored.substr(8),
        stored.substr(0, 30), stored + "$", stored + "AA"}) {
    EXPECT_EQ(verify_password("pw", bad).error(), ApprovalsErrc::invalid_input) << bad;
  }
  auto replace = [&](std::string_view from, std::string_view to) {
    std::string copy = stored;
    copy.replace(copy.find(from), from.size(), to);
    return copy;
  };
  EXPECT_EQ(verify_password("pw", replace("ln=4", "ln=04")).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(verify_password("pw", replace("ln=4", "ln=40")).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(verify_password("pw", replace("r=8", "r=0")).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(verify_password("pw", replace("p=1", "p=-1")).error(), ApprovalsErrc::invalid_input);
  // A 2^20 * 32 * 128-byte table (4 GiB) is refused before any allocation.
  EXPECT_EQ(verify_password("pw", replace("ln=4,r=8", "ln=20,r=32")).error(),
            ApprovalsErrc::invalid_input);
  // Other parameters that parse: the hash no longer matches.
  EXPECT_EQ(verify_password("pw", replace("ln=4", "ln=5")).error(), ApprovalsErrc::unauthenticated);
  // A flipped character in the hash part still parses but does not match.
  std::string flipped = stored;
  const std::size_t last_dollar = flipped.rfind('$');
  flipped[last_dollar + 1] = flipped[last_dollar + 1] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_password("pw", flipped).error(), ApprovalsErrc::unauthenticated);
}

TEST(PasswordHash, RefusesUnusableInput) {
  EXPECT_EQ(hash_password("", kCheap).error(), ApprovalsErrc::invalid_input);
  const std::string long_password(kMaxPasswordBytes + 1, 'x');
  EXPECT_EQ(hash_password(long_password, kCheap).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(hash_password("pw", ScryptParams{0, 8, 1}).error(), ApprovalsErrc::invalid_input);
  const std::string stored = hash_password("pw", kCheap).value();
  EXPECT_EQ(verify_password(long_password, stored).error(), ApprovalsErrc::invalid_input);
}

TEST(PasswordHash, NeedsRehash) {
  const std::string stored = hash_password("pw", kCheap).value();
  EXPECT_FALSE(needs_rehash(stored, kCheap));
  EXPECT_TRUE(needs_rehash(stored, ScryptParams{5, 8, 1}));
  EXPECT_TRUE(needs_rehash(stored));  // the default cost is higher
  EXPECT_TRUE(needs_rehash("garbage", kCheap));
}

TEST(PasswordHash, DummyVerifyFailsLikeAWrongPassword) {
  const std::string stored = hash_password("pw", kCheap).value();
  const auto wrong = verify_password("guess", stored);
  const auto unknown = dummy_verify("guess", kCheap);
  ASSERT_TRUE(wrong.has_error());
  ASSERT_TRUE(unknown.has_error());
  EXPECT_EQ(wrong.error(), unknown.error());
  EXPECT_EQ(dummy_verify("pw", kCheap).error(), ApprovalsErrc::unauthenticated);
}

double milliseconds_of(auto&& call) {
  const auto start = std::chrono::steady_clock::now();
  call();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// The one test at production cost: prints the figures and checks that dummy_verify does the same
// work (same parameters, so the same memory and hashing); timing is only printed, never asserted.
TEST(PasswordHash, DefaultCostFigures) {
  std::string stored;
  const double hash_ms = milliseconds_of([&] { stored = hash_password("pw").value(); });
  EXPECT_TRUE(stored.starts_with("$scrypt$ln=14,r=8,p=2$"));
  const double verify_ms = milliseconds_of([&] { EXPECT_TRUE(verify_password("pw", stored)); });
  const double dummy_ms = milliseconds_of([&] { EXPECT_FALSE(dummy_verify("pw")); });
  std::printf("scrypt ln=14 r=8 p=2: hash %.1f ms, verify %.1f ms, dummy_verify %.1f ms\n", hash_ms,
              verify_ms, dummy_ms);
}

}  // namespace
}  // namespace jit::approvals
