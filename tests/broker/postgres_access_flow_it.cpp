// The end-to-end access story with its steps spread over two brokers on one PostgreSQL (issue 17;
// docs/operations.md "High availability"): alice asks on one broker, carol approves there and dave
// on the other, alice mints on the other and logs in to a real sshd that trusts the deployment's
// SSH CA, carol revokes on the first broker, and the KRL the second broker serves lists the
// certificate within 2 s, after which sshd refuses it. The audit chain both brokers wrote verifies
// with `jit-broker audit verify`.
#include "tests/broker/support/postgres_pair.hpp"

#include <thread>

namespace jit::broker {
namespace {

using jit::testing::BrokerProcess;
using jit::testing::PostgresServer;
using testing_pg::PostgresPairTest;
using Clock = std::chrono::steady_clock;

std::string login_name() {
  auto result = jit::testing::run_process({"/usr/bin/id", "-un"});
  while (!result.out.empty() && result.out.back() == '\n') result.out.pop_back();
  return result.out;
}

class PostgresAccessFlowIt : public PostgresPairTest {};

TEST_F(PostgresAccessFlowIt, RequestApproveMintSshRevokeAndKrlRefusalAcrossTwoBrokers) {
  start_pair(PostgresServer::shared(), {"alice", "carol", "dave"});
  login(first_, "alice");
  login(first_, "carol");
  login(second_, "dave");
  const std::string id = request_access("two brokers, one story");
  ASSERT_FALSE(id.empty());
  auto [carol_status, carol_body] = approve(first_, "carol", id);
  ASSERT_EQ(carol_status, 200u) << carol_body;
  auto [dave_status, dave_body] = approve(second_, "dave", id);
  ASSERT_EQ(dave_status, 200u) << dave_body;
  const std::string grant = grant_of(second_, id);
  ASSERT_FALSE(grant.empty());

  // Minted on the second broker; the host trusts the CA and the KRL as the first serves them.
  const auto key = jit::testing::ssh_keygen_new_key(first_.dir(), "alice_key", {"-t", "ed25519"});
  auto [mint_status, mint_body] =
      call(second_, "/v1/grants/" + grant + "/ssh-cert", "alice",
           boost::json::object{{"public_key", jit::testing::read_text(key.string() + ".pub")}});
  ASSERT_EQ(mint_status, 201u) << mint_body;
  jit::testing::write_text(
      key.string() + "-cert.pub",
      std::string(boost::json::parse(mint_body).at("certificate").as_string()) + "\n");
  auto [ca_status, ca_keys] = call(first_, "/v1/ca/ssh", "", std::nullopt);
  ASSERT_EQ(ca_status, 200u);
  auto [krl_status, empty_krl] = call(first_, "/v1/ca/ssh/krl", "", std::nullopt);
  ASSERT_EQ(krl_status, 200u);
  const auto host_dir = first_.dir() / "host";
  std::filesystem::create_directories(host_dir);
  jit::testing::CertificateSshd sshd(host_dir, ca_keys, "dbread", empty_krl);
  const auto ssh = [&] {
    return jit::testing::ssh_run_with_key(key, sshd.port(), login_name(), "echo in");
  };
  const auto allowed = ssh();
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err << jit::testing::read_text(sshd.log_file());

  // The second broker's own KRL before the revocation: each broker builds its KRL itself, with
  // its own generation time, so the first broker's bytes are no baseline for the second's.
  auto [second_krl_status, second_empty_krl] = call(second_, "/v1/ca/ssh/krl", "", std::nullopt);
  ASSERT_EQ(second_krl_status, 200u);
  auto [revoke_status, revoke_body] =
      call(first_, "/v1/grants/" + grant + "/revoke", "carol",
           boost::json::object{{"reason", "done on the other broker"}});
  ASSERT_EQ(revoke_status, 200u) << revoke_body;
  const auto revoked_at = Clock::now();
  // The second broker learns of the revocation from the database, not from the first broker.
  std::string krl = second_empty_krl;
  while (krl == second_empty_krl && Clock::now() - revoked_at < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto [status, body] = call(second_, "/v1/ca/ssh/krl", "", std::nullopt);
    if (status == 200u) krl = body;
  }
  const auto took = Clock::now() - revoked_at;
  std::printf(
      "[ krl      ] the second broker served the revocation after %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_LT(took, std::chrono::seconds(2));
  jit::testing::write_text(sshd.krl_file(), krl);
  const auto refused = ssh();
  EXPECT_NE(refused.exit_code, 0) << refused.out;

  ASSERT_EQ(first_.stop(), 0) << first_.errors();
  ASSERT_EQ(second_.stop(), 0) << second_.errors();
  auto [verify_code, verify_out, verify_err] = second_.admin({"audit", "verify"});
  EXPECT_EQ(verify_code, 0) << verify_out << verify_err;
}

}  // namespace
}  // namespace jit::broker
