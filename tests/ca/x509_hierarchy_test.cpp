#include "ca/x509_hierarchy.hpp"

#include "ca/x509_client_certificate.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace jit::ca {
namespace {

using namespace std::chrono;
using testing::Clock;

X509CaHierarchy make(KeyAlgorithm algorithm = KeyAlgorithm::ecdsa_p256,
                     Clock::time_point now = Clock::now()) {
  auto hierarchy = create_dev_hierarchy(algorithm, {}, {}, now);
  EXPECT_TRUE(hierarchy);
  return std::move(*hierarchy);
}

X509HierarchyFiles files_in(const testing::TempDir& dir, bool with_root_key = true) {
  return {dir / "root.pem", with_root_key ? dir / "root.key" : std::filesystem::path(),
          dir / "issuing.pem", dir / "issuing.key"};
}

Bytes der_of(const X509* cert) {
  unsigned char* raw = nullptr;
  const int length = i2d_X509(cert, &raw);
  Bytes out(reinterpret_cast<std::byte*>(raw), reinterpret_cast<std::byte*>(raw) + length);
  OPENSSL_free(raw);
  return out;
}

void expect_ca_extensions(const X509* cert, bool intermediate) {
  X509* x = const_cast<X509*>(cert);
  int critical = -1;
  auto* basic =
      testing::certificate_extension<BASIC_CONSTRAINTS>(cert, NID_basic_constraints, &critical);
  ASSERT_NE(basic, nullptr);
  EXPECT_EQ(critical, 1);
  EXPECT_NE(basic->ca, 0);
  if (intermediate) {
    ASSERT_NE(basic->pathlen, nullptr);
    EXPECT_EQ(ASN1_INTEGER_get(basic->pathlen), 0);
  } else {
    EXPECT_EQ(basic->pathlen, nullptr);
  }
  BASIC_CONSTRAINTS_free(basic);
  auto* usage = testing::certificate_extension<ASN1_BIT_STRING>(cert, NID_key_usage, &critical);
  ASSERT_NE(usage, nullptr);
  EXPECT_EQ(critical, 1);
  ASN1_BIT_STRING_free(usage);
  EXPECT_EQ(X509_get_key_usage(x), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(x), nullptr);
  EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
}

TEST(X509Hierarchy, DevHierarchyForEachAlgorithm) {
  const Clock::time_point now = floor<seconds>(Clock::now());
  for (KeyAlgorithm algorithm :
       {KeyAlgorithm::ecdsa_p256, KeyAlgorithm::ecdsa_p384, KeyAlgorithm::ed25519}) {
    X509CaHierarchy hierarchy = make(algorithm, now);
    const X509* root = hierarchy.root_certificate();
    const X509* issuing = hierarchy.issuing().certificate();
    ASSERT_NE(hierarchy.root(), nullptr);
    EXPECT_EQ(hierarchy.issuing().key_algorithm(), algorithm);
    expect_ca_extensions(root, false);
    expect_ca_extensions(issuing, true);
    EXPECT_EQ(testing::name_entry(X509_get_subject_name(root), NID_commonName),
              "jitbroker root CA");
    EXPECT_EQ(testing::name_entry(X509_get_subject_name(issuing), NID_commonName),
              "jitbroker issuing CA");
    EXPECT_EQ(testing::name_entry(X509_get_subject_name(issuing), NID_organizationName),
              "jitbroker");
    EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(issuing), X509_get_subject_name(root)), 0);
    EXPECT_EQ(X509_verify(const_cast<X509*>(root), X509_get0_pubkey(root)), 1);
    EXPECT_EQ(X509_verify(const_cast<X509*>(issuing), X509_get0_pubkey(root)), 1);
    EXPECT_EQ(X509_check_issued(const_cast<X509*>(root), const_cast<X509*>(issuing)), X509_V_OK);
    EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(root), Clock::to_time_t(now - hours(1))), 0);
    EXPECT_EQ(hierarchy.issuing().not_after(), now - hours(1) + hours(24 * 365 * 2));
    EXPECT_EQ(hierarchy.chain_pem(), hierarchy.issuing().certificate_pem() + hierarchy.root_pem());
    EXPECT_EQ(der_of(testing::parse_certificate_pem(hierarchy.root_pem()).get()), der_of(root));
  }
}

TEST(X509Hierarchy, DevHierarchyRefusesBadNamesAndValidity) {
  const Clock::time_point now = Clock::now();
  X509HierarchyNames empty;
  empty.root_common_name.clear();
  X509HierarchyNames same;
  same.issuing_common_name = same.root_common_name;
  X509HierarchyNames long_name;
  long_name.organization = std::string(65, 'o');
  for (const X509HierarchyNames& names : {empty, same, long_name}) {
    EXPECT_EQ(create_dev_hierarchy(KeyAlgorithm::ecdsa_p256, names, {}, now).error(),
              CaErrc::invalid_argument);
  }
  X509HierarchyValidity inverted;
  inverted.issuing = inverted.root + seconds(1);
  EXPECT_EQ(create_dev_hierarchy(KeyAlgorithm::ecdsa_p256, {}, inverted, now).error(),
            CaErrc::invalid_argument);
}

