// mTLS against a real nginx (Debian nginx-light): it trusts our chain for client certificates and
// reads our CRLs. nginx is started by the test on 127.0.0.1 with its own prefix, config, logs and
// temp paths, and is stopped in every path by its guard.
//
// What this shows about nginx 1.22 with `ssl_crl`: it turns on X509_V_FLAG_CRL_CHECK_ALL, so every
// certificate in the client's chain needs a CRL from its issuer; the intermediate's comes from the
// root. With only the issuing CA's CRL every client is refused with "unable to get certificate
// CRL", whatever ssl_verify_depth says. The ssl_crl file must therefore hold the issuing CA's CRL
// and a (normally empty, long-lived) CRL signed by the root. CRLs are read at start and reload
// only.
#include "ca/crl_builder.hpp"
#include "ca/x509_client_certificate.hpp"
#include "ca/x509_hierarchy.hpp"
#include "support/x509_process.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace jit::ca {
namespace {

using namespace std::chrono;
using testing::Clock;

constexpr const char* kNginx = "/usr/sbin/nginx";

// Everything nginx writes stays under the test's directory (@DIR@); one process, in the foreground.
constexpr const char* kNginxConfig = R"(daemon off;
master_process off;
worker_processes 1;
pid @DIR@/logs/nginx.pid;
error_log @DIR@/logs/error.log info;
events { worker_connections 64; }
http {
  access_log @DIR@/logs/access.log;
  client_body_temp_path @DIR@/tmp/body;
  proxy_temp_path @DIR@/tmp/proxy;
  fastcgi_temp_path @DIR@/tmp/fastcgi;
  uwsgi_temp_path @DIR@/tmp/uwsgi;
  scgi_temp_path @DIR@/tmp/scgi;
  server {
    listen 127.0.0.1:@PORT@ ssl;
    ssl_certificate @DIR@/server-chain.pem;
    ssl_certificate_key @DIR@/server.key;
    ssl_client_certificate @DIR@/client-ca.pem;
    ssl_verify_client on;
    ssl_verify_depth @DEPTH@;
    ssl_crl @DIR@/crl.pem;
    location / { default_type text/plain; return 200 "$ssl_client_s_dn\n"; }
  }
}
)";

void replace_all(std::string& text, std::string_view placeholder, const std::string& value) {
  for (std::size_t at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at)) {
    text.replace(at, placeholder.size(), value);
    at += value.size();
  }
}

struct HttpAnswer {
  int status = 0;  // 0: no HTTP answer at all
  std::string body;
  std::string raw;
};

class NginxMtlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kNginx)) GTEST_SKIP() << "nginx-light is not installed";
    auto hierarchy = create_dev_hierarchy(KeyAlgorithm::ecdsa_p256, {}, {}, now_);
    ASSERT_TRUE(hierarchy);
    hierarchy_.emplace(std::move(*hierarchy));
    std::filesystem::create_directories(dir_ / "tmp");
    std::filesystem::create_directories(dir_ / "logs");
    testing::write_text(dir_ / "root.pem", hierarchy_->root_pem());
    testing::write_text(dir_ / "client-ca.pem", hierarchy_->chain_pem());
    EvpPkeyPtr server_key = testing::generate(KeyAlgorithm::ecdsa_p256);
    X509Ptr server =
        testing::issue_test_server_certificate(hierarchy_->issuing(), server_key.get(), now_);
    testing::write_text(dir_ / "server-chain.pem", testing::certificate_pem(server.get()) +
                                                       hierarchy_->issuing().certificate_pem());
    testing::write_text(dir_ / "server.key", *private_key_to_pem(server_key.get(), std::nullopt));
    auto root_crl = build_crl(*hierarchy_->root(), {}, 1, now_, now_ + hours(24), now_);
    ASSERT_TRUE(root_crl);
    root_crl_pem_ = root_crl->pem;
  }

  // The issuing CA's CRL listing `revoked`, plus the root's CRL unless told otherwise.
  void write_crl(const std::vector<std::string>& revoked, std::uint64_t number,
                 bool with_root_crl = true) {
    std::vector<CrlEntry> entries;
    for (const std::string& serial : revoked) {
      entries.push_back(
          {*X509Serial::from_hex(serial), now_, CrlReason::key_compromise, now_ + hours(1)});
    }
    auto crl = build_crl(hierarchy_->issuing(), entries, number, now_, now_ + minutes(5), now_);
    ASSERT_TRUE(crl);
    testing::write_text(dir_ / "crl.pem",
                        crl->pem + (with_root_crl ? root_crl_pem_ : std::string()));
  }

  void start_nginx(int verify_depth = 2) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = testing::free_loopback_port();
      const std::string d = dir_.path().string();
      std::string config = kNginxConfig;
      replace_all(config, "@DIR@", d);
      replace_all(config, "@PORT@", std::to_string(port_));
      replace_all(config, "@DEPTH@", std::to_string(verify_depth));
      testing::write_text(dir_ / "nginx.conf", config);
      nginx_ = std::make_unique<testing::ServerProcess>(
          std::vector<std::string>{kNginx, "-p", d, "-c", d + "/nginx.conf", "-e",
                                   d + "/logs/error.log"},
          dir_ / "logs" / "nginx.out");
      ASSERT_TRUE(nginx_->started());
      if (testing::wait_for_loopback_port(port_, *nginx_, seconds(10))) return;
      nginx_->stop();  // most likely the port was taken in between: try another
    }
    FAIL() << "nginx did not start:\n"
           << testing::read_text(dir_ / "logs" / "error.log")
           << testing::read_text(dir_ / "logs" / "nginx.out");
  }

  void stop_nginx() {
    if (nginx_) nginx_->stop();
  }

  HttpAnswer get(const testing::ClientFiles* client) const {
    std::vector<std::string> argv = {"curl", "-sS",           "--max-time",
                                     "10",   "--cacert",      (dir_ / "root.pem").string(),
                                     "-w",   "\n%{http_code}"};
    if (client != nullptr) {
      argv.insert(argv.end(),
                  {"--cert", client->certificate.string(), "--key", client->key.string()});
    }
    argv.push_back("https://127.0.0.1:" + std::to_string(port_) + "/");
    const auto result = testing::run_command(argv);
    HttpAnswer answer;
    answer.raw = result.output;
    const std::size_t last = result.output.rfind('\n');
    if (last != std::string::npos) {
      answer.status = std::atoi(result.output.c_str() + last + 1);
      answer.body = result.output.substr(0, last);
    }
    return answer;
  }

  std::string error_log() const { return testing::read_text(dir_ / "logs" / "error.log"); }

  Clock::time_point now_ = Clock::now();
  testing::TempDir dir_;
  std::optional<X509CaHierarchy> hierarchy_;
  std::string root_crl_pem_;
  int port_ = 0;
  std::unique_ptr<testing::ServerProcess> nginx_;  // declared last: stopped before dir_ is removed
};

