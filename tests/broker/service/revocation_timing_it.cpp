// Revocations reach what the broker serves within a second, whoever revokes: `jit-broker user lock`
// run as a separate process beside a running broker shows up in the served KRL and CRL (and its
// grant.revoked event reaches the webhooks), and an API revoke answers only once the served lists
// include it. A real `jit-broker serve`, the CLI as a child process, lists parsed with ca/ and
// OpenSSL.
#include "ca/krl.hpp"
#include "ca/openssl_handles.hpp"
#include "ca/private_key.hpp"
#include "ca/ssh_public_key.hpp"
#include "support/revocation_timing.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/running_broker.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using jit::testing::ChildProcess;
using jit::testing::HttpReceiver;
using jit::testing::RunningBroker;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class RevocationTimingTest : public ::testing::Test {
 protected:
  RevocationTimingTest()
      : broker_(testing::kTimingPolicy,
                "webhooks:\n  urls: [\"http://127.0.0.1:" + std::to_string(webhooks_.port()) +
                    "/hook\"]\n",
                {"alice"}),
        api_(broker_) {}

  HttpReceiver webhooks_{{200}};
  RunningBroker broker_;
  testing::TimingApi api_;
};

TEST_F(RevocationTimingTest, UserLockFromAnotherProcessReachesKrlCrlAndWebhooksWithinASecond) {
  const auto grant = api_.active_grant("alice");
  const auto ssh_serial = api_.mint_ssh(grant, "alice");
  const auto x509_serial = api_.mint_x509(grant, "alice");
  // The served lists are fresh (the broker published them at start), so nothing lists the serials.
  ASSERT_FALSE(testing::krl_lists(api_.krl(), ssh_serial));
  ASSERT_FALSE(testing::crl_lists(api_.crl(), x509_serial));

  auto [code, out, err] =
      ChildProcess::run({testing::broker_binary(), "--config",
                         (broker_.dir() / "broker.yaml").string(), "user", "lock", "alice"},
                        broker_.dir());
  const auto locked = Clock::now();
  ASSERT_EQ(code, 0) << err;
  EXPECT_NE(out.find("1 active grant(s) revoked"), std::string::npos) << out;

  bool in_krl = false, in_crl = false;
  while (!(in_krl && in_crl) && Clock::now() - locked < 3s) {
    in_krl = in_krl || testing::krl_lists(api_.krl(), ssh_serial);
    in_crl = in_crl || testing::crl_lists(api_.crl(), x509_serial);
    if (!(in_krl && in_crl)) std::this_thread::sleep_for(20ms);
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - locked);
  EXPECT_TRUE(in_krl) << "SSH serial " << ssh_serial << " not in the served KRL";
  EXPECT_TRUE(in_crl) << "X.509 serial " << x509_serial << " not in the served CRL";
  EXPECT_LE(elapsed, 1000ms) << "the lock reached the served lists after " << elapsed.count()
                             << " ms";

  // The lock's event goes to the webhooks although another process revoked.
  bool delivered = false;
  for (int i = 0; i < 100 && !delivered; ++i) {
    for (const auto& body : webhooks_.bodies()) {
      const auto event = boost::json::parse(body).as_object();
      if (event.at("event") == "grant.revoked" &&
          event.at("data").as_object().at("id").as_string() == grant) {
        delivered = true;
      }
    }
    if (!delivered) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(delivered) << "no grant.revoked webhook for " << grant;
  // Delivered once, and marked so (just after the receiver answered): a restart does not send it
  // again.
  const std::string undelivered = "SELECT count(*) FROM event_outbox WHERE delivered_at IS NULL";
  for (int i = 0; i < 100 && broker_.count(undelivered) != 0; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(broker_.count(undelivered), 0);
  EXPECT_EQ(broker_.count("SELECT count(*) FROM event_outbox WHERE event = 'grant.revoked'"), 1);
}

TEST_F(RevocationTimingTest, RevokeAnswersOnlyOnceTheServedListsIncludeIt) {
  for (int round = 0; round < 5; ++round) {
    const auto grant = api_.active_grant("alice");
    const auto ssh_serial = api_.mint_ssh(grant, "alice");
    const auto x509_serial = api_.mint_x509(grant, "alice");
    const auto answer = api_.call(http::verb::post, "/v1/grants/" + grant + "/revoke", "alice",
                                  boost::json::object{{"reason", "done"}});
    ASSERT_EQ(answer.result(), http::status::ok) << answer.body();
    // Fetched right after the answer, on a new connection: the lists already carry the serials.
    const auto krl = api_.krl();
    const auto crl = api_.crl();
    EXPECT_TRUE(testing::krl_lists(krl, ssh_serial)) << "round " << round;
    EXPECT_TRUE(testing::crl_lists(crl, x509_serial)) << "round " << round;
    // The answer names the list versions that include the revocation.
    const auto lists = boost::json::parse(answer.body()).as_object().at("revocation_lists");
    const auto parsed = ca::parse_krl(ca::as_bytes(krl));
    ASSERT_TRUE(parsed);
    EXPECT_LE(lists.at("krl_version").to_number<std::uint64_t>(), parsed->version);
    EXPECT_LE(lists.at("crl_number").to_number<std::int64_t>(), testing::crl_number(crl));
  }
}

}  // namespace
}  // namespace jit::broker
