#include "ca/crl_builder.hpp"

#include "ca/x509_client_certificate.hpp"
#include "ca/x509_hierarchy.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>

namespace jit::ca {
namespace {

using namespace std::chrono;
using testing::Clock;

class CrlBuilderTest : public ::testing::Test {
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
  static const X509CertificateAuthority& issuer() { return hierarchy_->issuing(); }
  static X509Serial serial(const char* hex) { return *X509Serial::from_hex(hex); }
  static X509CaHierarchy* hierarchy_;
};

X509CaHierarchy* CrlBuilderTest::hierarchy_ = nullptr;

std::string serial_hex(const ASN1_INTEGER* value) {
  BignumPtr number(ASN1_INTEGER_to_BN(value, nullptr));
  char* hex = BN_bn2hex(number.get());
  std::string text(hex);
  OPENSSL_free(hex);
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

TEST_F(CrlBuilderTest, ListsRevokedUnexpiredEntriesWithReasonsNumberAndKeyId) {
  const Clock::time_point now = floor<seconds>(Clock::now());
  const std::vector<CrlEntry> entries = {
      {serial("7000000000000000000000000000000b"), now - minutes(3), CrlReason::key_compromise,
       now + hours(1)},
      {serial("50"), now - minutes(2), CrlReason::unspecified, now + minutes(1)},
      {serial("60"), now - hours(2), CrlReason::superseded, now - seconds(1)},  // expired: pruned
      {serial("6000"), now - minutes(1), CrlReason::privilege_withdrawn, now},  // expires now: kept
  };
  auto crl = build_crl(issuer(), entries, 42, now, now + minutes(5), now);
  ASSERT_TRUE(crl) << crl.error().message();
  EXPECT_EQ(crl->listed, 3u);
  EXPECT_EQ(crl->pruned, 1u);
  EXPECT_EQ(crl->crl_number, 42u);
  EXPECT_EQ(crl->next_update, now + minutes(5));

  X509CrlPtr parsed = testing::parse_crl(crl->der);
  EXPECT_EQ(X509_CRL_get_version(parsed.get()), X509_CRL_VERSION_2);
  EXPECT_EQ(X509_NAME_cmp(X509_CRL_get_issuer(parsed.get()),
                          X509_get_subject_name(issuer().certificate())),
            0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(parsed.get()), Clock::to_time_t(now)), 0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(parsed.get()),
                                 Clock::to_time_t(now + minutes(5))),
            0);
  EXPECT_EQ(X509_CRL_verify(parsed.get(), X509_get0_pubkey(issuer().certificate())), 1);
  EXPECT_EQ(X509_CRL_get_signature_nid(parsed.get()), NID_ecdsa_with_SHA256);

  EXPECT_EQ(X509_CRL_get_ext_count(parsed.get()), 2);
  int critical = -1;
  auto* number = static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(parsed.get(), NID_crl_number, &critical, nullptr));
  ASSERT_NE(number, nullptr);
  EXPECT_EQ(critical, 0);
  EXPECT_EQ(ASN1_INTEGER_get(number), 42);
  ASN1_INTEGER_free(number);
  auto* aki = static_cast<AUTHORITY_KEYID*>(
      X509_CRL_get_ext_d2i(parsed.get(), NID_authority_key_identifier, &critical, nullptr));
  ASSERT_NE(aki, nullptr);
  EXPECT_EQ(critical, 0);
  ASSERT_NE(aki->keyid, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(
                aki->keyid, X509_get0_subject_key_id(const_cast<X509*>(issuer().certificate()))),
            0);
  AUTHORITY_KEYID_free(aki);

