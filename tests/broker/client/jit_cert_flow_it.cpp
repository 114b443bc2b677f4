// `jit ssh-cert` and `jit x509-cert` against canned broker answers that carry real certificates
// (minted by our CA library for whatever key the command sent): what is sent (public half only),
// which files are written with which modes, what is printed, and the hand-over to a real ssh-agent
// with the certificate's remaining lifetime.
#include "broker/client/jit_access_commands.hpp"
#include "broker/client/jit_cert_commands.hpp"
#include "ca/csr_parser.hpp"
#include "ca/openssh_private_key.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_client_certificate.hpp"
#include "ca/x509_hierarchy.hpp"
#include "ca/x509_pem.hpp"
#include "support/jit_cli_fixture.hpp"
#include "support/ssh_agent_process.hpp"
#include "tests/support/files.hpp"

#include <openssl/pem.h>
#include <sys/stat.h>

#include <fstream>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

using namespace std::chrono_literals;
using Canned = CannedBroker;
using status = http::status;

class JitCertTest : public JitCliTest {
 protected:
  // Answers a minting call like the broker: a certificate for the public key in the body, or for
  // `other_key` when set (a broker bug the command must catch).
  Canned::Answer ssh_mint(std::chrono::seconds validity,
                          const ca::SshPublicKey* other_key = nullptr) {
    return [this, validity, other_key](const RecordedCall& call) {
      auto subject = ca::SshPublicKey::parse_line(body_text(call, "public_key"));
      if (!subject) return error_response(status::bad_request, "invalid_public_key", "bad key");
      ca::SshCertificateProfile profile;
      profile.serial = 17;
      profile.key_id = "jit:" + kRequestId + ":alice:prod-db-read";
      profile.principals = {"dbread", "dbadmin"};
      const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
      profile.valid_after = now - 30s;
      profile.valid_before = now + validity;
      auto certificate =
          ssh_ca_->issue_user_certificate(other_key ? *other_key : *subject, profile);
      if (!certificate) return error_response(status::internal_server_error, "internal", "ca");
      return json_response(
          status::created,
          boost::json::object{{"certificate", certificate->line(profile.key_id)},
                              {"serial", 17},
                              {"valid_before", profile.valid_before.time_since_epoch().count()},
                              {"key_id", profile.key_id},
                              {"principals", {"dbread", "dbadmin"}}});
    };
  }

  Canned::Answer x509_mint(EVP_PKEY* other_key = nullptr) {
    return [this, other_key](const RecordedCall& call) {
      std::string csr = body_text(call, "csr");
      if (other_key != nullptr) csr = other_csr(other_key);
      ca::X509ClientProfile profile;
      profile.common_name = "alice";
      profile.organizational_unit = "prod-db-read";
      profile.san_uri = "spiffe://corp.example/user/alice/role/prod-db-read";
      const auto now = std::chrono::system_clock::now();
      auto issued = ca::issue_client_certificate_from_csr(
          hierarchy_->issuing(), csr, profile, *ca::random_serial(), now - 30s, now + 1h);
      if (!issued) return error_response(status::bad_request, "invalid_csr", "bad csr");
      return json_response(
          status::created,
          boost::json::object{{"certificate", issued->pem},
                              {"chain", hierarchy_->chain_pem()},
                              {"serial", issued->serial_hex},
                              {"not_after", std::chrono::duration_cast<std::chrono::seconds>(
                                                issued->not_after.time_since_epoch())
                                                .count()}});
    };
  }

  static std::string other_csr(EVP_PKEY* key) {
    ca::X509ReqPtr request(X509_REQ_new());
    X509_REQ_set_pubkey(request.get(), key);
    X509_REQ_sign(request.get(), key, EVP_sha256());
    ca::BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509_REQ(bio.get(), request.get());
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
  }

