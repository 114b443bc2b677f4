// The published revocation lists as Debian 12's own tools read them: `ssh-keygen -Q` on the KRL,
// `openssl crl` and `openssl verify -crl_check_all` on the CRLs; and `jit-broker krl write` as a
// separate process beside a running broker.
#include "broker/broker_app.hpp"
#include "broker/service/ca_keys.hpp"
#include "ca/krl_builder.hpp"
#include "ca/krl_file.hpp"
#include "ca/x509_client_certificate.hpp"
#include "config/broker_config.hpp"
#include "support/revocation_fixture.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace jit::broker {
namespace {

using jit::testing::ChildProcess;
using jit::testing::read_text;
using jit::testing::RevocationFixture;
using jit::testing::test_policy;
using jit::testing::TestPolicyOptions;
using jit::testing::write_text;
using testing::kBrokerBinary;
using testing::kOpensslBinary;
using namespace std::chrono_literals;

constexpr const char* kKeygen = "/usr/bin/ssh-keygen";

class RevocationToolsTest : public ::testing::Test, public RevocationFixture {
 protected:
  std::filesystem::path write_certificate(const ca::SshCertificate& certificate,
                                          const std::string& name) {
    const auto path = dir_ / (name + "-cert.pub");
    write_text(path, certificate.line(name) + "\n");
    return path;
  }

  // A P-256 key and CSR made by openssl, certified by the issuing CA.
  ca::IssuedX509Certificate issue_x509(const std::string& name) {
    const auto key = dir_ / (name + ".key");
    const auto csr = dir_ / (name + ".csr");
    auto [code, out, err] = ChildProcess::run(
        {kOpensslBinary, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", key.string(), "-subj", "/CN=" + name, "-out", csr.string()},
        dir_.path());
    EXPECT_EQ(code, 0) << err;
    ca::X509ClientProfile profile;
    profile.common_name = name;
    profile.organizational_unit = "prod-db-read";
    const auto now = std::chrono::system_clock::now();
    auto issued = ca::issue_client_certificate_from_csr(x509_ca_.issuing(), read_text(csr), profile,
                                                        *ca::random_serial(), now - 60s, now + 1h);
    EXPECT_TRUE(issued) << issued.error().message();
    write_text(dir_ / (name + ".pem"), issued->pem);
    return *issued;
  }
};

TEST_F(RevocationToolsTest, SshKeygenFindsTheRevokedCertificateAndOnlyIt) {
  const auto revoked = write_certificate(issue_ssh(5, now_ + 3600), "revoked");
  const auto kept = write_certificate(issue_ssh(6, now_ + 3600), "kept");
  insert_certificate("ssh", "5", ssh_ca_key(), now_ + 3600, now_);
  insert_certificate("ssh", "6", ssh_ca_key(), now_ + 3600);
  auto publisher = make_publisher();
  ASSERT_FALSE(publisher->rebuild());
  const auto krl = dir_ / "revoked.krl";
  write_text(krl, publisher->snapshot()->krl->bytes);

  auto [revoked_code, revoked_out, revoked_err] =
      ChildProcess::run({kKeygen, "-Q", "-f", krl.string(), revoked.string()}, dir_.path());
  EXPECT_EQ(revoked_code, 1) << revoked_err;
  EXPECT_NE(revoked_out.find("REVOKED"), std::string::npos) << revoked_out;
  auto [kept_code, kept_out, kept_err] =
      ChildProcess::run({kKeygen, "-Q", "-f", krl.string(), kept.string()}, dir_.path());
  EXPECT_EQ(kept_code, 0) << kept_err;
  EXPECT_NE(kept_out.find(": ok"), std::string::npos) << kept_out;
  auto [list_code, list_out, list_err] =
      ChildProcess::run({kKeygen, "-Q", "-l", "-f", krl.string()}, dir_.path());
  EXPECT_EQ(list_code, 0) << list_err;
  EXPECT_NE(list_out.find("# KRL version 1\n"), std::string::npos) << list_out;
  EXPECT_NE(list_out.find("serial: 5\n"), std::string::npos) << list_out;
  EXPECT_EQ(list_out.find("serial: 6"), std::string::npos) << list_out;
}

TEST_F(RevocationToolsTest, OpensslVerifiesTheCrlsAndRefusesOnlyTheRevokedCertificate) {
  const auto revoked = issue_x509("mallory");
  const auto kept = issue_x509("alice");
  insert_certificate("x509", revoked.serial_hex, x509_fingerprint_, now_ + 3600, now_);
  insert_certificate("x509", kept.serial_hex, x509_fingerprint_, now_ + 3600);
  auto publisher = make_publisher();
  ASSERT_FALSE(publisher->rebuild());
  const auto crls = publisher->snapshot()->crls;
  write_text(dir_ / "chain.pem", x509_ca_.chain_pem());
  write_text(dir_ / "crl.der", crls->der);
  write_text(dir_ / "bundle.pem", crls->bundle_pem);

  // The issuing CA's CRL: signature checked against the chain.
  auto [crl_code, crl_out, crl_err] = ChildProcess::run(
      {kOpensslBinary, "crl", "-inform", "DER", "-in", (dir_ / "crl.der").string(), "-CAfile",
       (dir_ / "chain.pem").string(), "-noout"},
      dir_.path());
  EXPECT_EQ(crl_code, 0) << crl_err;
  EXPECT_NE((crl_out + crl_err).find("verify OK"), std::string::npos) << crl_out << crl_err;

  // The whole chain is checked against the bundle (issuing CRL, then the root's).
  const std::vector<std::string> verify = {
      kOpensslBinary,   "verify",       "-CAfile",  (dir_ / "chain.pem").string(),
      "-crl_check_all", "-x509_strict", "-CRLfile", (dir_ / "bundle.pem").string(),
      "-purpose",       "sslclient"};
  auto with = [&](const std::string& name) {
    auto argv = verify;
    argv.push_back((dir_ / (name + ".pem")).string());
    return ChildProcess::run(argv, dir_.path());
  };
  auto [ok_code, ok_out, ok_err] = with("alice");
  EXPECT_EQ(ok_code, 0) << ok_out << ok_err;
  EXPECT_NE(ok_out.find(": OK"), std::string::npos) << ok_out;
  auto [bad_code, bad_out, bad_err] = with("mallory");
  EXPECT_EQ(bad_code, 2) << bad_out << bad_err;
  EXPECT_NE((bad_out + bad_err).find("certificate revoked"), std::string::npos)
      << bad_out << bad_err;

  // Without the root's CRL, checking the whole chain fails: the bundle is what nginx needs.
  write_text(dir_ / "issuing-only.pem", crls->pem);
  auto argv = verify;
  argv[7] = (dir_ / "issuing-only.pem").string();
  argv.push_back((dir_ / "alice.pem").string());
  auto [partial_code, partial_out, partial_err] = ChildProcess::run(argv, dir_.path());
  EXPECT_EQ(partial_code, 2) << partial_out;
  EXPECT_NE((partial_out + partial_err).find("unable to get certificate CRL"), std::string::npos)
      << partial_out << partial_err;
}

class KrlWriteCommandTest : public ::testing::Test {
 protected:
  // The test policy without the role's extras, one approval.
  KrlWriteCommandTest() : broker_(policy()) {}
  static std::string policy() {
    TestPolicyOptions options;
    options.approvals_required = 1;
    options.full_profile = false;
    return test_policy(options);
  }
  std::string config() const { return broker_.config_file(); }