  // Sorted by serial value: 0x50 < 0x6000 < 0x70...0b.
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(parsed.get());
  ASSERT_EQ(sk_X509_REVOKED_num(revoked), 3);
  const struct {
    const char* serial;
    Clock::time_point at;
    int reason;  // -1: no reasonCode extension
  } expected[] = {{"50", now - minutes(2), -1},
                  {"6000", now - minutes(1), 9},
                  {"7000000000000000000000000000000b", now - minutes(3), 1}};
  for (int i = 0; i < 3; ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    EXPECT_EQ(serial_hex(X509_REVOKED_get0_serialNumber(entry)), expected[i].serial);
    EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(entry),
                                   Clock::to_time_t(expected[i].at)),
              0);
    auto* reason = static_cast<ASN1_ENUMERATED*>(
        X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &critical, nullptr));
    if (expected[i].reason < 0) {
      EXPECT_EQ(reason, nullptr);
      EXPECT_EQ(X509_REVOKED_get_ext_count(entry), 0);
    } else {
      ASSERT_NE(reason, nullptr);
      EXPECT_EQ(critical, 0);
      EXPECT_EQ(ASN1_ENUMERATED_get(reason), expected[i].reason);
      EXPECT_EQ(X509_REVOKED_get_ext_count(entry), 1);
    }
    ASN1_ENUMERATED_free(reason);
  }

  // Canonical DER, and the PEM holds the same CRL.
  unsigned char* reencoded = nullptr;
  const int length = i2d_X509_CRL(parsed.get(), &reencoded);
  EXPECT_EQ(Bytes(reinterpret_cast<std::byte*>(reencoded),
                  reinterpret_cast<std::byte*>(reencoded) + length),
            crl->der);
  OPENSSL_free(reencoded);
  EXPECT_TRUE(crl->pem.starts_with("-----BEGIN X509 CRL-----\n"));
  EXPECT_EQ(base64_encode(crl->der).substr(0, 64), crl->pem.substr(25, 64));
}

TEST_F(CrlBuilderTest, EmptyCrlHasNoRevokedCertificatesField) {
  const Clock::time_point now = Clock::now();
  auto crl = build_crl(issuer(), {}, 1, now, now + minutes(5), now);
  ASSERT_TRUE(crl);
  X509CrlPtr parsed = testing::parse_crl(crl->der);
  EXPECT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(parsed.get())), -1);  // absent (null stack)
  EXPECT_EQ(X509_CRL_verify(parsed.get(), X509_get0_pubkey(issuer().certificate())), 1);
  EXPECT_EQ(crl->listed, 0u);
}

TEST_F(CrlBuilderTest, CrlNumberRoundTripsAcrossItsRange) {
  const Clock::time_point now = Clock::now();
  for (std::uint64_t n :
       {std::uint64_t{0}, std::uint64_t{127}, std::uint64_t{128}, ~std::uint64_t{0}}) {
    auto crl = build_crl(issuer(), {}, n, now, now + minutes(5), now);
    ASSERT_TRUE(crl);
    X509CrlPtr parsed = testing::parse_crl(crl->der);
    auto* number = static_cast<ASN1_INTEGER*>(
        X509_CRL_get_ext_d2i(parsed.get(), NID_crl_number, nullptr, nullptr));
    ASSERT_NE(number, nullptr);
    std::uint64_t value = 0;
    EXPECT_EQ(ASN1_INTEGER_get_uint64(&value, number), 1);
    EXPECT_EQ(value, n);
    ASN1_INTEGER_free(number);
  }
}

TEST_F(CrlBuilderTest, ManyEntriesAreSortedNumerically) {
  const Clock::time_point now = Clock::now();
  std::vector<CrlEntry> entries;
  for (int i = 0; i < 1000; ++i)
    entries.push_back({*random_serial(), now, CrlReason::unspecified, now + hours(1)});
  entries.push_back(
      {serial("01"), now, CrlReason::unspecified, now + hours(1)});  // short serials sort first
  auto crl = build_crl(issuer(), entries, 7, now, now + minutes(5), now);
  ASSERT_TRUE(crl);
  X509CrlPtr parsed = testing::parse_crl(crl->der);
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(parsed.get());
  ASSERT_EQ(sk_X509_REVOKED_num(revoked), 1001);
  EXPECT_EQ(serial_hex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, 0))), "01");
  for (int i = 1; i < 1001; ++i) {
    EXPECT_LT(
        ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i - 1)),
                         X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))),
        0);
  }
  EXPECT_EQ(X509_CRL_verify(parsed.get(), X509_get0_pubkey(issuer().certificate())), 1);
}