  CommandRun ssh_cert(const std::filesystem::path& dir, const std::string& stdin_text = {},
                      bool agent = true) {
    SshCertOptions options;
    options.grant = kGrantId;
    options.dir = dir;
    options.add_to_agent = agent;
    return run([&](auto& in, auto& out,
                   auto& err) { return jit_ssh_cert(global_, options, in, out, err); },
               stdin_text);
  }

  std::optional<ca::SshCertificateAuthority> ssh_ca_ = [] {
    std::vector<ca::SshCaKey> keys;
    keys.push_back(*ca::SshCaKey::generate());
    return std::optional(*ca::SshCertificateAuthority::create(std::move(keys)));
  }();
  std::optional<ca::X509CaHierarchy> hierarchy_ = std::optional(*ca::create_dev_hierarchy(
      ca::KeyAlgorithm::ecdsa_p256, {}, {}, std::chrono::system_clock::now()));
};

TEST_F(JitCertTest, SshCertSendsOnlyThePublicKeyAndWritesKeyAndCertificateReadyForSsh) {
  broker_.script("POST /v1/grants/{id}/ssh-cert", {ssh_mint(1h)});
  const auto dir = dir_ / "home" / ".ssh";  // neither exists yet
  const auto result = ssh_cert(dir);
  ASSERT_EQ(result.code, 0) << result.err;
  const std::string key = (dir / ("jit-" + kGrantId)).string();
  EXPECT_EQ(result.out, "ssh -i " + key + " -o CertificateFile=" + key +
                            "-cert.pub dbread@<host>\n" + "ssh -i " + key +
                            " -o CertificateFile=" + key + "-cert.pub dbadmin@<host>\n");
  EXPECT_NE(result.err.find("certificate serial 17 valid until"), std::string::npos) << result.err;
  EXPECT_EQ(file_mode(dir), 0700u);
  EXPECT_EQ(file_mode(key), 0600u);
  EXPECT_EQ(file_mode(key + ".pub"), 0644u);
  EXPECT_EQ(file_mode(key + "-cert.pub"), 0644u);

  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].target, "/v1/grants/" + kGrantId + "/ssh-cert");
  ASSERT_TRUE(calls[0].body.is_object());
  EXPECT_EQ(calls[0].body.as_object().size(), 1u);  // public_key only: no mfa, nothing private
  const auto sent = ca::SshPublicKey::parse_line(body_text(calls[0], "public_key"));
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->type(), ca::SshKeyType::ed25519);

  // The three files pair up: the key file holds the private half of the .pub key, which is the
  // key the certificate certifies.
  const auto certificate = ca::parse_ssh_certificate_line(read_text(key + "-cert.pub"));
  ASSERT_TRUE(certificate);
  const auto public_key = ca::SshPublicKey::parse_line(read_text(key + ".pub"));
  ASSERT_TRUE(public_key);
  EXPECT_EQ(*public_key, *sent);
  EXPECT_EQ(certificate->subject, *sent);
  const auto private_key = ca::parse_openssh_private_key(read_text(key));
  ASSERT_TRUE(private_key) << private_key.error().message();
  EXPECT_EQ(*ca::SshPublicKey::from_evp(private_key->get()), *sent);
}

TEST_F(JitCertTest, SshCertPromptsAndRetriesWhenTheBrokerWantsFreshMfa) {
  broker_.script(
      "POST /v1/grants/{id}/ssh-cert",
      {Canned::error(status::unauthorized, "mfa_required", "fresh MFA required"), ssh_mint(1h)});
  const auto result = ssh_cert(dir_ / "ssh", "424242\n");
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(result.err.starts_with("TOTP code: ")) << result.err;
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(totp_of(calls[0]), "<absent>");
  EXPECT_EQ(totp_of(calls[1]), "424242");
  EXPECT_EQ(body_text(calls[0], "public_key"), body_text(calls[1], "public_key"));
}

