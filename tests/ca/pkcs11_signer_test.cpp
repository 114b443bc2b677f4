// CA keys on a real SoftHSM2 token (tests/support/softhsm_token.hpp): generated inside the token,
// signing SSH certificates, X.509 certificates, CRLs and OCSP responses that verify with the
// public key read from it; every bad URI or setting of issue 19 refused with one line that names
// the URI and never the PIN; a vanished token answered with signer_unavailable, and signing again
// once it is back.
#include "ca/pkcs11_signer.hpp"
#include "ca/crl_builder.hpp"
#include "ca/csr_parser.hpp"
#include "ca/ocsp_responder.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_client_certificate.hpp"
#include "ca/x509_hierarchy.hpp"
#include "ca/x509_serial.hpp"
#include "support/ssh_test_support.hpp"
#include "tests/support/softhsm_token.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>

#include <array>
#include <thread>

namespace jit::ca {
namespace {

using namespace std::chrono;

class Pkcs11SignerTest : public ::testing::Test {
 protected:
  Pkcs11Settings settings() const { return {testing::kSoftHsmModule, token_.pin()}; }

  std::string open_error(const std::string& uri, std::optional<Pkcs11Settings> with = {}) {
    try {
      (void)Pkcs11Signer::open(with ? *with : settings(), uri);
    } catch (const Pkcs11Error& e) {
      return e.what();
    }
    return "opened";
  }

  // Raw PKCS#11 on the token for what the product never does (destroying a private key, making a
  // key type it refuses).
  template <typename F>
  void with_session(F work) {
    const Pkcs11Uri uri("pkcs11:token=jit");
    auto module = std::make_shared<Pkcs11Module>(testing::kSoftHsmModule, uri.text());
    const CK_SLOT_ID slot = module->find_slot(uri);
    Pkcs11SessionPool pool(module, slot, token_.pin(), true);
    auto lease = pool.acquire_or_throw(uri);
    work(pool.api(), lease->handle());
  }

  SshPublicKey user_key() const {
    return *SshPublicKey::parse_line(testing::ssh_test_file("ed25519_user.pub"));
  }

  testing::SoftHsmToken token_;
};

TEST_F(Pkcs11SignerTest, Ed25519KeyMadeInTheTokenSignsSshCertificates) {
  auto signer =
      generate_pkcs11_key(settings(), "pkcs11:token=jit;object=ssh-ca", KeyAlgorithm::ed25519);
  ASSERT_EQ(signer->algorithm(), KeyAlgorithm::ed25519);
  EXPECT_EQ(signer->location(), "pkcs11:token=jit;object=ssh-ca");
  auto key = SshCaKey::from_signer(signer);
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->private_key(), nullptr);
  std::vector<SshCaKey> keys;
  keys.push_back(std::move(*key));
  auto ca = SshCertificateAuthority::create(std::move(keys));
  ASSERT_TRUE(ca);
  auto issued = ca->issue_user_certificate(user_key(), testing::test_profile());
  ASSERT_TRUE(issued) << issued.error().message();
  auto parsed = parse_ssh_certificate_blob(issued->blob);  // verifies the CA signature
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->ca_key, ca->signing_key().public_key());

  // The private key stays in the token: sensitive, not extractable, a token object.
  with_session([](CK_FUNCTION_LIST& f, CK_SESSION_HANDLE session) {
    CK_OBJECT_CLASS private_class = CKO_PRIVATE_KEY;
    std::array<CK_BYTE, 6> label{'s', 's', 'h', '-', 'c', 'a'};
    std::array<CK_ATTRIBUTE, 2> query{{{CKA_CLASS, &private_class, sizeof private_class},
                                       {CKA_LABEL, label.data(), label.size()}}};
    CK_OBJECT_HANDLE object = 0;
    CK_ULONG count = 0;
    ASSERT_EQ(f.C_FindObjectsInit(session, query.data(), query.size()), CKR_OK);
    ASSERT_EQ(f.C_FindObjects(session, &object, 1, &count), CKR_OK);
    ASSERT_EQ(f.C_FindObjectsFinal(session), CKR_OK);
    ASSERT_EQ(count, 1u);
    CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE, on_token = CK_FALSE;
    std::array<CK_ATTRIBUTE, 3> flags{{{CKA_SENSITIVE, &sensitive, sizeof sensitive},
                                       {CKA_EXTRACTABLE, &extractable, sizeof extractable},
                                       {CKA_TOKEN, &on_token, sizeof on_token}}};
    ASSERT_EQ(f.C_GetAttributeValue(session, object, flags.data(), flags.size()), CKR_OK);
    EXPECT_EQ(sensitive, CK_TRUE);
    EXPECT_EQ(extractable, CK_FALSE);
    EXPECT_EQ(on_token, CK_TRUE);
  });
}