  std::tuple<int, std::string, std::string> krl_write(const std::filesystem::path& file) {
    return ChildProcess::run({kBrokerBinary, "--config", config(), "krl", "write", file.string()},
                             dir_);
  }

  testing::BrokerProcess broker_;
  const std::filesystem::path& dir_ = broker_.dir();  // the broker's folder: files, data/, cwd
};

TEST_F(KrlWriteCommandTest, WritesAGrowingKrlThatSshKeygenReadsBesideARunningBroker) {
  ChildProcess* broker = &broker_.launch();
  ASSERT_TRUE(broker->wait_for_output("listening on", 20s)) << broker->err();

  // Certificates as the API records them, signed by the broker's own SSH CA key.
  const auto settings = config::load_broker_config(config());
  auto ca_settings = settings.ca;
  ca_settings.generate_missing = false;
  const auto ssh_ca = load_ssh_ca(ca_settings);
  const auto now = RevocationFixture::wall_now();
  std::vector<std::filesystem::path> certificates;
  {
    auto store = open_broker_store(settings);
    ASSERT_FALSE(store->write_sync([&](WriteContext& tx) {
      tx.sqlite().exec(
          "INSERT INTO requests(id, requester, role, reason, ticket, duration_s, state, "
          "created_at, pending_deadline) VALUES ('req-1', 'alice', 'prod-db-read', 'r', 't', "
          "3600, 'active', 0, 0)");
      tx.sqlite().exec(
          "INSERT INTO grants(id, request_id, user, role, not_before, not_after, state) VALUES "
          "('grt-1', 'req-1', 'alice', 'prod-db-read', 0, 0, 'revoked')");
      for (std::uint64_t serial : {41u, 42u}) {
        auto key = ca::generate_private_key(ca::KeyAlgorithm::ed25519);
        ca::SshCertificateProfile profile;
        profile.serial = serial;
        profile.key_id = "jit:req-1:alice:prod-db-read";
        profile.principals = {"dbread"};
        profile.valid_after = std::chrono::sys_seconds(std::chrono::seconds(now - 30));
        profile.valid_before = std::chrono::sys_seconds(std::chrono::seconds(now + 3600));
        const auto certificate =
            ssh_ca.issue_user_certificate(*ca::SshPublicKey::from_evp(key->get()), profile);
        const auto path = dir_ / ("cert-" + std::to_string(serial) + "-cert.pub");
        std::ofstream(path) << certificate->line() << "\n";
        certificates.push_back(path);
        SQLite::Statement insert(tx.sqlite(),
                                 "INSERT INTO certificates(kind, serial, grant_id, ca_key, "
                                 "key_fingerprint, key_id, not_after, issued_at, revoked_at) "
                                 "VALUES ('ssh', ?, 'grt-1', ?, 'SHA256:x', ?, ?, ?, ?)");
        insert.bind(1, std::to_string(serial));
        insert.bind(2, ssh_ca.signing_key().public_key().fingerprint_sha256());
        insert.bind(3, profile.key_id);
        insert.bind(4, now + 3600);
        insert.bind(5, now);
        if (serial == 42) {
          insert.bind(6, now);
        } else {
          insert.bind(6);
        }
        insert.exec();
      }
      return boost::system::error_code{};
    }));
  }

  const auto krl = dir_ / "hosts" / "revoked.krl";
  std::filesystem::create_directories(krl.parent_path());
  std::uint64_t last_version = 0;
  for (int run = 0; run < 2; ++run) {
    auto [code, out, err] = krl_write(krl);
    ASSERT_EQ(code, 0) << err;
    const auto file_krl = ca::read_krl_file(krl);
    ASSERT_TRUE(file_krl);
    EXPECT_GT(file_krl->version, last_version);
    last_version = file_krl->version;
    EXPECT_EQ(out, "wrote KRL version " + std::to_string(last_version) +
                       " with 1 revoked certificates to " + krl.string() + "\n");
  }
  struct stat info {};
  ASSERT_EQ(::stat(krl.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);  // sshd and host tooling read it
  auto [query_code, query_out, query_err] = ChildProcess::run(
      {kKeygen, "-Q", "-f", krl.string(), certificates[0].string(), certificates[1].string()},
      dir_);
  EXPECT_EQ(query_code, 1) << query_err;
  // "<file> (<comment, here the file name>): ok|REVOKED", one line per certificate.
  EXPECT_NE(query_out.find("cert-41-cert.pub): ok\n"), std::string::npos) << query_out;
  EXPECT_NE(query_out.find("cert-42-cert.pub): REVOKED\n"), std::string::npos) << query_out;

  broker->signal(SIGTERM);
  EXPECT_EQ(broker->wait(15s), 0) << broker->err();
  // Each publication is in the audit chain, which still verifies.
  auto [verify_code, verify_out, verify_err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "audit", "verify"}, dir_);
  EXPECT_EQ(verify_code, 0) << verify_err;
  auto db = open_connection(dir_ / "data" / "broker.db", false);
  EXPECT_EQ(db->execAndGet("SELECT count(*) FROM audit WHERE action = 'revocation.publish' AND "
                           "actor = 'admin'")
                .getInt(),
            2);
}

TEST_F(KrlWriteCommandTest, RefusesToReplaceANewerKrlAndNeedsADatabase) {
  const auto krl = dir_ / "revoked.krl";
  auto [missing_code, missing_out, missing_err] = krl_write(krl);
  EXPECT_EQ(missing_code, 2);
  EXPECT_NE(missing_err.find("no database at"), std::string::npos) << missing_err;
  EXPECT_FALSE(std::filesystem::exists(krl));

  auto [show_code, show_out, show_err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "ca", "show"}, dir_);
  ASSERT_EQ(show_code, 0) << show_err;
  open_broker_store(config::load_broker_config(config()))->close();
  const auto newer = ca::KrlBuilder().build(
      1000, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  ASSERT_TRUE(newer);
  ASSERT_TRUE(ca::write_krl_file(krl, newer->bytes));
  auto [code, out, err] = krl_write(krl);
  EXPECT_EQ(code, 2);
  EXPECT_EQ(err, "jit-broker: " + krl.string() +
                     " holds KRL version 1000, not older than 1; remove it if it did not come "
                     "from this broker\n");
  EXPECT_EQ(ca::read_krl_file(krl)->version, 1000u);
}

}  // namespace
}  // namespace jit::broker
