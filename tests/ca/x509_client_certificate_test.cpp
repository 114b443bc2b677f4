#include "ca/x509_client_certificate.hpp"

#include "ca/x509_hierarchy.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

namespace jit::ca {
namespace {

using namespace std::chrono;
using testing::Clock;

struct Ed25519Csr {};

class X509ClientCertificateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto hierarchy = create_dev_hierarchy(KeyAlgorithm::ecdsa_p256, {}, {}, Clock::now());
    ASSERT_TRUE(hierarchy);
    hierarchy_ = new X509CaHierarchy(std::move(*hierarchy));
  }
  static void TearDownTestSuite() {
    delete hierarchy_;
    hierarchy_ = nullptr;
  }

  static X509ClientProfile profile() {
    X509ClientProfile p;
    p.common_name = "alice";
    p.organizational_unit = "prod-db-read";
    p.san_uri = "spiffe://corp.example/user/alice/role/prod-db-read";
    p.san_email = "alice@corp.example";
    p.crl_distribution_url = "http://127.0.0.1:8443/v1/ca/x509/crl";
    return p;
  }

  static const X509CertificateAuthority& issuer() { return hierarchy_->issuing(); }

  static Result<IssuedX509Certificate> issue(const std::string& csr, const X509ClientProfile& p,
                                             Clock::time_point not_before, Clock::time_point end) {
    auto serial = random_serial();
    if (!serial) return serial.error();
    return issue_client_certificate_from_csr(issuer(), csr, p, *serial, not_before, end);
  }

  static X509CaHierarchy* hierarchy_;
};

X509CaHierarchy* X509ClientCertificateTest::hierarchy_ = nullptr;