TEST_F(Pkcs11SignerTest, SigningRunsFromManyThreadsAtOnce) {
  auto signer = generate_pkcs11_key(settings(), "pkcs11:token=jit;object=ssh-ecdsa",
                                    KeyAlgorithm::ecdsa_p256);
  auto key = SshCaKey::from_signer(signer);
  ASSERT_TRUE(key);
  std::vector<SshCaKey> keys;
  keys.push_back(std::move(*key));
  auto ca = SshCertificateAuthority::create(std::move(keys));
  ASSERT_TRUE(ca);
  std::atomic<int> verified{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto issued = ca->issue_user_certificate(user_key(), testing::test_profile());
        if (issued && parse_ssh_certificate_blob(issued->blob)) ++verified;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(verified.load(), 80);
}

// The issuing CA's key in the token (P-256 and RSA-3072), the root's in memory: a client
// certificate, a CRL and an OCSP response all verify against the chain.
void expect_x509_signing_works(const std::shared_ptr<Pkcs11Signer>& signer) {
  const auto now = system_clock::now();
  auto root = create_root_ca(KeyAlgorithm::ecdsa_p256, {}, {}, now);
  ASSERT_TRUE(root);
  auto pem = certify_issuing_key(*root, signer->public_key(), {}, {}, now);
  ASSERT_TRUE(pem);
  auto issuing = X509CertificateAuthority::create(signer, testing::parse_certificate_pem(*pem));
  ASSERT_TRUE(issuing) << issuing.error().message();
  EXPECT_EQ(issuing->signing_key(), nullptr);

  EvpPkeyPtr client_key = testing::generate(KeyAlgorithm::ecdsa_p256);
  auto csr = parse_and_verify_csr(testing::make_csr_pem(client_key.get()));
  auto serial = random_serial();
  auto issued =
      issue_client_certificate(*issuing, *csr, {"alice", "prod", "", std::nullopt, "", ""}, *serial,
                               now - seconds(60), now + hours(1));
  ASSERT_TRUE(issued) << issued.error().message();
  auto client = testing::parse_certificate(issued->der);
  EXPECT_EQ(X509_verify(client.get(), const_cast<EVP_PKEY*>(signer->public_key())), 1);

  std::vector<CrlEntry> entries{{*serial, now, CrlReason::key_compromise, now + hours(1)}};
  auto crl = build_crl(*issuing, entries, 1, now, now + minutes(5), now);
  ASSERT_TRUE(crl);
  auto parsed_crl = testing::parse_crl(crl->der);
  EXPECT_EQ(X509_CRL_verify(parsed_crl.get(), const_cast<EVP_PKEY*>(signer->public_key())), 1);

  OcspRequestPtr request(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), client.get(), issuing->certificate());
  ASSERT_NE(OCSP_request_add0_id(request.get(), id), nullptr);
  ASSERT_EQ(OCSP_request_add1_nonce(request.get(), nullptr, -1), 1);
  const int length = i2d_OCSP_REQUEST(request.get(), nullptr);
  Bytes request_der(static_cast<std::size_t>(length));
  auto* out = reinterpret_cast<unsigned char*>(request_der.data());
  i2d_OCSP_REQUEST(request.get(), &out);
  auto response_der = ocsp_respond(
      *issuing, request_der,
      [](const X509Serial&) {
        return OcspCertificateStatus{OcspStatus::good, {}, {}};
      },
      now);
  ASSERT_TRUE(response_der);
  const unsigned char* cursor = as_uchars(ByteView(*response_der));
  OcspResponsePtr response(
      d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(response_der->size())));
  ASSERT_NE(response, nullptr);
  OcspBasicRespPtr basic(OCSP_response_get1_basic(response.get()));
  ASSERT_NE(basic, nullptr);
  EXPECT_EQ(OCSP_check_nonce(request.get(), basic.get()), 1);
  X509StorePtr store(X509_STORE_new());
  ASSERT_EQ(X509_STORE_add_cert(store.get(), const_cast<X509*>(root->certificate())), 1);
  STACK_OF(X509)* certs = sk_X509_new_null();
  sk_X509_push(certs, const_cast<X509*>(issuing->certificate()));
  EXPECT_EQ(OCSP_basic_verify(basic.get(), certs, store.get(), 0), 1) << drain_openssl_errors();
  sk_X509_free(certs);
}