TEST_F(NginxMtlsTest, OurCertificateGets200WithItsDistinguishedName) {
  const auto alice = testing::issue_client_files(hierarchy_->issuing(), dir_.path(), "alice", now_,
                                                 now_ + hours(1));
  write_crl({}, 1);
  start_nginx();
  const HttpAnswer answer = get(&alice);
  EXPECT_EQ(answer.status, 200) << answer.raw << error_log();
  EXPECT_EQ(answer.body, "CN=alice,OU=prod-db-read\n") << answer.raw;

  const HttpAnswer anonymous = get(nullptr);
  EXPECT_EQ(anonymous.status, 400) << anonymous.raw;
  EXPECT_NE(anonymous.body.find("No required SSL certificate was sent"), std::string::npos)
      << anonymous.raw;
}

TEST_F(NginxMtlsTest, ExpiredAndForeignCertificatesAreRefused) {
  // Valid from the CA's notBefore (an hour ago) until 30 minutes ago.
  const auto expired = testing::issue_client_files(hierarchy_->issuing(), dir_.path(), "expired",
                                                   now_ - hours(2), now_ - minutes(30));
  auto foreign_hierarchy = create_dev_hierarchy(KeyAlgorithm::ecdsa_p256, {}, {}, now_);
  ASSERT_TRUE(foreign_hierarchy);
  const auto foreign = testing::issue_client_files(foreign_hierarchy->issuing(), dir_.path(),
                                                   "foreign", now_, now_ + hours(1));
  write_crl({}, 1);
  start_nginx();

  const HttpAnswer expired_answer = get(&expired);
  EXPECT_EQ(expired_answer.status, 400) << expired_answer.raw;
  EXPECT_NE(expired_answer.body.find("The SSL certificate error"), std::string::npos)
      << expired_answer.raw;
  EXPECT_NE(error_log().find("client SSL certificate verify error: (10:certificate has expired)"),
            std::string::npos)
      << error_log();

  const HttpAnswer foreign_answer = get(&foreign);
  EXPECT_EQ(foreign_answer.status, 400) << foreign_answer.raw;
  EXPECT_NE(error_log().find(
                "client SSL certificate verify error: (21:unable to verify the first certificate)"),
            std::string::npos)
      << error_log();
}

TEST_F(NginxMtlsTest, RevokedCertificateIsRefusedOnceNginxHasTheNewCrl) {
  const auto alice = testing::issue_client_files(hierarchy_->issuing(), dir_.path(), "alice", now_,
                                                 now_ + hours(1));
  const auto bob =
      testing::issue_client_files(hierarchy_->issuing(), dir_.path(), "bob", now_, now_ + hours(1));
  write_crl({}, 1);
  start_nginx();
  EXPECT_EQ(get(&alice).status, 200);
  EXPECT_EQ(get(&bob).status, 200);
  stop_nginx();

  // Revoke alice: CRL number 2, and a fresh nginx reads it (a reload would do the same).
  write_crl({alice.serial_hex}, 2);
  start_nginx();
  const HttpAnswer revoked = get(&alice);
  EXPECT_EQ(revoked.status, 400) << revoked.raw;
  EXPECT_NE(revoked.body.find("The SSL certificate error"), std::string::npos) << revoked.raw;
  EXPECT_NE(error_log().find("client SSL certificate verify error: (23:certificate revoked)"),
            std::string::npos)
      << error_log();
  EXPECT_EQ(get(&bob).status, 200) << error_log();
}

TEST_F(NginxMtlsTest, IssuingCaCrlAloneIsNotEnoughForNginx) {
  const auto alice = testing::issue_client_files(hierarchy_->issuing(), dir_.path(), "alice", now_,
                                                 now_ + hours(1));
  for (int depth : {1, 2}) {
    write_crl({}, 1, /*with_root_crl=*/false);
    start_nginx(depth);
    const HttpAnswer answer = get(&alice);
    EXPECT_EQ(answer.status, 400) << "ssl_verify_depth " << depth << ": " << answer.raw;
    EXPECT_NE(
        error_log().find("client SSL certificate verify error: (3:unable to get certificate CRL)"),
        std::string::npos)
        << error_log();
    stop_nginx();
  }
}

}  // namespace
}  // namespace jit::ca
