// Issue 19, X.509 rotation end to end (tests/broker/access_flow_fixture.hpp): the broker starts
// with its file issuing CA, `ca rotate x509 --pkcs11` makes a SoftHSM2 key with a certificate from
// the root the signer, and during the overlap the chain, the CRL bundle and OCSP cover both issuing
// CAs: `openssl verify -crl_check_all` and a real nginx accept a certificate of each, and refuse
// both once revoked (the old CA's CRL keeps its revoked certificate). `ca retire x509` refuses the
// signing CA and one with unexpired certificates, then drops the old CA from the chain. Rotate and
// retire are in the audit chain, without the PIN.
#include "tests/broker/access_flow_fixture.hpp"
#include "tests/support/nginx_mtls.hpp"
#include "tests/support/softhsm_token.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace jit::broker::access_flow_testing {
namespace {

constexpr const char* kRotatedIssuingUri = "pkcs11:token=jit;object=x509-issuing-2027";
// Where the certificates say their CRL is (a mirror's address: the test fetches the same list
// from the broker with the same query).
constexpr const char* kRotationCrlUrl = "http://crl.example.test/jit.crl";

std::vector<std::string> pem_blocks(const std::string& text) {
  std::vector<std::string> blocks;
  constexpr std::string_view kEnd = "-----END ";
  for (std::size_t start = 0, end; (end = text.find(kEnd, start)) != std::string::npos;) {
    end = text.find('\n', end);
    blocks.push_back(text.substr(start, end + 1 - start));
    start = end + 1;
  }
  return blocks;
}

class X509RotationTest : public AccessFlowTest {
 protected:
  std::string ca_yaml() const override {
    return "  crl_url: " + std::string(kRotationCrlUrl) +
           "\n  pkcs11:\n    module: " + testing::kSoftHsmModule.string() +
           "\n    pin_env: JIT_TEST_X509_ROTATION_PIN\n";
  }
  void prepare_ca() override { ::setenv("JIT_TEST_X509_ROTATION_PIN", token_.pin().c_str(), 1); }

