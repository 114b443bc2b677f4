// The openssl command line (Debian 12, OpenSSL 3.0) as an independent relying party: it verifies
// our chain for client authentication, applies our CRLs, prints our profile, and checks our OCSP
// responses.
#include "ca/crl_builder.hpp"
#include "ca/ocsp_responder.hpp"
#include "ca/x509_client_certificate.hpp"
#include "ca/x509_hierarchy.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>

namespace jit::ca {
namespace {

using namespace std::chrono;
using testing::Clock;
using testing::run_command;

class OpensslToolsTest : public ::testing::TestWithParam<KeyAlgorithm> {
 protected:
  void SetUp() override {
    auto hierarchy = create_dev_hierarchy(GetParam(), {}, {}, now_);
    ASSERT_TRUE(hierarchy);
    hierarchy_.emplace(std::move(*hierarchy));
    testing::write_text(dir_ / "root.pem", hierarchy_->root_pem());
    testing::write_text(dir_ / "intermediate.pem", hierarchy_->issuing().certificate_pem());
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  testing::CommandResult verify(const std::string& leaf,
                                std::vector<std::string> extra = {}) const {
    std::vector<std::string> argv = {"openssl",        "verify",     "-CAfile",
                                     path("root.pem"), "-untrusted", path("intermediate.pem"),
                                     "-purpose",       "sslclient",  "-x509_strict"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(leaf);
    return run_command(argv);
  }

  Clock::time_point now_ = Clock::now();
  testing::TempDir dir_;
  std::optional<X509CaHierarchy> hierarchy_;
};

TEST_P(OpensslToolsTest, VerifyAcceptsOurClientCertificatesForClientAuthOnly) {
  const auto alice = testing::issue_client_files(hierarchy_->issuing(), dir_.path(), "alice", now_,
                                                 now_ + hours(1));
  auto accepted = verify(alice.certificate.string());
  EXPECT_EQ(accepted.exit_code, 0) << accepted.output;
  EXPECT_NE(accepted.output.find("alice.pem: OK"), std::string::npos) << accepted.output;

  auto as_server =
      run_command({"openssl", "verify", "-CAfile", path("root.pem"), "-untrusted",
                   path("intermediate.pem"), "-purpose", "sslserver", alice.certificate.string()});
  EXPECT_EQ(as_server.exit_code, 2) << as_server.output;
  EXPECT_NE(as_server.output.find("unsuitable certificate purpose"), std::string::npos)
      << as_server.output;

  // A CSR made by the openssl command line that asks for CA:TRUE and more gets our profile only.
  const std::string greedy =
      testing::read_text(std::filesystem::path(JIT_TEST_DATA_DIR) / "x509_csr_p384_greedy.pem");
  const X509ClientProfile profile{"alice",
                                  "prod-db-read",
                                  "spiffe://corp.example/user/alice/role/prod-db-read",
                                  "alice@corp.example",
                                  "http://127.0.0.1:8443/v1/ca/x509/crl",
                                  ""};
  auto issued =
      issue_client_certificate_from_csr(hierarchy_->issuing(), greedy, profile, *random_serial(),
                                        now_ - seconds(60), now_ + minutes(30));
  ASSERT_TRUE(issued);
  testing::write_text(dir_ / "greedy.pem", issued->pem);
  EXPECT_EQ(verify(path("greedy.pem")).exit_code, 0);
  auto text = run_command({"openssl", "x509", "-in", path("greedy.pem"), "-noout", "-text"});
  ASSERT_EQ(text.exit_code, 0) << text.output;
  for (const char* expected :
       {"Subject: OU = prod-db-read, CN = alice",
        "X509v3 Basic Constraints: critical\n                CA:FALSE",
        "X509v3 Key Usage: critical\n                Digital Signature\n",
        "X509v3 Extended Key Usage: \n                TLS Web Client Authentication\n",
        "URI:spiffe://corp.example/user/alice/role/prod-db-read, email:alice@corp.example\n",
        "URI:http://127.0.0.1:8443/v1/ca/x509/crl", "X509v3 Subject Key Identifier",
        "X509v3 Authority Key Identifier", "Public-Key: (384 bit)"}) {
    EXPECT_NE(text.output.find(expected), std::string::npos) << expected << "\n" << text.output;
  }
  for (const char* absent :
       {"CA:TRUE", "Evil", "DNS:", "Server Authentication", "Code Signing", "Certificate Sign"}) {
    EXPECT_EQ(text.output.find(absent), std::string::npos) << absent;
  }
}

TEST_P(OpensslToolsTest, VerifyWithOurCrlsRejectsRevokedAndAcceptsOthers) {
  const auto revoked = testing::issue_client_files(hierarchy_->issuing(), dir_.path(), "revoked",
                                                   now_, now_ + hours(1));
  const auto kept = testing::issue_client_files(hierarchy_->issuing(), dir_.path(), "kept", now_,
                                                now_ + hours(1));
  auto crl = build_crl(hierarchy_->issuing(),
                       std::vector<CrlEntry>{{*X509Serial::from_hex(revoked.serial_hex), now_,
                                              CrlReason::key_compromise, now_ + hours(1)}},
                       17, now_, now_ + minutes(5), now_);
  auto root_crl = build_crl(*hierarchy_->root(), {}, 1, now_, now_ + hours(24), now_);
  ASSERT_TRUE(crl && root_crl);
  testing::write_text(dir_ / "crl.pem", crl->pem);
  testing::write_text(dir_ / "root-crl.pem", root_crl->pem);

  // -crl_check: the leaf against the issuing CA's CRL.
  auto rejected = verify(revoked.certificate.string(), {"-crl_check", "-CRLfile", path("crl.pem")});
  EXPECT_EQ(rejected.exit_code, 2) << rejected.output;
  EXPECT_NE(rejected.output.find("certificate revoked"), std::string::npos) << rejected.output;
  auto accepted = verify(kept.certificate.string(), {"-crl_check", "-CRLfile", path("crl.pem")});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.output;

  // -crl_check_all (what nginx does): every CA in the chain needs a CRL, the root's included.
  auto all = verify(kept.certificate.string(), {"-crl_check_all", "-CRLfile", path("crl.pem"),
                                                "-CRLfile", path("root-crl.pem")});
  EXPECT_EQ(all.exit_code, 0) << all.output;
  auto all_revoked =
      verify(revoked.certificate.string(),
             {"-crl_check_all", "-CRLfile", path("crl.pem"), "-CRLfile", path("root-crl.pem")});
  EXPECT_EQ(all_revoked.exit_code, 2) << all_revoked.output;
  auto missing_root_crl =
      verify(kept.certificate.string(), {"-crl_check_all", "-CRLfile", path("crl.pem")});
  EXPECT_EQ(missing_root_crl.exit_code, 2) << missing_root_crl.output;
  EXPECT_NE(missing_root_crl.output.find("unable to get certificate CRL"), std::string::npos)
      << missing_root_crl.output;

  auto text = run_command({"openssl", "crl", "-in", path("crl.pem"), "-noout", "-text"});
  ASSERT_EQ(text.exit_code, 0) << text.output;
  std::string upper_serial = revoked.serial_hex;  // openssl prints serials in upper case
  for (char& c : upper_serial) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& expected :
       {std::string("X509v3 CRL Number: \n                17"), "Serial Number: " + upper_serial,
        std::string("Key Compromise"), std::string("Version 2 (0x1)")}) {
    EXPECT_NE(text.output.find(expected), std::string::npos) << expected << "\n" << text.output;
  }
  auto signature = run_command(
      {"openssl", "crl", "-in", path("crl.pem"), "-noout", "-CAfile", path("intermediate.pem")});
  EXPECT_EQ(signature.exit_code, 0) << signature.output;
  EXPECT_NE(signature.output.find("verify OK"), std::string::npos) << signature.output;
}

TEST_P(OpensslToolsTest, OpensslOcspClientAcceptsOurResponses) {
  const auto good = testing::issue_client_files(hierarchy_->issuing(), dir_.path(), "good", now_,
                                                now_ + hours(1));
  const auto revoked = testing::issue_client_files(hierarchy_->issuing(), dir_.path(), "revoked",
                                                   now_, now_ + hours(1));
  const OcspStatusLookup lookup = [&](const X509Serial& serial) {
    if (serial.hex() == good.serial_hex)
      return OcspCertificateStatus{OcspStatus::good, {}, CrlReason::unspecified};
    if (serial.hex() == revoked.serial_hex) {
      return OcspCertificateStatus{OcspStatus::revoked, now_ - minutes(1),
                                   CrlReason::key_compromise};
    }
    return OcspCertificateStatus{};
  };
  auto request = run_command({"openssl", "ocsp", "-issuer", path("intermediate.pem"), "-cert",
                              good.certificate.string(), "-cert", revoked.certificate.string(),
                              "-reqout", path("request.der")});
  ASSERT_EQ(request.exit_code, 0) << request.output;
  const std::string request_der = testing::read_text(dir_ / "request.der");
  auto response = ocsp_respond(hierarchy_->issuing(), as_bytes(request_der), lookup, Clock::now());
  ASSERT_TRUE(response);
  testing::write_text(dir_ / "response.der", as_chars(*response));
  // The nonce round trip is covered by ocsp_responder_test; given -cert, openssl would build a new
  // request with a fresh nonce rather than read -reqin, so it is told not to check one here.
  auto checked =
      run_command({"openssl", "ocsp", "-no_nonce", "-respin", path("response.der"), "-issuer",
                   path("intermediate.pem"), "-cert", good.certificate.string(), "-cert",
                   revoked.certificate.string(), "-CAfile", path("root.pem"), "-verify_other",
                   path("intermediate.pem")});
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_NE(checked.output.find("Response verify OK"), std::string::npos) << checked.output;
  EXPECT_NE(checked.output.find("good.pem: good"), std::string::npos) << checked.output;
  EXPECT_NE(checked.output.find("revoked.pem: revoked"), std::string::npos) << checked.output;
  EXPECT_NE(checked.output.find("Reason: keyCompromise"), std::string::npos) << checked.output;
}

INSTANTIATE_TEST_SUITE_P(CaKeys, OpensslToolsTest,
                         ::testing::Values(KeyAlgorithm::ecdsa_p256, KeyAlgorithm::ed25519,
                                           KeyAlgorithm::rsa),
                         [](const auto& info) {
                           switch (info.param) {
                             case KeyAlgorithm::ed25519:
                               return std::string("Ed25519");
                             case KeyAlgorithm::rsa:
                               return std::string("Rsa3072");
                             default:
                               return std::string("P256");
                           }
                         });

}  // namespace
}  // namespace jit::ca
