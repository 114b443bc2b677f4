// Issue 19's proof with real parts: both CA keys made by `jit-broker ca init --pkcs11` inside a
// SoftHSM2 token (tests/support/softhsm_token.hpp), `serve` signing through it, a real sshd
// accepting the SSH certificate and `openssl verify` the X.509 one with the token-signed CRL; then
// the token vanishes: minting answers 503 JSON, /readyz 503, and no certificate row is written.
#include "tests/broker/access_flow_fixture.hpp"
#include "tests/support/nginx_mtls.hpp"
#include "tests/support/softhsm_token.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdlib>

namespace jit::broker::access_flow_testing {
namespace {

constexpr const char* kHsmSshUri = "pkcs11:token=jit;object=ssh-ca";
constexpr const char* kHsmX509Uri = "pkcs11:token=jit;object=x509-issuing";

class Pkcs11FlowTest : public AccessFlowTest {
 protected:
  std::string ca_yaml() const override {
    return "  pkcs11:\n    module: " + testing::kSoftHsmModule.string() +
           "\n    pin_env: JIT_TEST_HSM_PIN\n  ssh_key_files: [\"" + kHsmSshUri +
           "\"]\n  x509_issuing_key_file: \"" + kHsmX509Uri + "\"\n";
  }

  void prepare_ca() override {
    // The broker and its commands inherit SOFTHSM2_CONF (set by token_) and the PIN variable.
    ::setenv("JIT_TEST_HSM_PIN", token_.pin().c_str(), 1);
    auto [ssh_code, ssh_out, ssh_err] =
        broker_.admin({"ca", "init", "ssh", "--pkcs11", kHsmSshUri, "--public-key-file",
                       (dir_ / "ssh_ca.pub").string()});
    ASSERT_EQ(ssh_code, 0) << ssh_err;
    auto [x509_code, x509_out, x509_err] =
        broker_.admin({"ca", "init", "x509", "--pkcs11", kHsmX509Uri});
    ASSERT_EQ(x509_code, 0) << x509_err;
    EXPECT_NE(x509_out.find(kHsmX509Uri), std::string::npos) << x509_out;
  }

  std::int64_t certificate_rows() const {
    SQLite::Database db(broker_.database().string(), SQLite::OPEN_READONLY);
    return db.execAndGet("SELECT count(*) FROM certificates").getInt64();
  }

  std::string grant() {
    for (const char* user : {"alice", "carol", "dave"}) login(user);
    const auto id = approved_request("30m");
    return std::string(get("/v1/requests/" + id, "alice").at("grant").at("id").as_string());
  }

