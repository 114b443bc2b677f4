// Invariant 3, "a certificate never outlives its grant": the one rule that decides the validity of
// every SSH and X.509 certificate minted for a grant (approvals/grant_rules.hpp).
#include "approvals/approvals_error.hpp"
#include "approvals/grant_rules.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using namespace std::chrono_literals;

GrantSnapshot grant_from(std::int64_t not_before, std::int64_t not_after) {
  GrantSnapshot grant;
  grant.id = "grt-1";
  grant.user = "alice";
  grant.role = "prod-db-read";
  grant.not_before = not_before;
  grant.not_after = not_after;
  return grant;
}

TEST(CertificateWindow, StartsBackdatedAndEndsExactlyAtTheGrantsEnd) {
  const auto grant = grant_from(1'000'000, 1'003'600);
  auto ssh = certificate_window(grant, 30s, 1'000'100, std::nullopt);
  ASSERT_TRUE(ssh);
  EXPECT_EQ(ssh->not_before, 1'000'070);
  EXPECT_EQ(ssh->not_after, 1'003'600);

  auto x509 = certificate_window(grant, 30s, 1'000'100, IssuerValidity{0, 2'000'000});
  ASSERT_TRUE(x509);
  EXPECT_EQ(x509->not_before, 1'000'070);
  EXPECT_EQ(x509->not_after, 1'003'600);

  auto unskewed = certificate_window(grant, 0s, 1'003'599, std::nullopt);
  ASSERT_TRUE(unskewed);
  EXPECT_EQ(unskewed->not_before, 1'003'599);
  EXPECT_EQ(unskewed->not_after, 1'003'600);
}

TEST(CertificateWindow, NoCertificateOnceTheGrantHasEnded) {
  const auto grant = grant_from(1'000'000, 1'003'600);
  EXPECT_EQ(certificate_window(grant, 30s, 1'003'600, std::nullopt).error(),
            RequestErrc::grant_not_active);
  EXPECT_EQ(certificate_window(grant, 30s, 1'003'601, IssuerValidity{0, 2'000'000}).error(),
            RequestErrc::grant_not_active);
}

// Issue 14 E22: never cut short, so a grant that ends after the issuing CA certificate gets no
// X.509 certificate; ending exactly when the issuer does is covered.
TEST(CertificateWindow, AnX509CertificateNeverOutlivesItsIssuer) {
  const auto grant = grant_from(1'000'000, 1'003'600);
  EXPECT_EQ(certificate_window(grant, 30s, 1'000'100, IssuerValidity{0, 1'003'599}).error(),
            RequestErrc::grant_outlasts_ca);
  auto exact = certificate_window(grant, 30s, 1'000'100, IssuerValidity{0, 1'003'600});
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->not_after, 1'003'600);
}

TEST(CertificateWindow, ABackdateStopsAtTheIssuersStart) {
  const auto grant = grant_from(1'000'000, 1'003'600);
  auto early = certificate_window(grant, 600s, 1'000'010, IssuerValidity{1'000'000, 2'000'000});
  ASSERT_TRUE(early);
  EXPECT_EQ(early->not_before, 1'000'000);
}

TEST(CertificateWindow, BackdateIsBounded) {
  const auto grant = grant_from(1'000'000, 1'003'600);
  EXPECT_EQ(certificate_window(grant, -1s, 1'000'100, std::nullopt).error(),
            ApprovalsErrc::invalid_input);
  EXPECT_EQ(certificate_window(grant, kMaxBackdate + 1s, 1'000'100, std::nullopt).error(),
            ApprovalsErrc::invalid_input);
  auto widest = certificate_window(grant, kMaxBackdate, 1'000'100, std::nullopt);
  ASSERT_TRUE(widest);
  EXPECT_EQ(widest->not_before, 1'000'100 - 3600);
  // A start before 1970 cannot be written.
  EXPECT_EQ(certificate_window(grant_from(0, 3600), 30s, 10, std::nullopt).error(),
            ApprovalsErrc::invalid_input);
}

}  // namespace
}  // namespace jit::approvals