std::string text_of(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

Bytes bytes_of(const ASN1_STRING* s) {
  const auto* data = reinterpret_cast<const std::byte*>(ASN1_STRING_get0_data(s));
  return Bytes(data, data + ASN1_STRING_length(s));
}

TEST_F(X509ClientCertificateTest, ProfileFieldsAndExtensionsAreExactlyAsSpecified) {
  EvpPkeyPtr key = testing::generate(KeyAlgorithm::ecdsa_p256);
  const std::string csr = testing::make_csr_pem(key.get());
  auto serial = X509Serial::from_hex("4a5b6c7d8e9f00112233445566778899");
  ASSERT_TRUE(serial);
  const Clock::time_point now = floor<seconds>(Clock::now()) + milliseconds(250);
  const Clock::time_point grant_end = now + minutes(30) + milliseconds(700);
  auto issued = issue_client_certificate_from_csr(issuer(), csr, profile(), *serial,
                                                  now - seconds(60), grant_end);
  ASSERT_TRUE(issued) << issued.error().message();

  X509Ptr cert = testing::parse_certificate(issued->der);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  BignumPtr serial_number(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  char* serial_hex = BN_bn2hex(serial_number.get());
  EXPECT_EQ(std::string(serial_hex), "4A5B6C7D8E9F00112233445566778899");
  OPENSSL_free(serial_hex);
  EXPECT_EQ(issued->serial_hex, "4a5b6c7d8e9f00112233445566778899");
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert.get()),
                          X509_get_subject_name(issuer().certificate())),
            0);

  const X509_NAME* subject = X509_get_subject_name(cert.get());
  EXPECT_EQ(X509_NAME_entry_count(subject), 2);
  EXPECT_EQ(testing::name_entry(subject, NID_commonName), "alice");
  EXPECT_EQ(testing::name_entry(subject, NID_organizationalUnitName), "prod-db-read");
  char rfc2253[256] = {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), subject, 0, XN_FLAG_RFC2253);
  BIO_read(bio.get(), rfc2253, sizeof rfc2253 - 1);
  EXPECT_STREQ(rfc2253, "CN=alice,OU=prod-db-read");  // what nginx puts in $ssl_client_s_dn

  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert.get()), Clock::to_time_t(now) - 60), 0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert.get()),
                                 Clock::to_time_t(floor<seconds>(grant_end))),
            0);
  EXPECT_EQ(issued->not_after, floor<seconds>(grant_end));
  EXPECT_LE(issued->not_after, grant_end);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()), 1);

  EXPECT_EQ(X509_get_ext_count(cert.get()), 7);
  int critical = -1;
  auto* basic = testing::certificate_extension<BASIC_CONSTRAINTS>(cert.get(), NID_basic_constraints,
                                                                  &critical);
  ASSERT_NE(basic, nullptr);
  EXPECT_EQ(critical, 1);
  EXPECT_EQ(basic->ca, 0);
  EXPECT_EQ(basic->pathlen, nullptr);
  BASIC_CONSTRAINTS_free(basic);

  auto* usage =
      testing::certificate_extension<ASN1_BIT_STRING>(cert.get(), NID_key_usage, &critical);
  ASSERT_NE(usage, nullptr);
  EXPECT_EQ(critical, 1);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  ASN1_BIT_STRING_free(usage);

  auto* extended =
      testing::certificate_extension<EXTENDED_KEY_USAGE>(cert.get(), NID_ext_key_usage, &critical);
  ASSERT_NE(extended, nullptr);
  EXPECT_EQ(critical, 0);
  ASSERT_EQ(sk_ASN1_OBJECT_num(extended), 1);
  EXPECT_EQ(OBJ_obj2nid(sk_ASN1_OBJECT_value(extended, 0)), NID_client_auth);
  EXTENDED_KEY_USAGE_free(extended);

  auto* ski = testing::certificate_extension<ASN1_OCTET_STRING>(
      cert.get(), NID_subject_key_identifier, &critical);
  ASSERT_NE(ski, nullptr);
  EXPECT_EQ(critical, 0);
  auto csr_parsed = parse_and_verify_csr(csr);
  EXPECT_EQ(bytes_of(ski), csr_parsed->subject_key_identifier);
  ASN1_OCTET_STRING_free(ski);

  auto* aki = testing::certificate_extension<AUTHORITY_KEYID>(
      cert.get(), NID_authority_key_identifier, &critical);
  ASSERT_NE(aki, nullptr);
  EXPECT_EQ(critical, 0);
  ASSERT_NE(aki->keyid, nullptr);
  EXPECT_EQ(bytes_of(aki->keyid),
            bytes_of(X509_get0_subject_key_id(const_cast<X509*>(issuer().certificate()))));
  EXPECT_EQ(aki->issuer, nullptr);
  EXPECT_EQ(aki->serial, nullptr);
  AUTHORITY_KEYID_free(aki);

  auto* san =
      testing::certificate_extension<GENERAL_NAMES>(cert.get(), NID_subject_alt_name, &critical);
  ASSERT_NE(san, nullptr);
  EXPECT_EQ(critical, 0);
  ASSERT_EQ(sk_GENERAL_NAME_num(san), 2);
  EXPECT_EQ(sk_GENERAL_NAME_value(san, 0)->type, GEN_URI);
  EXPECT_EQ(text_of(sk_GENERAL_NAME_value(san, 0)->d.uniformResourceIdentifier),
            "spiffe://corp.example/user/alice/role/prod-db-read");
  EXPECT_EQ(sk_GENERAL_NAME_value(san, 1)->type, GEN_EMAIL);
  EXPECT_EQ(text_of(sk_GENERAL_NAME_value(san, 1)->d.rfc822Name), "alice@corp.example");
  GENERAL_NAMES_free(san);

  auto* points = testing::certificate_extension<CRL_DIST_POINTS>(
      cert.get(), NID_crl_distribution_points, &critical);
  ASSERT_NE(points, nullptr);
  EXPECT_EQ(critical, 0);
  ASSERT_EQ(sk_DIST_POINT_num(points), 1);
  const DIST_POINT* point = sk_DIST_POINT_value(points, 0);
  ASSERT_NE(point->distpoint, nullptr);
  EXPECT_EQ(point->distpoint->type, 0);  // fullName
  ASSERT_EQ(sk_GENERAL_NAME_num(point->distpoint->name.fullname), 1);
  const GENERAL_NAME* url = sk_GENERAL_NAME_value(point->distpoint->name.fullname, 0);
  EXPECT_EQ(url->type, GEN_URI);
  EXPECT_EQ(text_of(url->d.uniformResourceIdentifier), "http://127.0.0.1:8443/v1/ca/x509/crl");
  EXPECT_EQ(point->CRLissuer, nullptr);
  EXPECT_EQ(point->reasons, nullptr);
  CRL_DIST_POINTS_free(points);

  // Signed by the issuing CA, canonical DER, valid for client auth only, and the returned forms
  // agree.
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(issuer().certificate())), 1);
  unsigned char* reencoded = nullptr;
  const int length = i2d_X509(cert.get(), &reencoded);
  EXPECT_EQ(Bytes(reinterpret_cast<std::byte*>(reencoded),
                  reinterpret_cast<std::byte*>(reencoded) + length),
            issued->der);
  OPENSSL_free(reencoded);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 0);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(testing::verify_with_openssl(cert.get(), issuer().certificate(),
                                         hierarchy_->root_certificate(), {}, now),
            X509_V_OK);
  unsigned char digest[32];
  unsigned int digest_length = 0;
  ASSERT_EQ(X509_digest(cert.get(), EVP_sha256(), digest, &digest_length), 1);
  EXPECT_EQ(issued->sha256_fingerprint,
            hex_encode(ByteView(reinterpret_cast<std::byte*>(digest), 32)));
  X509Ptr from_pem = testing::parse_certificate_pem(issued->pem);
  EXPECT_EQ(X509_cmp(from_pem.get(), cert.get()), 0);
}