  testing::SoftHsmToken token_;  // made before SetUp runs
};

TEST_F(Pkcs11FlowTest, TokenKeysSignWhatSshdAndOpensslAccept) {
  // The CA key sshd trusts is the one `ca init` wrote, read from the token.
  const auto published = get_text("/v1/ca/ssh");
  auto written = read_text(dir_ / "ssh_ca.pub");
  while (!written.empty() && written.back() == '\n') written.pop_back();
  EXPECT_NE(written.find("ssh-ed25519 "), std::string::npos) << written;
  EXPECT_NE(published.find(written + " jitbroker-ssh-ca"), std::string::npos)
      << published << written;
  auto ready = call(http::verb::get, "/readyz", "");
  EXPECT_EQ(ready.status, 200u) << ready.body;
  {
    // `ca init` is in the audit chain: who, which key, where; never the PIN.
    SQLite::Database db(broker_.database().string(), SQLite::OPEN_READONLY);
    SQLite::Statement query(db,
                            "SELECT actor, object, details FROM audit WHERE action = 'ca.init' "
                            "ORDER BY seq");
    std::vector<std::string> records;
    while (query.executeStep()) {
      records.push_back(query.getColumn(0).getString() + " " + query.getColumn(1).getString() +
                        " " + query.getColumn(2).getString());
    }
    ASSERT_EQ(records.size(), 2u);
    EXPECT_TRUE(records[0].starts_with("admin ca/ssh {\"kind\":\"ssh\",\"fingerprint\":\"SHA256:"))
        << records[0];
    EXPECT_NE(records[0].find(kHsmSshUri), std::string::npos) << records[0];
    EXPECT_NE(published.find(records[0].substr(records[0].find("SHA256:"), 50)), std::string::npos)
        << records[0];
    EXPECT_TRUE(records[1].starts_with("admin ca/x509 {\"kind\":\"x509\""));
    EXPECT_NE(records[1].find(kHsmX509Uri), std::string::npos) << records[1];
    for (const auto& record : records) EXPECT_EQ(record.find(token_.pin()), std::string::npos);
  }

  const auto grant_id = grant();
  start_sshd();
  const auto key = mint_ssh(grant_id, "hsm_key");
  auto login = ssh(key);
  EXPECT_EQ(login.exit_code, 0) << login.err << read_text(dir_ / "sshd.log");
  EXPECT_NE(login.out.find("logged-in-as-"), std::string::npos);

  const auto d = dir_;
  auto [key_code, key_out, key_err] = ChildProcess::run(
      {"/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", (d / "client.key").string(), "-subj", "/CN=ignored", "-out",
       (d / "client.csr").string()},
      d);
  ASSERT_EQ(key_code, 0) << key_err;
  auto minted = post("/v1/grants/" + grant_id + "/x509-cert", "alice",
                     {{"csr", read_text(d / "client.csr")}}, 201);
  write_text(d / "client.crt", std::string(minted.at("certificate").as_string()));
  write_text(d / "chain.pem", get_text("/v1/ca/x509"));
  write_text(d / "crl.pem", get_text("/v1/ca/x509/crl?format=pem-bundle"));
  auto verified = testing::run_process({"/usr/bin/openssl", "verify", "-CAfile",
                                        (d / "chain.pem").string(), "-crl_check_all", "-CRLfile",
                                        (d / "crl.pem").string(), (d / "client.crt").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

  if (!std::filesystem::exists(testing::kNginxBinary))
    GTEST_SKIP() << "nginx-light is not installed";
  const testing::NginxMtlsServer nginx(
      d, {d / "data" / "tls" / "server.crt", d / "data" / "tls" / "server.key", d / "chain.pem",
          d / "crl.pem"});
  auto accepted = nginx.request(d / "client.crt", d / "client.key");
  EXPECT_NE(accepted.out.find("CN=alice"), std::string::npos) << accepted.out << accepted.err;
  EXPECT_TRUE(accepted.out.ends_with("200")) << accepted.out;
}

TEST_F(Pkcs11FlowTest, VanishedTokenAnswers503RecordsNothingAndSignsAgainWhenBack) {
  const auto grant_id = grant();
  mint_ssh(grant_id, "before_key");
  const auto rows = certificate_rows();
  EXPECT_EQ(rows, 1);

  token_.unplug();
  auto subject = testing::ssh_keygen_new_key(dir_, "after_key", {"-t", "ed25519"});
  json::object body{{"public_key", read_text(subject.string() + ".pub")}};
  auto refused = call(http::verb::post, "/v1/grants/" + grant_id + "/ssh-cert", "alice", &body);
  EXPECT_EQ(refused.status, 503u) << refused.body;
  EXPECT_TRUE(json::parse(refused.body).as_object().contains("error")) << refused.body;
  // /readyz answers from probes made off the HTTP threads every 2 s.
  const auto ready_status = [&](unsigned wanted) {
    auto answer = call(http::verb::get, "/readyz", "");
    for (int i = 0; i < 60 && answer.status != wanted; ++i) {
      std::this_thread::sleep_for(100ms);
      answer = call(http::verb::get, "/readyz", "");
    }
    return answer;
  };
  auto not_ready = ready_status(503);
  EXPECT_EQ(not_ready.status, 503u) << not_ready.body;
  EXPECT_NE(not_ready.body.find(kHsmSshUri), std::string::npos) << not_ready.body;
  EXPECT_EQ(certificate_rows(), rows);
  EXPECT_EQ(call(http::verb::get, "/healthz", "").status, 200u);  // alive, only not ready

  // The token is back: the same broker signs again, with no restart (the module is started
  // afresh at most once a second, so the first tries may still answer 503).
  token_.plug_back();
  const auto mint = [&] {
    return call(http::verb::post, "/v1/grants/" + grant_id + "/ssh-cert", "alice", &body);
  };
  auto signed_again = mint();
  for (int i = 0; i < 30 && signed_again.status == 503; ++i) {
    std::this_thread::sleep_for(200ms);
    signed_again = mint();
  }
  EXPECT_EQ(signed_again.status, 201u) << signed_again.body;
  EXPECT_EQ(certificate_rows(), rows + 1);
  EXPECT_EQ(ready_status(200).status, 200u);
}

TEST_F(Pkcs11FlowTest, WrongPinOrMissingTokenStopsTheStartWithOneLine) {
  ASSERT_EQ(broker_.stop(), 0);
  auto [code, out, err] = broker_.admin({"serve"}, {}, {"JIT_TEST_HSM_PIN=0000-not-the-pin"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("the token refused the PIN for PKCS#11 URI " + std::string(kHsmSshUri)),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("0000-not-the-pin"), std::string::npos);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  // An empty token store: SoftHSM2 shows only its free slot, as with the HSM unplugged.
  token_.remove_tokens();
  std::filesystem::create_directories(token_.token_dir());
  auto [gone_code, gone_out, gone_err] = broker_.admin({"serve"});
  EXPECT_EQ(gone_code, 2);
  EXPECT_NE(gone_err.find("no token matches PKCS#11 URI"), std::string::npos) << gone_err;
}

}  // namespace
}  // namespace jit::broker::access_flow_testing
