#include "ca/ocsp_responder.hpp"

#include "ca/x509_client_certificate.hpp"
#include "ca/x509_hierarchy.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>

#include <map>

namespace jit::ca {
namespace {

using namespace std::chrono;
using testing::Clock;

struct X509StackFree {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_free(stack); }
};

class OcspResponderTest : public ::testing::TestWithParam<KeyAlgorithm> {
 protected:
  void SetUp() override {
    auto hierarchy = create_dev_hierarchy(GetParam(), {}, {}, now_);
    ASSERT_TRUE(hierarchy);
    hierarchy_.emplace(std::move(*hierarchy));
    for (int i = 0; i < 3; ++i) {
      EvpPkeyPtr key = testing::generate(KeyAlgorithm::ecdsa_p256);
      auto csr = parse_and_verify_csr(testing::make_csr_pem(key.get()));
      auto serial = random_serial();
      auto issued = issue_client_certificate(hierarchy_->issuing(), *csr,
                                             {"u", "r", "", std::nullopt, "", ""}, *serial,
                                             now_ - seconds(60), now_ + hours(1));
      ASSERT_TRUE(issued);
      serials_.push_back(*serial);
      certificates_.push_back(testing::parse_certificate(issued->der));
    }
    statuses_[serials_[0].hex()] = {OcspStatus::good, {}, CrlReason::unspecified};
    statuses_[serials_[1].hex()] = {OcspStatus::revoked, floor<seconds>(now_) - minutes(1),
                                    CrlReason::key_compromise};
    // serials_[2] is unknown to the lookup.
  }

  OcspStatusLookup lookup() {
    return [this](const X509Serial& serial) {
      ++lookups_;
      auto found = statuses_.find(serial.hex());
      return found == statuses_.end() ? OcspCertificateStatus{} : found->second;
    };
  }

  const X509* issuing() const { return hierarchy_->issuing().certificate(); }

  Bytes encode(OCSP_REQUEST* request) {
    unsigned char* raw = nullptr;
    const int length = i2d_OCSP_REQUEST(request, &raw);
    Bytes der(reinterpret_cast<std::byte*>(raw), reinterpret_cast<std::byte*>(raw) + length);
    OPENSSL_free(raw);
    return der;
  }

  OcspResponsePtr respond(ByteView request) {
    auto response = ocsp_respond(hierarchy_->issuing(), request, lookup(), now_);
    EXPECT_TRUE(response);
    if (!response) return nullptr;
    const unsigned char* cursor = as_uchars(ByteView(*response));
    return OcspResponsePtr(
        d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(response->size())));
  }

  Clock::time_point now_ = Clock::now();
  std::optional<X509CaHierarchy> hierarchy_;
  std::vector<X509Serial> serials_;
  std::vector<X509Ptr> certificates_;
  std::map<std::string, OcspCertificateStatus> statuses_;
  int lookups_ = 0;
};

TEST_P(OcspResponderTest, AnswersGoodRevokedAndUnknownWithAVerifiableSignedResponse) {
  OcspRequestPtr request(OCSP_REQUEST_new());
  std::vector<OCSP_CERTID*> ids;  // owned by the request
  for (std::size_t i = 0; i < certificates_.size(); ++i) {
    OCSP_CERTID* id =
        OCSP_cert_to_id(i == 2 ? EVP_sha256() : EVP_sha1(), certificates_[i].get(), issuing());
    ASSERT_NE(id, nullptr);
    ASSERT_NE(OCSP_request_add0_id(request.get(), id), nullptr);
    ids.push_back(id);
  }
  ASSERT_EQ(OCSP_request_add1_nonce(request.get(), nullptr, -1), 1);
  OcspResponsePtr response = respond(encode(request.get()));
  ASSERT_NE(response, nullptr);
  ASSERT_EQ(OCSP_response_status(response.get()), OCSP_RESPONSE_STATUS_SUCCESSFUL);
  OcspBasicRespPtr basic(OCSP_response_get1_basic(response.get()));
  ASSERT_NE(basic, nullptr);
  EXPECT_EQ(OCSP_check_nonce(request.get(), basic.get()), 1);
  EXPECT_EQ(lookups_, 3);

  // The issuing CA signed it; the relying party knows the issuing certificate and trusts the root.
  X509StorePtr store(X509_STORE_new());
  ASSERT_EQ(X509_STORE_add_cert(store.get(), const_cast<X509*>(hierarchy_->root_certificate())), 1);
  std::unique_ptr<STACK_OF(X509), X509StackFree> certs(sk_X509_new_null());
  sk_X509_push(certs.get(), const_cast<X509*>(issuing()));
  EXPECT_EQ(OCSP_basic_verify(basic.get(), certs.get(), store.get(), 0), 1)
      << drain_openssl_errors();
  EXPECT_EQ(OCSP_resp_get0_certs(basic.get()) == nullptr ||
                sk_X509_num(OCSP_resp_get0_certs(basic.get())) == 0,
            true);

  const int expected_status[] = {V_OCSP_CERTSTATUS_GOOD, V_OCSP_CERTSTATUS_REVOKED,
                                 V_OCSP_CERTSTATUS_UNKNOWN};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    int status = -1;
    int reason = -1;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    ASSERT_EQ(OCSP_resp_find_status(basic.get(), ids[i], &status, &reason, &revoked_at,
                                    &this_update, &next_update),
              1);
    EXPECT_EQ(status, expected_status[i]) << i;
    EXPECT_EQ(ASN1_TIME_cmp_time_t(this_update, Clock::to_time_t(now_)), 0);
    EXPECT_EQ(ASN1_TIME_cmp_time_t(next_update, Clock::to_time_t(now_ + minutes(5))), 0);
    EXPECT_EQ(OCSP_check_validity(this_update, next_update, 300, -1), 1);
    if (i == 1) {
      EXPECT_EQ(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
      EXPECT_EQ(
          ASN1_TIME_cmp_time_t(revoked_at, Clock::to_time_t(floor<seconds>(now_) - minutes(1))), 0);
    }
  }
}