void expect_only_profile(const X509* cert) {
  EXPECT_EQ(X509_check_ca(const_cast<X509*>(cert)), 0);
  EXPECT_EQ(X509_get_key_usage(const_cast<X509*>(cert)),
            static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(const_cast<X509*>(cert)),
            static_cast<std::uint32_t>(XKU_SSL_CLIENT));
  const X509_NAME* subject = X509_get_subject_name(cert);
  EXPECT_EQ(X509_NAME_entry_count(subject), 2);
  EXPECT_EQ(testing::name_entry(subject, NID_commonName), "alice");
  EXPECT_EQ(testing::name_entry(subject, NID_organizationName), "");
  EXPECT_EQ(testing::name_entry(subject, NID_pkcs9_emailAddress), "");
  int critical = -1;
  auto* san = testing::certificate_extension<GENERAL_NAMES>(cert, NID_subject_alt_name, &critical);
  ASSERT_NE(san, nullptr);
  ASSERT_EQ(sk_GENERAL_NAME_num(san), 2);
  EXPECT_EQ(text_of(sk_GENERAL_NAME_value(san, 0)->d.uniformResourceIdentifier),
            "spiffe://corp.example/user/alice/role/prod-db-read");
  GENERAL_NAMES_free(san);
  EXPECT_EQ(X509_get_ext_count(cert), 7);
}

TEST_F(X509ClientCertificateTest, WhatTheCsrAsksForIsIgnored) {
  const Clock::time_point now = Clock::now();
  // From the openssl command line: CN=root, O=Evil Corp, CA:TRUE, keyCertSign, serverAuth and
  // codeSigning, DNS/URI/email SANs.
  const std::string greedy =
      testing::read_text(std::filesystem::path(JIT_TEST_DATA_DIR) / "x509_csr_p384_greedy.pem");
  auto from_tool = issue(greedy, profile(), now - seconds(60), now + hours(1));
  ASSERT_TRUE(from_tool) << from_tool.error().message();
  expect_only_profile(testing::parse_certificate(from_tool->der).get());

  EvpPkeyPtr key = testing::generate(KeyAlgorithm::ecdsa_p256);
  testing::CsrOptions options;
  options.subject_common_name = "admin";
  options.extensions = {
      {NID_basic_constraints, "critical,CA:TRUE,pathlen:5"},
      {NID_subject_alt_name, "DNS:evil.example,URI:spiffe://corp.example/user/admin,IP:10.0.0.1"},
      {NID_key_usage, "critical,keyCertSign"},
      {NID_ext_key_usage, "serverAuth"}};
  auto in_process = issue(testing::make_csr_pem(key.get(), options), profile(), now - seconds(60),
                          now + hours(1));
  ASSERT_TRUE(in_process);
  expect_only_profile(testing::parse_certificate(in_process->der).get());
}

