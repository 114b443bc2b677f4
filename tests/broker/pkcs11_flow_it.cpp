// Issue 19's proof with real parts: both CA keys made by `jit-broker ca init --pkcs11` inside a
// SoftHSM2 token (tests/support/softhsm_token.hpp), `serve` signing through it, a real sshd
// accepting the SSH certificate and `openssl verify` the X.509 one with the token-signed CRL; then
// the token vanishes: minting answers 503 JSON, /readyz 503, and no certificate row is written.
#include "tests/broker/access_flow_fixture.hpp"
#include "tests/support/softhsm_token.hpp"

#include <SQLiteCpp/Database.h>

#include <cstdlib>

namespace jit::broker::access_flow_testing {
namespace {

// nginx checking client certificates against the broker's chain and CRLs (as x509_flow_it.cpp).
constexpr const char* kHsmNginxConfig = R"(daemon off;
master_process off;
worker_processes 1;
pid @DIR@/nginx.pid;
error_log @DIR@/nginx-error.log info;
events { worker_connections 16; }
http {
  access_log off;
  client_body_temp_path @DIR@/tmp;
  proxy_temp_path @DIR@/tmp;
  fastcgi_temp_path @DIR@/tmp;
  uwsgi_temp_path @DIR@/tmp;
  scgi_temp_path @DIR@/tmp;
  server {
    listen 127.0.0.1:@PORT@ ssl;
    ssl_certificate @DIR@/data/tls/server.crt;
    ssl_certificate_key @DIR@/data/tls/server.key;
    ssl_client_certificate @DIR@/chain.pem;
    ssl_verify_client on;
    ssl_verify_depth 2;
    ssl_crl @DIR@/crl.pem;
    location / { default_type text/plain; return 200 "$ssl_client_s_dn\n"; }
  }
}
)";

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

  if (!std::filesystem::exists("/usr/sbin/nginx")) GTEST_SKIP() << "nginx-light is not installed";
  std::filesystem::create_directories(d / "tmp");
  const int port = testing::free_loopback_port();
  std::string nginx_config = kHsmNginxConfig;
  for (auto [from, to] : {std::pair<std::string, std::string>{"@DIR@", d.string()},
                          {"@PORT@", std::to_string(port)}}) {
    for (auto at = nginx_config.find(from); at != std::string::npos;
         at = nginx_config.find(from, at)) {
      nginx_config.replace(at, from.size(), to);
    }
  }
  write_text(d / "nginx.conf", nginx_config);
  ChildProcess nginx({"/usr/sbin/nginx", "-p", d.string(), "-c", (d / "nginx.conf").string(), "-e",
                      (d / "nginx-error.log").string()},
                     d);
  auto curl = [&] {
    return testing::run_process({"/usr/bin/curl", "-sS", "--max-time", "10", "--cacert",
                                 (d / "data" / "tls" / "server.crt").string(), "--cert",
                                 (d / "client.crt").string(), "--key", (d / "client.key").string(),
                                 "-w", "\n%{http_code}",
                                 "https://localhost:" + std::to_string(port) + "/"});
  };
  auto accepted = curl();
  for (int i = 0; i < 100 && accepted.exit_code == 7; ++i) {
    std::this_thread::sleep_for(100ms);
    accepted = curl();
  }
  EXPECT_NE(accepted.out.find("CN=alice"), std::string::npos) << accepted.out << accepted.err;
  EXPECT_TRUE(accepted.out.ends_with("200")) << accepted.out;
  nginx.signal(SIGTERM);
  nginx.wait(10s);
}

TEST_F(Pkcs11FlowTest, VanishedTokenAnswers503AndRecordsNothing) {
  const auto grant_id = grant();
  mint_ssh(grant_id, "before_key");
  const auto rows = certificate_rows();
  EXPECT_EQ(rows, 1);

  token_.remove_tokens();
  auto subject = testing::ssh_keygen_new_key(dir_, "after_key", {"-t", "ed25519"});
  json::object body{{"public_key", read_text(subject.string() + ".pub")}};
  auto refused = call(http::verb::post, "/v1/grants/" + grant_id + "/ssh-cert", "alice", &body);
  EXPECT_EQ(refused.status, 503u) << refused.body;
  EXPECT_TRUE(json::parse(refused.body).as_object().contains("error")) << refused.body;
  auto not_ready = call(http::verb::get, "/readyz", "");
  EXPECT_EQ(not_ready.status, 503u) << not_ready.body;
  EXPECT_NE(not_ready.body.find(kHsmSshUri), std::string::npos) << not_ready.body;
  EXPECT_EQ(certificate_rows(), rows);
  EXPECT_EQ(call(http::verb::get, "/healthz", "").status, 200u);  // alive, only not ready
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