TEST_F(Pkcs11SignerTest, EcdsaIssuingKeySignsCertificatesCrlsAndOcsp) {
  expect_x509_signing_works(
      generate_pkcs11_key(settings(), "pkcs11:token=jit;object=x509-ca", KeyAlgorithm::ecdsa_p256));
}

TEST_F(Pkcs11SignerTest, RsaIssuingKeySignsCertificatesCrlsAndOcsp) {
  expect_x509_signing_works(
      generate_pkcs11_key(settings(), "pkcs11:token=jit;object=x509-rsa", KeyAlgorithm::rsa));
}

void expect_one_line(const std::string& message, const std::string& names) {
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_NE(message.find(names), std::string::npos) << message;
}

TEST_F(Pkcs11SignerTest, BadUrisAndSettingsAreOneLineNamingTheUriNeverThePin) {
  (void)generate_pkcs11_key(settings(), "pkcs11:token=jit;object=a", KeyAlgorithm::ed25519);
  (void)generate_pkcs11_key(settings(), "pkcs11:token=jit;object=b", KeyAlgorithm::ed25519);
  (void)generate_pkcs11_key(settings(), "pkcs11:token=jit;object=pub-only", KeyAlgorithm::ed25519);
  with_session([](CK_FUNCTION_LIST& f, CK_SESSION_HANDLE session) {
    // Only the public half of "pub-only" remains.
    CK_OBJECT_CLASS private_class = CKO_PRIVATE_KEY;
    std::string label = "pub-only";
    std::array<CK_ATTRIBUTE, 2> query{{{CKA_CLASS, &private_class, sizeof private_class},
                                       {CKA_LABEL, label.data(), label.size()}}};
    CK_OBJECT_HANDLE object = 0;
    CK_ULONG count = 0;
    ASSERT_EQ(f.C_FindObjectsInit(session, query.data(), query.size()), CKR_OK);
    ASSERT_EQ(f.C_FindObjects(session, &object, 1, &count), CKR_OK);
    ASSERT_EQ(f.C_FindObjectsFinal(session), CKR_OK);
    ASSERT_EQ(count, 1u);
    ASSERT_EQ(f.C_DestroyObject(session, object), CKR_OK);
    // A P-521 key: a curve the CA does not sign with.
    std::array<CK_BYTE, 7> p521{0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x23};
    std::string p521_label = "p521";
    CK_BBOOL yes = CK_TRUE;
    std::array<CK_ATTRIBUTE, 3> public_template{
        {{CKA_EC_PARAMS, p521.data(), p521.size()},
         {CKA_TOKEN, &yes, sizeof yes},
         {CKA_LABEL, p521_label.data(), p521_label.size()}}};
    std::array<CK_ATTRIBUTE, 3> private_template{
        {{CKA_TOKEN, &yes, sizeof yes},
         {CKA_SIGN, &yes, sizeof yes},
         {CKA_LABEL, p521_label.data(), p521_label.size()}}};
    CK_MECHANISM mechanism{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    CK_OBJECT_HANDLE public_key = 0, private_key = 0;
    ASSERT_EQ(f.C_GenerateKeyPair(session, &mechanism, public_template.data(),
                                  public_template.size(), private_template.data(),
                                  private_template.size(), &public_key, &private_key),
              CKR_OK);
  });

  expect_one_line(open_error("pkcs11:token=jit;object=absent"),
                  "no private key matches PKCS#11 URI pkcs11:token=jit;object=absent");
  expect_one_line(open_error("pkcs11:token=jit;type=private"),
                  "private keys match PKCS#11 URI pkcs11:token=jit;type=private");
  expect_one_line(open_error("pkcs11:token=jit;object=pub-only"),
                  "pkcs11:token=jit;object=pub-only names a public key only");
  expect_one_line(open_error("pkcs11:token=jit;object=p521"),
                  "the key of PKCS#11 URI pkcs11:token=jit;object=p521 has an unsupported type");
  expect_one_line(open_error("pkcs11:token=other;object=a"),
                  "no token matches PKCS#11 URI pkcs11:token=other;object=a");
  expect_one_line(
      open_error("pkcs11:token=jit;object=a", Pkcs11Settings{"/etc/hostname", token_.pin()}),
      "ca.pkcs11.module /etc/hostname is not a PKCS#11 module (for pkcs11:token=jit;object=a)");
  const std::string wrong_pin = open_error("pkcs11:token=jit;object=a",
                                           Pkcs11Settings{testing::kSoftHsmModule, "9999-wrong"});
  expect_one_line(wrong_pin, "the token refused the PIN for PKCS#11 URI pkcs11:token=jit;object=a");
  EXPECT_EQ(wrong_pin.find("9999-wrong"), std::string::npos);
  const std::string inline_pin = open_error("pkcs11:token=jit;object=a?pin-value=secret-77");
  expect_one_line(inline_pin, "pkcs11:token=jit;object=a carries a PIN");
  EXPECT_EQ(inline_pin.find("secret-77"), std::string::npos);
  expect_one_line(open_error("pkcs11:token=jit;object=a;bogus%zz"), "does not parse");
  EXPECT_EQ(open_error("pkcs11:token=jit;object=a"), "opened");
}

TEST_F(Pkcs11SignerTest, VanishedTokenAnswersSignerUnavailable) {
  auto signer =
      generate_pkcs11_key(settings(), "pkcs11:token=jit;object=gone", KeyAlgorithm::ed25519);
  EXPECT_EQ(signer->check(), "");
  token_.remove_tokens();
  auto signature = signer->sign(nullptr, as_bytes("after the token went"));
  ASSERT_FALSE(signature);
  EXPECT_EQ(signature.error(), CaErrc::signer_unavailable);
  EXPECT_NE(signer->check(), "");
}

TEST_F(Pkcs11SignerTest, TokenThatComesBackSignsAgainWithoutReopening) {
  auto signer =
      generate_pkcs11_key(settings(), "pkcs11:token=jit;object=replugged", KeyAlgorithm::ed25519);
  EXPECT_EQ(signer->check(), "");
  token_.unplug();
  auto gone = signer->sign(nullptr, as_bytes("while the token is out"));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error(), CaErrc::signer_unavailable);
  token_.plug_back();
  // The module is started afresh at most once a second: the first tries may still fail.
  auto back = signer->sign(nullptr, as_bytes("after it came back"));
  for (int i = 0; i < 30 && !back; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    back = signer->sign(nullptr, as_bytes("after it came back"));
  }
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(signer->check(), "");  // the signature verifies with the key read at open
}

TEST(Pkcs11Uri, RedactsThePinValue) {
  EXPECT_EQ(redact_pkcs11_uri("pkcs11:token=a;object=b?pin-value=1234"), "pkcs11:token=a;object=b");
  EXPECT_EQ(redact_pkcs11_uri("pkcs11:pin-value=1;token=a"), "pkcs11:token=a");
  EXPECT_EQ(redact_pkcs11_uri("pkcs11:token=a?module-path=/x&pin-value=9"),
            "pkcs11:token=a?module-path=/x");
  EXPECT_TRUE(is_pkcs11_uri("PKCS11:token=a"));
  EXPECT_FALSE(is_pkcs11_uri("/etc/jit/ssh_ca.key"));
}

}  // namespace
}  // namespace jit::ca