TEST_F(X509ClientCertificateTest, OptionalSanAndDistributionPointAreLeftOutWhenEmpty) {
  EvpPkeyPtr key = testing::generate(KeyAlgorithm::ed25519);
  testing::CsrOptions options;
  options.md = nullptr;
  const std::string csr = testing::make_csr_pem(key.get(), options);
  const Clock::time_point now = Clock::now();
  X509ClientProfile bare = profile();
  bare.san_uri.clear();
  bare.san_email.reset();
  bare.crl_distribution_url.clear();
  auto issued = issue(csr, bare, now, now + minutes(5));
  ASSERT_TRUE(issued);
  X509Ptr cert = testing::parse_certificate(issued->der);
  EXPECT_EQ(X509_get_ext_count(cert.get()), 5);
  EXPECT_LT(X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1), 0);
  EXPECT_LT(X509_get_ext_by_NID(cert.get(), NID_crl_distribution_points, -1), 0);
  EXPECT_EQ(testing::verify_with_openssl(cert.get(), issuer().certificate(),
                                         hierarchy_->root_certificate(), {}, now),
            X509_V_OK);

  X509ClientProfile uri_only = profile();
  uri_only.san_email.reset();
  auto with_uri = issue(csr, uri_only, now, now + minutes(5));
  ASSERT_TRUE(with_uri);
  int critical = -1;
  X509Ptr uri_cert = testing::parse_certificate(with_uri->der);
  auto* san = testing::certificate_extension<GENERAL_NAMES>(uri_cert.get(), NID_subject_alt_name,
                                                            &critical);
  ASSERT_NE(san, nullptr);
  EXPECT_EQ(sk_GENERAL_NAME_num(san), 1);
  GENERAL_NAMES_free(san);
}

TEST_F(X509ClientCertificateTest, ValidityRules) {
  EvpPkeyPtr key = testing::generate(KeyAlgorithm::ecdsa_p256);
  auto csr = parse_and_verify_csr(testing::make_csr_pem(key.get()));
  ASSERT_TRUE(csr);
  auto serial = random_serial();
  const Clock::time_point now = floor<seconds>(Clock::now());
  // The window is decided by approvals::certificate_window (its backdate and issuer-start rules
  // are tested in tests/approvals/certificate_window_test.cpp); the CA writes it as given.
  const auto issue_with = [&](Clock::time_point not_before, Clock::time_point end) {
    return issue_client_certificate(issuer(), *csr, profile(), *serial, not_before, end);
  };
  EXPECT_EQ(issue_with(now, now).error(), CaErrc::invalid_argument);  // empty
  EXPECT_EQ(issue_with(now, now - seconds(1)).error(), CaErrc::invalid_argument);
  EXPECT_EQ(issue_with(now, now + milliseconds(999)).error(), CaErrc::invalid_argument);
  EXPECT_EQ(issue_with(now - seconds(60), issuer().not_after() + seconds(1)).error(),
            CaErrc::invalid_argument);
  EXPECT_TRUE(issue_with(now - seconds(60), issuer().not_after()));
  EXPECT_TRUE(issue_with(now - seconds(3600), now + seconds(1)));

  auto given = issue_with(now - seconds(600) + milliseconds(500), now + hours(1));
  ASSERT_TRUE(given);
  EXPECT_EQ(given->not_before, now - seconds(600));  // as given, rounded down to the second
  EXPECT_EQ(given->not_after, now + hours(1));
}