TEST_F(CrlBuilderTest, RefusesBadArguments) {
  const Clock::time_point now = Clock::now();
  const CrlEntry good{serial("10"), now, CrlReason::unspecified, now + hours(1)};
  const auto refused = [&](std::vector<CrlEntry> entries, Clock::time_point this_update,
                           Clock::time_point next_update, const char* what) {
    auto crl = build_crl(issuer(), entries, 1, this_update, next_update, now);
    ASSERT_FALSE(crl) << what;
    EXPECT_EQ(crl.error(), CaErrc::invalid_argument) << what;
  };
  refused({good}, now, now, "nextUpdate == thisUpdate");
  refused({good}, now, now - seconds(1), "nextUpdate before thisUpdate");
  refused({good, good}, now, now + minutes(5), "duplicate serial");
  CrlEntry remove_from_crl = good;
  remove_from_crl.reason = static_cast<CrlReason>(8);
  refused({remove_from_crl}, now, now + minutes(5), "removeFromCRL");
  CrlEntry unknown = good;
  unknown.reason = static_cast<CrlReason>(11);
  refused({unknown}, now, now + minutes(5), "unknown reason");
  CrlEntry ancient = good;
  ancient.revoked_at = sys_days(year(1949) / 1 / 1);
  refused({ancient}, now, now + minutes(5), "revocation before 1950");
  // A duplicate among pruned entries does not matter: it is not listed.
  CrlEntry expired = good;
  expired.not_after = now - seconds(1);
  EXPECT_TRUE(
      build_crl(issuer(), std::vector<CrlEntry>{expired, expired}, 1, now, now + minutes(5), now));
}

TEST_F(CrlBuilderTest, OpenSslRejectsRevokedAndAcceptsOthersWithBothCrls) {
  const Clock::time_point now = Clock::now();
  EvpPkeyPtr key = testing::generate(KeyAlgorithm::ecdsa_p256);
  auto csr = parse_and_verify_csr(testing::make_csr_pem(key.get()));
  const X509ClientProfile profile{
      "alice",      "prod-db-read",         "spiffe://corp.example/user/alice",
      std::nullopt, "http://127.0.0.1/crl", ""};
  auto revoked_serial = random_serial();
  auto kept_serial = random_serial();
  auto revoked = issue_client_certificate(issuer(), *csr, profile, *revoked_serial,
                                          now - seconds(60), now + hours(1));
  auto kept = issue_client_certificate(issuer(), *csr, profile, *kept_serial, now - seconds(60),
                                       now + hours(1));
  ASSERT_TRUE(revoked && kept);
  auto crl = build_crl(
      issuer(),
      std::vector<CrlEntry>{{*revoked_serial, now, CrlReason::key_compromise, now + hours(1)}}, 2,
      now, now + minutes(5), now);
  auto root_crl = build_crl(*hierarchy_->root(), {}, 1, now, now + hours(24), now);
  ASSERT_TRUE(crl && root_crl);
  X509CrlPtr issuing_list = testing::parse_crl(crl->der);
  X509CrlPtr root_list = testing::parse_crl(root_crl->der);
  const std::vector<const X509_CRL*> crls = {issuing_list.get(), root_list.get()};
  X509Ptr revoked_cert = testing::parse_certificate(revoked->der);
  X509Ptr kept_cert = testing::parse_certificate(kept->der);
  const X509* intermediate = issuer().certificate();
  const X509* root = hierarchy_->root_certificate();
  EXPECT_EQ(testing::verify_with_openssl(revoked_cert.get(), intermediate, root, crls, now),
            X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(testing::verify_with_openssl(kept_cert.get(), intermediate, root, crls, now),
            X509_V_OK);
  // Without the root's CRL, checking the whole chain cannot vouch for the intermediate.
  EXPECT_EQ(
      testing::verify_with_openssl(kept_cert.get(), intermediate, root, {issuing_list.get()}, now),
      X509_V_ERR_UNABLE_TO_GET_CRL);
  // After nextUpdate the CRL is stale.
  EXPECT_EQ(
      testing::verify_with_openssl(kept_cert.get(), intermediate, root, crls, now + minutes(6)),
      X509_V_ERR_CRL_HAS_EXPIRED);
}

TEST(CrlBuilderAlgorithms, Ed25519AndP384CasSignVerifiableCrls) {
  const Clock::time_point now = Clock::now();
  for (KeyAlgorithm algorithm : {KeyAlgorithm::ed25519, KeyAlgorithm::ecdsa_p384}) {
    auto hierarchy = create_dev_hierarchy(algorithm, {}, {}, now);
    ASSERT_TRUE(hierarchy);
    auto crl = build_crl(
        hierarchy->issuing(),
        std::vector<CrlEntry>{{*random_serial(), now, CrlReason::ca_compromise, now + hours(1)}}, 3,
        now, now + minutes(5), now);
    ASSERT_TRUE(crl);
    X509CrlPtr parsed = testing::parse_crl(crl->der);
    EXPECT_EQ(X509_CRL_verify(parsed.get(), X509_get0_pubkey(hierarchy->issuing().certificate())),
              1);
  }
}

}  // namespace
}  // namespace jit::ca