TEST_P(OcspResponderTest, AnotherIssuersCertificateIsUnknownWithoutLookup) {
  auto other = create_dev_hierarchy(KeyAlgorithm::ecdsa_p256, {}, {}, now_);
  ASSERT_TRUE(other);
  OcspRequestPtr request(OCSP_REQUEST_new());
  // Same serial, other issuer.
  OCSP_CERTID* id =
      OCSP_cert_to_id(EVP_sha1(), certificates_[0].get(), other->issuing().certificate());
  ASSERT_NE(OCSP_request_add0_id(request.get(), id), nullptr);
  OcspResponsePtr response = respond(encode(request.get()));
  OcspBasicRespPtr basic(OCSP_response_get1_basic(response.get()));
  ASSERT_NE(basic, nullptr);
  int status = -1;
  ASSERT_EQ(OCSP_resp_find_status(basic.get(), id, &status, nullptr, nullptr, nullptr, nullptr), 1);
  EXPECT_EQ(status, V_OCSP_CERTSTATUS_UNKNOWN);
  EXPECT_EQ(lookups_, 0);
}

TEST_P(OcspResponderTest, MalformedRequestsGetMalformedRequestResponses) {
  OcspRequestPtr good(OCSP_REQUEST_new());
  ASSERT_NE(
      OCSP_request_add0_id(good.get(), OCSP_cert_to_id(nullptr, certificates_[0].get(), issuing())),
      nullptr);
  Bytes good_der = encode(good.get());
  Bytes trailing = good_der;
  trailing.push_back(std::byte{0});
  OcspRequestPtr empty_request(OCSP_REQUEST_new());
  OcspRequestPtr too_many(OCSP_REQUEST_new());
  for (int i = 0; i < 17; ++i) {
    OCSP_request_add0_id(too_many.get(),
                         OCSP_cert_to_id(nullptr, certificates_[0].get(), issuing()));
  }
  const std::vector<std::pair<const char*, Bytes>> refused = {
      {"empty", {}},
      {"garbage", Bytes(40, std::byte{0x41})},
      {"trailing byte", trailing},
      {"truncated", Bytes(good_der.begin(), good_der.end() - 1)},
      {"no certificate", encode(empty_request.get())},
      {"17 certificates", encode(too_many.get())},
      {"oversized", Bytes(16 * 1024 + 1, std::byte{0x30})},
  };
  for (const auto& [what, der] : refused) {
    OcspResponsePtr response = respond(der);
    ASSERT_NE(response, nullptr) << what;
    EXPECT_EQ(OCSP_response_status(response.get()), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST) << what;
  }
  EXPECT_EQ(lookups_, 0);
  OcspResponsePtr fine = respond(good_der);
  EXPECT_EQ(OCSP_response_status(fine.get()), OCSP_RESPONSE_STATUS_SUCCESSFUL);
}

INSTANTIATE_TEST_SUITE_P(CaKeys, OcspResponderTest,
                         ::testing::Values(KeyAlgorithm::ecdsa_p256, KeyAlgorithm::ed25519,
                                           KeyAlgorithm::ecdsa_p384));

}  // namespace
}  // namespace jit::ca
