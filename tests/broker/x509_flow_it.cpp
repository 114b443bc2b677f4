// An X.509 client certificate minted for a grant passes a real nginx that checks the broker's
// chain and CRLs, until the grant is revoked (tests/broker/access_flow_fixture.hpp).
#include "tests/broker/access_flow_fixture.hpp"
#include "tests/support/nginx_mtls.hpp"

namespace jit::broker::access_flow_testing {
namespace {

TEST_F(AccessFlowTest, X509CertificateFromAGrantPassesNginxUntilRevoked) {
  if (!std::filesystem::exists(testing::kNginxBinary))
    GTEST_SKIP() << "nginx-light is not installed";
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
  const testing::NginxMtlsFiles nginx_files{d / "data" / "tls" / "server.crt",
                                            d / "data" / "tls" / "server.key", d / "client-ca.pem",
                                            d / "crl.pem"};
  {
    const testing::NginxMtlsServer nginx(d, nginx_files);
    auto accepted = nginx.request(d / "client.crt", d / "client.key");
    EXPECT_NE(accepted.out.find("CN=alice"), std::string::npos) << accepted.out << accepted.err;
    EXPECT_TRUE(accepted.out.ends_with("200")) << accepted.out;
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
  const testing::NginxMtlsServer nginx(d, nginx_files);
  auto refused = nginx.request(d / "client.crt", d / "client.key");
  EXPECT_FALSE(refused.out.ends_with("200")) << refused.out;
  EXPECT_NE(nginx.error_log().find("revoked"), std::string::npos);
}

}  // namespace
}  // namespace jit::broker::access_flow_testing