  // A new P-256 key dir_/NAME.key and a certificate dir_/NAME.crt minted for it.
  std::filesystem::path mint_x509(const std::string& grant, const std::string& name) {
    const auto key = dir_ / (name + ".key");
    const auto csr = dir_ / (name + ".csr");
    auto made = testing::run_process({"/usr/bin/openssl", "req", "-new", "-newkey", "ec",
                                      "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                                      key.string(), "-subj", "/CN=ignored", "-out", csr.string()});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    auto minted =
        post("/v1/grants/" + grant + "/x509-cert", "alice", {{"csr", read_text(csr)}}, 201);
    const auto certificate = dir_ / (name + ".crt");
    write_text(certificate, std::string(minted.at("certificate").as_string()));
    return certificate;
  }

  // The chain and CRL bundle the broker serves now, as relying parties fetch them.
  void fetch_chain_and_crls() {
    write_text(dir_ / "chain.pem", get_text("/v1/ca/x509"));
    write_text(dir_ / "crl.pem", get_text("/v1/ca/x509/crl?format=pem-bundle"));
  }

  testing::ProcessResult verify(const std::filesystem::path& certificate) {
    return testing::run_process({"/usr/bin/openssl", "verify", "-CAfile",
                                 (dir_ / "chain.pem").string(), "-crl_check_all", "-CRLfile",
                                 (dir_ / "crl.pem").string(), certificate.string()});
  }

  // `openssl ocsp` about `certificate` of the issuing CA in `issuer`: its whole output.
  std::string ocsp(const std::filesystem::path& certificate, const std::filesystem::path& issuer) {
    auto asked = testing::run_process(
        {"/usr/bin/openssl", "ocsp", "-url",
         "https://127.0.0.1:" + std::to_string(port_) + "/v1/ca/x509/ocsp", "-issuer",
         issuer.string(), "-CAfile", (dir_ / "chain.pem").string(), "-cert", certificate.string()});
    return asked.out + asked.err;
  }

  // certificates.ca_key of the newest X.509 certificate: its issuing CA's fingerprint.
  std::string newest_x509_ca_key() {
    SQLite::Database db(broker_.database().string(), SQLite::OPEN_READONLY);
    SQLite::Statement query(db,
                            "SELECT ca_key FROM certificates WHERE kind = 'x509' "
                            "ORDER BY rowid DESC LIMIT 1");
    return query.executeStep() ? query.getColumn(0).getString() : std::string();
  }

  testing::SoftHsmToken token_;
};

TEST_F(X509RotationTest, OldAndNewIssuingCasOverlapUntilRetired) {
  for (const char* user : {"alice", "carol", "dave"}) login(user);
  const auto id = approved_request("30m");
  const std::string grant(get("/v1/requests/" + id, "alice").at("grant").at("id").as_string());
  const auto old_certificate = mint_x509(grant, "old");
  const auto old_ca = newest_x509_ca_key();
  ASSERT_EQ(old_ca.size(), 64u);

  auto [rotate_code, rotate_out, rotate_err] =
      broker_.admin({"ca", "rotate", "x509", "--pkcs11", kRotatedIssuingUri});
  ASSERT_EQ(rotate_code, 0) << rotate_err;
  ASSERT_EQ(broker_.stop(), 0);
  start_broker();
  const auto new_certificate = mint_x509(grant, "new");
  const auto new_ca = newest_x509_ca_key();
  EXPECT_NE(new_ca, old_ca);
  EXPECT_NE(rotate_out.find(new_ca), std::string::npos) << rotate_out;

  // The chain: the new issuing CA, the previous one, the root; a CRL for each.
  fetch_chain_and_crls();
  const auto chain = pem_blocks(read_text(dir_ / "chain.pem"));
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(pem_blocks(read_text(dir_ / "crl.pem")).size(), 3u);
  write_text(dir_ / "new-issuing.pem", chain[0]);
  write_text(dir_ / "old-issuing.pem", chain[1]);
  for (const auto& certificate : {old_certificate, new_certificate}) {
    auto verified = verify(certificate);
    EXPECT_EQ(verified.exit_code, 0) << certificate << verified.out << verified.err;
  }
  // Each issuing CA answers OCSP for its own certificates, and the answer verifies.
  for (const auto& [certificate, issuer] : {std::pair{old_certificate, dir_ / "old-issuing.pem"},
                                            std::pair{new_certificate, dir_ / "new-issuing.pem"}}) {
    const auto answer = ocsp(certificate, issuer);
    EXPECT_NE(answer.find(": good"), std::string::npos) << answer;
    EXPECT_NE(answer.find("Response verify OK"), std::string::npos) << answer;
  }
  const bool have_nginx = std::filesystem::exists(testing::kNginxBinary);
  const testing::NginxMtlsFiles nginx_files{dir_ / "data" / "tls" / "server.crt",
                                            dir_ / "data" / "tls" / "server.key",
                                            dir_ / "chain.pem", dir_ / "crl.pem"};
  if (have_nginx) {
    const testing::NginxMtlsServer nginx(dir_ / "nginx-overlap", nginx_files);
    for (const char* name : {"old", "new"}) {
      auto accepted =
          nginx.request(dir_ / (std::string(name) + ".crt"), dir_ / (std::string(name) + ".key"));
      EXPECT_TRUE(accepted.out.ends_with("200")) << name << ": " << accepted.out << accepted.err;
      EXPECT_NE(accepted.out.find("CN=alice"), std::string::npos) << accepted.out;
    }
  }

  auto [early_code, early_out, early_err] = broker_.admin({"ca", "retire", "x509", old_ca});
  EXPECT_EQ(early_code, 1);
  EXPECT_NE(early_err.find("still valid"), std::string::npos) << early_err;
  auto [signer_code, signer_out, signer_err] = broker_.admin({"ca", "retire", "x509", new_ca});
  EXPECT_EQ(signer_code, 1);
  EXPECT_NE(signer_err.find("signing"), std::string::npos) << signer_err;

  // Revoked: each certificate in its own CA's CRL, and OCSP says so.
  const auto bundle_before = read_text(dir_ / "crl.pem");
  post("/v1/grants/" + grant + "/revoke", "alice", {{"reason", "rotation test"}}, 200);
  for (int i = 0; i < 50 && get_text("/v1/ca/x509/crl?format=pem-bundle") == bundle_before; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  fetch_chain_and_crls();
  for (const auto& certificate : {old_certificate, new_certificate}) {
    auto refused = verify(certificate);
    EXPECT_NE(refused.exit_code, 0) << certificate;
    EXPECT_NE((refused.out + refused.err).find("certificate revoked"), std::string::npos)
        << certificate << refused.out << refused.err;
  }
  // Each certificate's CRL distribution point names its own issuing CA; the broker serves that
  // CA's DER CRL under the same query, and openssl finds the certificate revoked with it alone.
  for (const auto& [certificate, ca_key] :
       {std::pair{old_certificate, old_ca}, std::pair{new_certificate, new_ca}}) {
    const auto points =
        testing::run_process({"/usr/bin/openssl", "x509", "-in", certificate.string(), "-noout",
                              "-ext", "crlDistributionPoints"});
    EXPECT_NE(points.out.find(std::string(kRotationCrlUrl) + "?issuer=" + ca_key),
              std::string::npos)
        << points.out << points.err;
    write_text(dir_ / "issuer.crl", get_text("/v1/ca/x509/crl?issuer=" + ca_key));
    const auto converted = testing::run_process({"/usr/bin/openssl", "crl", "-inform", "DER", "-in",
                                                 (dir_ / "issuer.crl").string(), "-out",
                                                 (dir_ / "issuer-crl.pem").string()});
    ASSERT_EQ(converted.exit_code, 0) << converted.err;
    const auto refused = testing::run_process(
        {"/usr/bin/openssl", "verify", "-CAfile", (dir_ / "chain.pem").string(), "-crl_check",
         "-CRLfile", (dir_ / "issuer-crl.pem").string(), certificate.string()});
    EXPECT_NE((refused.out + refused.err).find("certificate revoked"), std::string::npos)
        << certificate << refused.out << refused.err;
  }
  EXPECT_EQ(call(http::verb::get, "/v1/ca/x509/crl?issuer=" + std::string(64, 'a'), "").status,
            404u);
  EXPECT_EQ(call(http::verb::get, "/v1/ca/x509/crl?format=pem&issuer=" + old_ca, "").status, 400u);
  EXPECT_NE(ocsp(old_certificate, dir_ / "old-issuing.pem").find(": revoked"), std::string::npos);
  EXPECT_NE(ocsp(new_certificate, dir_ / "new-issuing.pem").find(": revoked"), std::string::npos);
  if (have_nginx) {
    const testing::NginxMtlsServer nginx(dir_ / "nginx-revoked", nginx_files);
    for (const char* name : {"old", "new"}) {
      auto refused =
          nginx.request(dir_ / (std::string(name) + ".crt"), dir_ / (std::string(name) + ".key"));
      EXPECT_FALSE(refused.out.ends_with("200")) << name << ": " << refused.out;
    }
    EXPECT_NE(nginx.error_log().find("revoked"), std::string::npos) << nginx.error_log();
  }

  // Time passes until the old CA's certificates have ended (simulated in the stopped broker's
  // database), then it retires and leaves the chain and the CRL bundle.
  ASSERT_EQ(broker_.stop(), 0);
  {
    SQLite::Database db(broker_.database().string(), SQLite::OPEN_READWRITE);
    SQLite::Statement expire(db, "UPDATE certificates SET not_after = 1000 WHERE ca_key = ?");
    expire.bind(1, old_ca);
    EXPECT_EQ(expire.exec(), 1);
  }
  auto [retire_code, retire_out, retire_err] = broker_.admin({"ca", "retire", "x509", old_ca});
  EXPECT_EQ(retire_code, 0) << retire_err;
  {
    SQLite::Database db(broker_.database().string(), SQLite::OPEN_READONLY);
    SQLite::Statement query(db,
                            "SELECT actor || ' ' || action || ' ' || object || ' ' || details "
                            "FROM audit WHERE action IN ('ca.rotate', 'ca.retire') ORDER BY seq");
    std::vector<std::string> records;
    while (query.executeStep()) records.push_back(query.getColumn(0).getString());
    ASSERT_EQ(records.size(), 2u);
    const std::string me = ::getpwuid(::geteuid())->pw_name;  // sudo_user may follow
    EXPECT_TRUE(records[0].starts_with(
        "admin ca.rotate ca/x509 {\"kind\":\"x509\",\"fingerprint\":\"" + new_ca +
        "\",\"location\":\"" + kRotatedIssuingUri + "\",\"os_user\":\"" + me + "\""))
        << records[0];
    EXPECT_TRUE(records[1].starts_with(
        "admin ca.retire ca/x509 {\"kind\":\"x509\",\"fingerprint\":\"" + old_ca + "\""))
        << records[1];
    for (const auto& record : records) EXPECT_EQ(record.find(token_.pin()), std::string::npos);
  }
  start_broker();
  fetch_chain_and_crls();
  const auto after = pem_blocks(read_text(dir_ / "chain.pem"));
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0], chain[0]);
  EXPECT_EQ(pem_blocks(read_text(dir_ / "crl.pem")).size(), 2u);
}

}  // namespace
}  // namespace jit::broker::access_flow_testing