TEST_F(X509ClientCertificateTest, ProfileTextRules) {
  EvpPkeyPtr key = testing::generate(KeyAlgorithm::ecdsa_p256);
  const std::string csr = testing::make_csr_pem(key.get());
  const Clock::time_point now = Clock::now();
  std::vector<std::pair<std::string, X509ClientProfile>> refused;
  const auto with = [&](const std::string& what, auto change) {
    X509ClientProfile p = profile();
    change(p);
    refused.emplace_back(what, p);
  };
  with("empty CN", [](auto& p) { p.common_name.clear(); });
  with("65-character CN", [](auto& p) { p.common_name = std::string(65, 'a'); });
  with("newline in CN", [](auto& p) { p.common_name = "alice\nCN=root"; });
  with("NUL in CN", [](auto& p) { p.common_name = std::string("alice\0x", 7); });
  with("invalid UTF-8", [](auto& p) { p.common_name = "al\xC3ice"; });
  with("overlong UTF-8", [](auto& p) { p.common_name = "\xC0\xAF"; });
  with("C1 control", [](auto& p) { p.common_name = "a\xC2\x85"; });
  with("empty OU", [](auto& p) { p.organizational_unit.clear(); });
  with("URI without scheme", [](auto& p) { p.san_uri = "corp.example/user/alice"; });
  with("URI with space", [](auto& p) { p.san_uri = "spiffe://corp.example/user/al ice"; });
  with("URI bad scheme", [](auto& p) { p.san_uri = "1http://x"; });
  with("URI non-ASCII", [](auto& p) { p.san_uri = "spiffe://corp.example/\xC3\xA9"; });
  with("URI too long", [](auto& p) { p.san_uri = "https://x/" + std::string(2048, 'a'); });
  with("email without @", [](auto& p) { p.san_email = "alice"; });
  with("email two @", [](auto& p) { p.san_email = "alice@corp@example"; });
  with("email empty local", [](auto& p) { p.san_email = "@corp.example"; });
  with("empty email", [](auto& p) { p.san_email = ""; });
  with("CRL URL without scheme", [](auto& p) { p.crl_distribution_url = "127.0.0.1/crl"; });
  for (const auto& [what, p] : refused) {
    auto issued = issue(csr, p, now - seconds(60), now + hours(1));
    ASSERT_FALSE(issued) << what;
    EXPECT_EQ(issued.error(), CaErrc::invalid_argument) << what;
  }

  X509ClientProfile unicode = profile();
  unicode.common_name = "Zoë Ünal 山田";
  unicode.organizational_unit = std::string(64, 'o');
  auto issued = issue(csr, unicode, now - seconds(60), now + hours(1));
  ASSERT_TRUE(issued);
  X509Ptr cert = testing::parse_certificate(issued->der);
  EXPECT_EQ(testing::name_entry(X509_get_subject_name(cert.get()), NID_commonName),
            "Zoë Ünal 山田");
}

TEST_F(X509ClientCertificateTest, BadCsrErrorsPassThrough) {
  const Clock::time_point now = Clock::now();
  auto issued = issue("garbage", profile(), now - seconds(60), now + hours(1));
  ASSERT_FALSE(issued);
  EXPECT_EQ(issued.error(), CaErrc::malformed);
}

TEST_F(X509ClientCertificateTest, IssuesFromSeveralThreadsAtOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<VerifiedCsr> csrs;
  for (int i = 0; i < kThreads; ++i) {
    EvpPkeyPtr key = testing::generate(KeyAlgorithm::ecdsa_p256);
    csrs.push_back(*parse_and_verify_csr(testing::make_csr_pem(key.get())));
  }
  const Clock::time_point now = Clock::now();
  std::vector<std::vector<Bytes>> results(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto serial = random_serial();
        auto issued =
            issue_client_certificate(issuer(), csrs[static_cast<std::size_t>(t)], profile(),
                                     *serial, now - seconds(60), now + hours(1));
        if (!issued) {
          ++failures;
          continue;
        }
        results[static_cast<std::size_t>(t)].push_back(std::move(issued->der));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<Bytes> distinct;
  for (const auto& list : results) {
    for (const Bytes& der : list) {
      X509Ptr cert = testing::parse_certificate(der);
      EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(issuer().certificate())), 1);
      distinct.insert(der);
    }
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace jit::ca