TEST_F(JitCertTest, SshCertRefusesACertificateForAnotherKeyAndWritesNothing) {
  const auto stranger =
      *ca::SshPublicKey::from_evp(ca::generate_private_key(ca::KeyAlgorithm::ed25519)->get());
  broker_.script("POST /v1/grants/{id}/ssh-cert", {ssh_mint(1h, &stranger)});
  const auto result = ssh_cert(dir_ / "ssh");
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "jit: unexpected answer from the broker (certificate for another key)\n");
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "ssh"));
}

TEST_F(JitCertTest, SshCertRefusedByTheBrokerPrintsItsError) {
  broker_.script("POST /v1/grants/{id}/ssh-cert",
                 {Canned::error(status::conflict, "grant_not_active", "grant is not active")});
  const auto result = ssh_cert(dir_ / "ssh");
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "jit: grant is not active (grant_not_active)\n");
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "ssh"));
}

// The agent holds key and certificate for exactly the certificate's remaining validity.
TEST_F(JitCertTest, SshCertAddsKeyAndCertificateToTheAgentUntilTheCertificateExpires) {
  jit::testing::SshAgentProcess agent(dir_.path());
  ASSERT_TRUE(agent.running());
  ::setenv("SSH_AUTH_SOCK", agent.socket().c_str(), 1);
  broker_.script("POST /v1/grants/{id}/ssh-cert", {ssh_mint(3s)});
  const auto added_at = std::chrono::steady_clock::now();
  const auto result = ssh_cert(dir_ / "ssh");
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_NE(result.err.find("added to ssh-agent for "), std::string::npos) << result.err;
  const auto fingerprint =
      ca::SshPublicKey::parse_line(read_text(dir_ / "ssh" / ("jit-" + kGrantId + ".pub")))
          ->fingerprint_sha256();
  auto [code, listing] = agent.list(dir_.path());
  EXPECT_EQ(code, 0) << listing;
  EXPECT_NE(listing.find(fingerprint + " jit-" + kGrantId + " (ED25519)"), std::string::npos)
      << listing;
  EXPECT_NE(listing.find(fingerprint + " jit-" + kGrantId + " (ED25519-CERT)"), std::string::npos)
      << listing;
  // Lifetime = valid_before - now, i.e. 2 or 3 s (whole seconds): gone after that, not before 1 s.
  std::optional<std::chrono::steady_clock::duration> gone_after;
  while (std::chrono::steady_clock::now() - added_at < 8s) {
    std::tie(code, listing) = agent.list(dir_.path());
    if (listing.find("no identities") != std::string::npos) {
      gone_after = std::chrono::steady_clock::now() - added_at;
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(gone_after) << "still in the agent: " << listing;
  EXPECT_GE(*gone_after, 1s) << listing;
  EXPECT_LE(*gone_after, 5s) << listing;
}

TEST_F(JitCertTest, SshCertWithoutAgentOptionLeavesTheAgentAlone) {
  jit::testing::SshAgentProcess agent(dir_.path());
  ASSERT_TRUE(agent.running());
  ::setenv("SSH_AUTH_SOCK", agent.socket().c_str(), 1);
  broker_.script("POST /v1/grants/{id}/ssh-cert", {ssh_mint(1h)});
  const auto result = ssh_cert(dir_ / "ssh", {}, /*agent=*/false);
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err.find("ssh-agent"), std::string::npos) << result.err;
  EXPECT_NE(agent.list(dir_.path()).second.find("no identities"), std::string::npos);
}

// Issue 21: `jit revoke` takes back out of the agent what `jit ssh-cert` put in: key and
// certificate.
TEST_F(JitCertTest, RevokeRemovesTheGrantsKeyAndCertificateFromTheAgent) {
  jit::testing::SshAgentProcess agent(dir_.path());
  ASSERT_TRUE(agent.running());
  ::setenv("SSH_AUTH_SOCK", agent.socket().c_str(), 1);
  broker_.script("POST /v1/grants/{id}/ssh-cert", {ssh_mint(1h)});
  ASSERT_EQ(ssh_cert(dir_ / "ssh").code, 0);
  ASSERT_NE(agent.list(dir_.path()).second.find("(ED25519-CERT)"), std::string::npos);
  broker_.script("POST /v1/grants/{id}/revoke",
                 {Canned::json(status::ok, grant_json("revoked", 4102444800))});
  RevokeOptions options{kGrantId, "done", dir_ / "ssh"};
  const auto result = run(
      [&](auto& in, auto& out, auto& err) { return jit_revoke(global_, options, in, out, err); });
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_NE(result.err.find("removed its key and certificate from ssh-agent"), std::string::npos)
      << result.err;
  EXPECT_NE(agent.list(dir_.path()).second.find("no identities"), std::string::npos)
      << agent.list(dir_.path()).second;
}

TEST_F(JitCertTest, X509CertSendsACsrForTheUserAndWritesKeyCertificateAndChain) {
  broker_.script("POST /v1/grants/{id}/x509-cert", {x509_mint()});
  X509CertOptions options;
  options.grant = kGrantId;
  const auto result = run([&](auto& in, auto& out, auto& err) {
    return jit_x509_cert(global_, options, in, out, err);
  });
  ASSERT_EQ(result.code, 0) << result.err;
  const auto dir = dir_ / "jit-config" / "certs";  // the default: beside the profile
  const auto key = dir / ("jit-" + kGrantId + ".key");
  const auto crt = dir / ("jit-" + kGrantId + ".crt");
  const auto chain = dir / ("jit-" + kGrantId + "-chain.pem");
  EXPECT_TRUE(result.out.starts_with("certificate: " + crt.string() +
                                     "\nkey:         " + key.string() +
                                     "\nchain:       " + chain.string() + "\nnot_after:   "))
      << result.out;
  EXPECT_EQ(file_mode(dir), 0700u);
  EXPECT_EQ(file_mode(key), 0600u);
  EXPECT_EQ(file_mode(crt), 0644u);
  EXPECT_EQ(file_mode(chain), 0644u);
  EXPECT_EQ(read_text(chain), hierarchy_->chain_pem());

  // Only the CSR left the machine; it verifies, names the user, and carries the written key.
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 1u);
  ASSERT_TRUE(calls[0].body.is_object());
  EXPECT_EQ(calls[0].body.as_object().size(), 1u);
  const std::string csr = body_text(calls[0], "csr");
  EXPECT_EQ(csr.find("PRIVATE"), std::string::npos);
  const auto verified = ca::parse_and_verify_csr(csr);
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->key_algorithm, ca::KeyAlgorithm::ecdsa_p256);
  ca::BioPtr bio(BIO_new_mem_buf(csr.data(), static_cast<int>(csr.size())));
  ca::X509ReqPtr request(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(request);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(request.get()), NID_commonName, cn,
                            sizeof cn);
  EXPECT_STREQ(cn, "alice");

  auto private_key = ca::load_private_key_file(key, std::nullopt);
  ASSERT_TRUE(private_key);
  EXPECT_EQ(EVP_PKEY_eq(X509_REQ_get0_pubkey(request.get()), private_key->get()), 1);
  const std::string pem = read_text(crt);
  ca::BioPtr crt_bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ca::X509Ptr certificate(PEM_read_bio_X509(crt_bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(certificate);
  EXPECT_EQ(X509_check_private_key(certificate.get(), private_key->get()), 1);
}

TEST_F(JitCertTest, X509CertRefusesACertificateForAnotherKeyAndWritesNothing) {
  auto stranger = ca::generate_private_key(ca::KeyAlgorithm::ecdsa_p256);
  broker_.script("POST /v1/grants/{id}/x509-cert", {x509_mint(stranger->get())});
  X509CertOptions options;
  options.grant = kGrantId;
  options.dir = dir_ / "certs";
  const auto result = run([&](auto& in, auto& out, auto& err) {
    return jit_x509_cert(global_, options, in, out, err);
  });
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "jit: unexpected answer from the broker (certificate for another key)\n");
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "certs"));
}

}  // namespace
}  // namespace jit::broker