TEST(X509Hierarchy, SavesAndLoadsWithEncryptedKeys) {
  testing::TempDir dir;
  X509CaHierarchy created = make();
  ASSERT_TRUE(created.save(files_in(dir), "correct horse"));
  struct stat info {};
  ASSERT_EQ(::stat((dir / "issuing.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir / "root.pem").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);
  EXPECT_NE(testing::read_text(dir / "issuing.key").find("ENCRYPTED PRIVATE KEY"),
            std::string::npos);

  auto loaded = load_hierarchy(files_in(dir), "correct horse", Clock::now());
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->chain_pem(), created.chain_pem());
  ASSERT_NE(loaded->root(), nullptr);
  EXPECT_EQ(EVP_PKEY_eq(loaded->issuing().signing_key(), created.issuing().signing_key()), 1);

  // The offline-root layout: no root key, so no root signer, but the chain is complete.
  auto offline = load_hierarchy(files_in(dir, false), "correct horse", Clock::now());
  ASSERT_TRUE(offline);
  EXPECT_EQ(offline->root(), nullptr);
  EXPECT_EQ(offline->chain_pem(), created.chain_pem());
  testing::TempDir other;
  EXPECT_EQ(offline->save(files_in(other), std::nullopt).error(), CaErrc::invalid_argument);
  EXPECT_TRUE(offline->save(files_in(other, false), std::nullopt));
}

TEST(X509Hierarchy, WrongOrMissingPassphraseIsKeyUnavailable) {
  testing::TempDir dir;
  ASSERT_TRUE(make().save(files_in(dir), "correct horse"));
  EXPECT_EQ(load_hierarchy(files_in(dir), "wrong horse", Clock::now()).error(),
            CaErrc::key_unavailable);
  EXPECT_EQ(load_hierarchy(files_in(dir), std::nullopt, Clock::now()).error(),
            CaErrc::key_unavailable);
}

TEST(X509Hierarchy, MismatchedKeysAndCertificatesAreRefused) {
  testing::TempDir a_dir;
  testing::TempDir b_dir;
  ASSERT_TRUE(make().save(files_in(a_dir), std::nullopt));
  ASSERT_TRUE(make().save(files_in(b_dir), std::nullopt));
  const auto refused = [&](X509HierarchyFiles files, CaErrc expected, const char* what) {
    auto loaded = load_hierarchy(files, std::nullopt, Clock::now());
    ASSERT_FALSE(loaded) << what;
    EXPECT_EQ(loaded.error(), expected) << what;
  };
  X509HierarchyFiles files = files_in(a_dir);
  files.issuing_key = b_dir / "issuing.key";
  refused(files, CaErrc::invalid_argument, "issuing key of another hierarchy");
  files = files_in(a_dir);
  files.root_key = b_dir / "root.key";
  refused(files, CaErrc::invalid_argument, "root key of another hierarchy");
  files = files_in(a_dir);
  files.issuing_key = a_dir / "root.key";
  refused(files, CaErrc::invalid_argument, "root key as issuing key");
  files = files_in(a_dir);
  files.issuing_certificate = b_dir / "issuing.pem";
  files.issuing_key = b_dir / "issuing.key";
  refused(files, CaErrc::invalid_argument, "issuing CA not signed by this root");
  files = files_in(a_dir, false);
  files.root_certificate = a_dir / "issuing.pem";
  refused(files, CaErrc::invalid_argument, "issuing certificate as root");
  files = files_in(a_dir);
  files.issuing_key = a_dir / "missing.key";
  refused(files, CaErrc::key_unavailable, "missing key file");
  files = files_in(a_dir);
  files.root_certificate = a_dir / "missing.pem";
  refused(files, CaErrc::key_unavailable, "missing certificate file");

  testing::write_text(a_dir / "chain.pem", testing::read_text(a_dir / "issuing.pem") +
                                               testing::read_text(a_dir / "root.pem"));
  files = files_in(a_dir);
  files.issuing_certificate = a_dir / "chain.pem";
  refused(files, CaErrc::malformed, "two certificates in one file");
  testing::write_text(a_dir / "garbage.pem",
                      "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n");
  files.issuing_certificate = a_dir / "garbage.pem";
  refused(files, CaErrc::malformed, "not a certificate");
}

TEST(X509Hierarchy, CertificatesMustBeValidAtLoadTime) {
  testing::TempDir dir;
  ASSERT_TRUE(make().save(files_in(dir), std::nullopt));
  EXPECT_EQ(load_hierarchy(files_in(dir), std::nullopt, Clock::now() + hours(24 * 365 * 3)).error(),
            CaErrc::invalid_argument);
  EXPECT_EQ(load_hierarchy(files_in(dir), std::nullopt, Clock::now() - hours(2)).error(),
            CaErrc::invalid_argument);
}

TEST(X509CertificateAuthority, RefusesNonCaCertificatesAndForeignKeys) {
  X509CaHierarchy hierarchy = make();
  EvpPkeyPtr leaf_key = testing::generate(KeyAlgorithm::ecdsa_p256);
  auto csr = parse_and_verify_csr(testing::make_csr_pem(leaf_key.get()));
  auto serial = random_serial();
  X509ClientProfile profile{"alice", "role", "", std::nullopt, "", ""};
  const Clock::time_point now = Clock::now();
  auto leaf =
      issue_client_certificate(hierarchy.issuing(), *csr, profile, *serial, now, now + hours(1));
  ASSERT_TRUE(leaf);
  auto as_ca =
      X509CertificateAuthority::create(std::move(leaf_key), testing::parse_certificate(leaf->der));
  ASSERT_FALSE(as_ca);
  EXPECT_EQ(as_ca.error(), CaErrc::invalid_argument);

  X509Ptr root_copy(X509_dup(hierarchy.root_certificate()));
  auto foreign = X509CertificateAuthority::create(testing::generate(KeyAlgorithm::ecdsa_p256),
                                                  std::move(root_copy));
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error(), CaErrc::invalid_argument);
}

}  // namespace
}  // namespace jit::ca
