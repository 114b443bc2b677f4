// Issue 19 item 3, end to end with a real sshd (tests/broker/access_flow_fixture.hpp): the broker
// starts with a file SSH CA key, `ca rotate ssh --pkcs11` makes a SoftHSM2 key the signer, both are
// published and trusted during the overlap, certificates of both keys work and are refused through
// the KRL once revoked, `ca retire` refuses the old key while its certificates are valid and
// removes it from GET /v1/ca/ssh afterwards.
#include "tests/broker/access_flow_fixture.hpp"
#include "tests/support/softhsm_token.hpp"

#include <SQLiteCpp/Database.h>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace jit::broker::access_flow_testing {
namespace {

constexpr const char* kRotatedUri = "pkcs11:token=jit;object=ssh-ca-2027";

class CaRotationTest : public AccessFlowTest {
 protected:
  std::string ca_yaml() const override {
    return "  pkcs11:\n    module: " + testing::kSoftHsmModule.string() +
           "\n    pin_env: JIT_TEST_ROTATION_PIN\n";
  }
  void prepare_ca() override { ::setenv("JIT_TEST_ROTATION_PIN", token_.pin().c_str(), 1); }

  // The fingerprints GET /v1/ca/ssh publishes, newest first.
  std::vector<std::string> published_fingerprints() {
    std::vector<std::string> fingerprints;
    const auto text = get_text("/v1/ca/ssh");
    for (auto at = text.find(" SHA256:"); at != std::string::npos;
         at = text.find(" SHA256:", at + 1)) {
      fingerprints.push_back(text.substr(at + 1, text.find('\n', at) - at - 1));
    }
    return fingerprints;
  }

  void restart_broker() {
    ASSERT_EQ(broker_.stop(), 0);
    start_broker();
    // sshd reads TrustedUserCAKeys at every login: give it what the broker publishes now.
    write_text(dir_ / "trusted_ca_keys", get_text("/v1/ca/ssh"));
  }

  testing::SoftHsmToken token_;
};

TEST_F(CaRotationTest, TokenKeyTakesOverOldKeyOverlapsThenRetires) {
  for (const char* user : {"alice", "carol", "dave"}) login(user);
  const auto id = approved_request("30m");
  const std::string grant(get("/v1/requests/" + id, "alice").at("grant").at("id").as_string());
  start_sshd();
  const auto old_fingerprints = published_fingerprints();
  ASSERT_EQ(old_fingerprints.size(), 1u);
  const auto old_key = mint_ssh(grant, "old_key");
  EXPECT_EQ(ssh(old_key).exit_code, 0);

  auto [rotate_code, rotate_out, rotate_err] =
      broker_.admin({"ca", "rotate", "ssh", "--pkcs11", kRotatedUri});
  ASSERT_EQ(rotate_code, 0) << rotate_err;
  restart_broker();
  const auto both = published_fingerprints();
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[1], old_fingerprints[0]);  // the new key first, the old one still published
  EXPECT_NE(rotate_out.find(both[0]), std::string::npos) << rotate_out;

  const auto new_key = mint_ssh(grant, "new_key");
  auto [show_code, show_out, show_err] =
      ChildProcess::run({"/usr/bin/ssh-keygen", "-L", "-f", new_key.string() + "-cert.pub"}, dir_);
  EXPECT_NE(show_out.find("Signing CA: ED25519 " + both[0]), std::string::npos) << show_out;
  EXPECT_EQ(ssh(old_key).exit_code, 0) << "an old-key certificate works during the overlap";
  EXPECT_EQ(ssh(new_key).exit_code, 0) << read_text(dir_ / "sshd.log");

  // The old key still has a valid certificate: retiring it is refused and changes nothing.
  auto [early_code, early_out, early_err] =
      broker_.admin({"ca", "retire", "ssh", old_fingerprints[0]});
  EXPECT_EQ(early_code, 1);
  EXPECT_NE(early_err.find("still valid"), std::string::npos) << early_err;
  auto [signer_code, signer_out, signer_err] = broker_.admin({"ca", "retire", "ssh", both[0]});
  EXPECT_EQ(signer_code, 1);
  EXPECT_NE(signer_err.find("signing key"), std::string::npos) << signer_err;

  // Revoked: certificates of both keys are in the KRL the hosts pull.
  post("/v1/grants/" + grant + "/revoke", "alice", {{"reason", "rotation test"}}, 200);
  write_krl();
  EXPECT_NE(ssh(old_key).exit_code, 0);
  EXPECT_NE(ssh(new_key).exit_code, 0);

  // Time passes until the old key's certificates have ended (simulated in the stopped broker's
  // database instead of waiting for a grant to run out).
  ASSERT_EQ(broker_.stop(), 0);
  {
    SQLite::Database db(broker_.database().string(), SQLite::OPEN_READWRITE);
    SQLite::Statement expire(db, "UPDATE certificates SET not_after = 1000 WHERE ca_key = ?");
    expire.bind(1, old_fingerprints[0]);
    EXPECT_EQ(expire.exec(), 1);
  }
  auto [retire_code, retire_out, retire_err] =
      broker_.admin({"ca", "retire", "ssh", old_fingerprints[0]});
  EXPECT_EQ(retire_code, 0) << retire_err;
  start_broker();
  EXPECT_EQ(published_fingerprints(), std::vector<std::string>{both[0]});
  // Both changes are in the audit chain, with the key and where it is.
  SQLite::Database db(broker_.database().string(), SQLite::OPEN_READONLY);
  SQLite::Statement audit(db,
                          "SELECT action || ' ' || object || ' ' || details FROM audit "
                          "WHERE action IN ('ca.rotate', 'ca.retire') ORDER BY seq");
  std::vector<std::string> records;
  while (audit.executeStep()) records.push_back(audit.getColumn(0).getString());
  ASSERT_EQ(records.size(), 2u);
  // ... and the account that ran the command (sudo_user may follow, under sudo).
  const std::string me = ::getpwuid(::geteuid())->pw_name;
  EXPECT_TRUE(records[0].starts_with("ca.rotate ca/ssh {\"kind\":\"ssh\",\"fingerprint\":\"" +
                                     both[0] + "\",\"location\":\"" + kRotatedUri +
                                     "\",\"os_user\":\"" + me + "\""))
      << records[0];
  EXPECT_TRUE(records[1].starts_with("ca.retire ca/ssh {\"kind\":\"ssh\",\"fingerprint\":\"" +
                                     old_fingerprints[0] + "\""))
      << records[1];
}

}  // namespace
}  // namespace jit::broker::access_flow_testing
