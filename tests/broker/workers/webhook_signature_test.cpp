// The webhook signature scheme against a vector computed by hand with OpenSSL's command line:
//   printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac 'test-secret-0123456789'
// and a receiver's check (tests/support/webhook_check.hpp) refusing a tampered body, another
// secret and an old timestamp.
#include "broker/workers/webhook_signature.hpp"
#include "tests/support/webhook_check.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

constexpr std::string_view kSignatureSecret = "test-secret-0123456789";
constexpr std::int64_t kTimestamp = 1700000000;
constexpr std::string_view kBody =
    R"({"id":"evt-1","event":"user.locked","time":1700000000,"data":{"user":"alice"}})";

jit::testing::ReceivedRequest delivery(std::string body, std::string signature,
                                       std::int64_t timestamp = kTimestamp) {
  return {"/hook",
          {{"x-jit-timestamp", std::to_string(timestamp)}, {"x-jit-signature", signature}},
          std::move(body)};
}

TEST(WebhookSignatureTest, MatchesTheOpensslTestVector) {
  EXPECT_EQ(webhook_signature(HmacSha256(kSignatureSecret), kTimestamp, kBody),
            "v1=c17b1e97b677c969a3247cbda8c9740e29fea4a42be8d765f2286c384b4fa336");
}

TEST(WebhookSignatureTest, OneKeyedMacSignsManyBodies) {
  const HmacSha256 mac(kSignatureSecret);
  const auto first = webhook_signature(mac, kTimestamp, kBody);
  EXPECT_NE(webhook_signature(mac, kTimestamp, "{}"), first);
  EXPECT_EQ(webhook_signature(mac, kTimestamp, kBody), first);
}

TEST(WebhookSignatureTest, ReceiverAcceptsTheGenuineDeliveryOnly) {
  const auto signature = webhook_signature(HmacSha256(kSignatureSecret), kTimestamp, kBody);
  EXPECT_EQ(jit::testing::webhook_problem(delivery(std::string(kBody), signature), kSignatureSecret,
                                          kTimestamp + 10),
            "");
  std::string tampered(kBody);
  tampered.replace(tampered.find("alice"), 5, "mallo");
  EXPECT_EQ(
      jit::testing::webhook_problem(delivery(tampered, signature), kSignatureSecret, kTimestamp),
      "signature does not match");
  EXPECT_EQ(jit::testing::webhook_problem(delivery(std::string(kBody), signature),
                                          "another-secret-0123456789", kTimestamp),
            "signature does not match");
  // The same signature under a later timestamp: the timestamp is signed too.
  EXPECT_EQ(jit::testing::webhook_problem(delivery(std::string(kBody), signature, kTimestamp + 1),
                                          kSignatureSecret, kTimestamp),
            "signature does not match");
  // Replayed six minutes later.
  EXPECT_EQ(jit::testing::webhook_problem(delivery(std::string(kBody), signature), kSignatureSecret,
                                          kTimestamp + 360),
            "timestamp outside 5 minutes (a replay?)");
}

}  // namespace
}  // namespace jit::broker
