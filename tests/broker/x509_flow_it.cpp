// An X.509 client certificate minted for a grant passes a real nginx that checks the broker's
// chain and CRLs, until the grant is revoked (tests/broker/access_flow_fixture.hpp).
#include "tests/broker/access_flow_fixture.hpp"

namespace jit::broker::access_flow_testing {
namespace {
constexpr const char* kNginxConfig = R"(daemon off;
master_process off;
worker_processes 1;
pid @DIR@/nginx.pid;
error_log @DIR@/nginx-error.log info;
events { worker_connections 64; }
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
    ssl_client_certificate @DIR@/client-ca.pem;
    ssl_verify_client on;
    ssl_verify_depth 2;
    ssl_crl @DIR@/crl.pem;
    location / { default_type text/plain; return 200 "$ssl_client_s_dn\n"; }
  }
}
)";

TEST_F(AccessFlowTest, X509CertificateFromAGrantPassesNginxUntilRevoked) {
  if (!std::filesystem::exists("/usr/sbin/nginx")) GTEST_SKIP() << "nginx-light is not installed";
  for (const char* user : {"alice", "carol", "dave"}) login(user);
  const auto id = approved_request("30m");
  const std::string grant(get("/v1/requests/" + id, "alice").at("grant").at("id").as_string());

  const auto d = dir_;
  auto [key_code, key_out, key_err] = ChildProcess::run(
      {"/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", (d / "client.key").string(), "-subj", "/CN=ignored", "-out",
       (d / "client.csr").string()},
      d);
  ASSERT_EQ(key_code, 0) << key_err;
  auto minted = post("/v1/grants/" + grant + "/x509-cert", "alice",
                     {{"csr", read_text(d / "client.csr")}}, 201);
  write_text(d / "client.crt", std::string(minted.at("certificate").as_string()));

  write_text(d / "client-ca.pem", get_text("/v1/ca/x509"));
  write_text(d / "crl.pem", get_text("/v1/ca/x509/crl?format=pem-bundle"));
  std::filesystem::create_directories(d / "tmp");
  const int port = testing::free_loopback_port();
  std::string config = kNginxConfig;
  for (auto [from, to] : {std::pair<std::string, std::string>{"@DIR@", d.string()},
                          {"@PORT@", std::to_string(port)}}) {
    for (auto at = config.find(from); at != std::string::npos; at = config.find(from, at)) {
      config.replace(at, from.size(), to);
    }
  }
  write_text(d / "nginx.conf", config);
  auto curl = [&] {
    return testing::run_process({"/usr/bin/curl", "-sS", "--max-time", "10", "--cacert",
                                 (d / "data" / "tls" / "server.crt").string(), "--cert",
                                 (d / "client.crt").string(), "--key", (d / "client.key").string(),
                                 "-w", "\n%{http_code}",
                                 "https://localhost:" + std::to_string(port) + "/"});
  };
  auto run_nginx = [&] {
    auto nginx = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/sbin/nginx", "-p", d.string(), "-c",
                                 (d / "nginx.conf").string(), "-e",
                                 (d / "nginx-error.log").string()},
        d);
    for (int i = 0; i < 100 && curl().exit_code == 7; ++i) std::this_thread::sleep_for(100ms);
    return nginx;
  };
  {
    auto nginx = run_nginx();
    auto accepted = curl();
    EXPECT_NE(accepted.out.find("CN=alice"), std::string::npos) << accepted.out << accepted.err;
    EXPECT_TRUE(accepted.out.ends_with("200")) << accepted.out;
    nginx->signal(SIGTERM);
    nginx->wait(10s);
  }

  post("/v1/grants/" + grant + "/revoke", "alice", {{"reason", "finished"}}, 200);
  // The publisher rebuilds the CRL after the revocation commits.
  std::string crl;
  for (int i = 0; i < 50; ++i) {
    crl = get_text("/v1/ca/x509/crl?format=pem-bundle");
    if (crl != read_text(d / "crl.pem")) break;
    std::this_thread::sleep_for(100ms);
  }
  write_text(d / "crl.pem", crl);
  auto nginx = run_nginx();
  auto refused = curl();
  EXPECT_FALSE(refused.out.ends_with("200")) << refused.out;
  EXPECT_NE(read_text(d / "nginx-error.log").find("revoked"), std::string::npos);
  nginx->signal(SIGTERM);
  nginx->wait(10s);
}

}  // namespace
}  // namespace jit::broker::access_flow_testing
