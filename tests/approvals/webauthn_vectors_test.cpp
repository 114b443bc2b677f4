// The W3C WebAuthn Level 3 test vectors (docs/protocols.md 4.9; spec section "Test Vectors", copied
// from w3c/webauthn index.bs: RP ID example.org, origin https://example.org), plus the synthetic
// Ed25519 self-attestation of docs/protocols.md 4.9, made from the spec's packed.EdDSA private key.
#include "approvals/webauthn_assertion.hpp"
#include "approvals/webauthn_cose.hpp"
#include "approvals/webauthn_registration.hpp"

#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using testing::from_hex;
using testing::kWebAuthnTestNow;

const WebAuthnSettings kExampleOrg{"example.org", "https://example.org", false};

// sctn-test-vectors-none-es256
constexpr const char* kNoneRegChallenge =
    "00c30fb78531c464d2b6771dab8d7b603c01162f2fa486bea70f283ae556e130";
constexpr const char* kNoneRegClientData =
    "7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a22414d4d50743455"
    "7878475453746e63647134313759447742466938767049612d7077386f4f755657345441222c226f726967696e22"
    "3a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c226578"
    "74726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e646564207769746820"
    "6164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a"
    "20426b5165446a646354427258426941774a544c453551227d";
constexpr const char* kNoneAttestation =
    "a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4"
    "735ae7f8edd46592a5e0f01452b2e4b559000000008446ccb9ab1db374750b2367ff6f3a1f0020f91f391db4c9b2"
    "fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4a5010203262001215820afefa16f97ca9b2d23eb86"
    "ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed7"
    "3290af2e2664796b9220";
constexpr const char* kNoneCredentialId =
    "f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4";
constexpr const char* kNoneCoseKey =
    "a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df6122582093"
    "0a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220";
constexpr const char* kNoneAuthChallenge =
    "39c0e7521417ba54d43e8dc95174f423dee9bf3cd804ff6d65c857c9abf4d408";
constexpr const char* kNoneAuthData =
    "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000";
constexpr const char* kNoneAuthClientData =
    "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a224f63446e55685158756c"
    "5455506f334a5558543049393770767a7a59425039745a63685879617630314167222c226f726967696e223a2268"
    "747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d";
constexpr const char* kNoneAuthSignature =
    "3046022100f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd380221008480ac0f0b93"
    "538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87";

// sctn-test-vectors-packed-self-es256
constexpr const char* kSelfRegChallenge =
    "7869c2b772d4b58eba9378cf8f29e26cf935aa77df0da89fa99c0bdc0a76f7e5";
constexpr const char* kSelfRegClientData =
    "7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a2265476e4374334c"
    "55745936366b336a506a796e6962506b31716e666644616966715a774c33417032392d55222c226f726967696e22"
    "3a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c226578"
    "74726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e646564207769746820"
    "6164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a"
    "205539685458764b453255526b4d6e625f307859485667227d";
constexpr const char* kSelfAttestation =
    "a363666d74667061636b65646761747453746d74a263616c672663736967584630440220067a20754ab925005dbf"
    "378097c92120031581c73228d1fb4f5b881bcd7da98302207fc7b147558c7c0eba3af18bd9d121fa3d3a26d17fe3"
    "f220272178f473b6006d68617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5"
    "e0f01452b2e4b55d00000000df850e09db6afbdfab51697791506cfc0020455ef34e2043a87db3d4afeb39bbcb6c"
    "c32df9347c789a865ecdca129cbef58ca5010203262001215820eb151c8176b225cc651559fecf07af450fd85802"
    "046656b34c18f6cf193843c5225820927b8aa427a2be1b8834d233a2d34f61f13bfd44119c325d5896e183fee484"
    "f2";
constexpr const char* kSelfCredentialId =
    "455ef34e2043a87db3d4afeb39bbcb6cc32df9347c789a865ecdca129cbef58c";
constexpr const char* kSelfAuthChallenge =
    "4478a10b1352348dd160c1353b0d469b5db19eb91c27f7dfa6fed39fe26af20b";
constexpr const char* kSelfAuthData =
    "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50900000000";
constexpr const char* kSelfAuthClientData =
    "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a225248696843784e534e49"
    "3352594d45314f7731476d3132786e726b634a5f6666707637546e2d4a71386773222c226f726967696e223a2268"
    "747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c226578747261"
    "44617461223a22636c69656e74446174614a534f4e206d617920626520657874656e646564207769746820616464"
    "6974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a206754"
    "623533727a36456853576f6d58477a696d433151227d";
constexpr const char* kSelfAuthSignature =
    "304402203310b9431903c401f1be2bdc8d23a4007682dbbddcf846994947b7f465daf84002204e94dd00047b3160"
    "61b3b99772b7efd95994a83ef584b3b6b825ea3550251b66";

// sctn-test-vectors-packed-eddsa (its own attestation is x5c; the self one: docs/protocols.md 4.9)
constexpr const char* kEdRegChallenge =
    "a8abf9dabdc6b0df63466b39bda9e8a34a34e185337a59f1c579990676d3b3bd";
constexpr const char* kEdRegClientData =
    "7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a22714b7635327233"
    "47734e396a526d733576616e6f6f306f303459557a656c6e7878586d5a426e6254733730222c226f726967696e22"
    "3a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c226578"
    "74726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e646564207769746820"
    "6164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a"
    "20425f44543567375a445f2d394f544c59583549764551227d";
constexpr const char* kEdX5cAttestation =
    "a363666d74667061636b65646761747453746d74a363616c67266373696758483046022100d83f60bd8026953758"
    "3218858aefb03ac57d45fa06e42feaae332d187f62da9f022100a02bd3cb6f7e1d283c93bad1f3f4b5a4c0494463"
    "da7fdbf256949116754d1f17637835638159022730820223308201c8a003020102021100b2cfc9ea33c8643b0e1a"
    "760463eaf164300a06082a8648ce3d0403023062311e301c06035504030c15576562417574686e20746573742076"
    "6563746f7273310c300a060355040a0c0357334331253023060355040b0c1c41757468656e74696361746f722041"
    "74746573746174696f6e204341310b30090603550406130241413020170d3234303130313030303030305a180f33"
    "303234303130313030303030305a305f311e301c06035504030c15576562417574686e207465737420766563746f"
    "7273310c300a060355040a0c0357334331223020060355040b0c1941757468656e74696361746f72204174746573"
    "746174696f6e310b30090603550406130241413059301306072a8648ce3d020106082a8648ce3d03010703420004"
    "dd2b7a564b73b8c0b81c4c62e521925c4d1198ec9f583dbf1eebe364b65cd9c29a9bdf346aaa81fb6b9507e5249a"
    "52fdaf8e39e26b0b7dc45992a7e233b70f70a360305e300c0603551d130101ff04023000300e0603551d0f0101ff"
    "040403020780301d0603551d0e041604140ae27546bc7eccb1b4b597bd354f0c0b1f1f8f8e301f0603551d230418"
    "3016801445aff715b0dd786741fee996ebc16547a3931b1e300a06082a8648ce3d0403020349003046022100a0d4"
    "34ecb5fc3bfd7da5f41904517ad2836249f561bd834ba7a438a8ab7a4ce8022100fac845bb7a02513b58e9f31965"
    "4dbe49b0f02b95835bac568c71f8a18cdde9ab6861757468446174615881bfabc37432958b063360d3ad6461c9c4"
    "735ae7f8edd46592a5e0f01452b2e4b54100000000d5aa33581e8ca478e20fe713f5d32ff20020ce9f840ed96599"
    "580cd140fbc7bb3230633f50f61041aff73308ae71caa8a2bda401010327200621582044e06ddd331c36a8dc667b"
    "ab52bcae63486c916aa5e339e6acebaa84934bf832";
constexpr const char* kEdSelfAttestation =
    "a363666d74667061636b65646761747453746d74a263616c67276373696758400e8c36f2fbcc893498994a10bd9d"
    "61780638e87be118b7661e89e8db0273ba782d7af694d66f44a909c4a3def73b66489b005a81ca376b695e7c2167"
    "361de6046861757468446174615881bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4"
    "b54100000000d5aa33581e8ca478e20fe713f5d32ff20020ce9f840ed96599580cd140fbc7bb3230633f50f61041"
    "aff73308ae71caa8a2bda401010327200621582044e06ddd331c36a8dc667bab52bcae63486c916aa5e339e6aceb"
    "aa84934bf832";
constexpr const char* kEdCredentialId =
    "ce9f840ed96599580cd140fbc7bb3230633f50f61041aff73308ae71caa8a2bd";
constexpr const char* kEdCoseKey =
    "a401010327200621582044e06ddd331c36a8dc667bab52bcae63486c916aa5e339e6acebaa84934bf832";
constexpr const char* kEdAuthChallenge =
    "895957e01c633a698348a2d8a31a54b7db27e8c1c43b2080d79ae2190267bfd2";
constexpr const char* kEdAuthData =
    "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50100000000";
constexpr const char* kEdAuthClientData =
    "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a2269566c583442786a4f6d"
    "6d44534b4c596f7870557439736e364d48454f7943413135726947514a6e763949222c226f726967696e223a2268"
    "747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d";
constexpr const char* kEdAuthSignature =
    "f5c59c7e46c34f6f8cc197101ddf9934fa2595f68eb1913a637e8419eb9ba4cfdfc48f85393bc0d40b011f0d6fecb0"
    "97d6607525713223a0dc0d453993dae00b";

// sctn-test-vectors-none-es256-crossOrigin and -topOrigin: registrations from a framed page.
constexpr const char* kCrossRegChallenge =
    "3be5aacd03537142472340ab5969f240f1d87716e20b6807ac230655fa4b3b49";
constexpr const char* kCrossRegClientData =
    "7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a224f2d57717a514e"
    "5463554a484930437257576e7951504859647862694332674872434d475666704c4f306b222c226f726967696e22"
    "3a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a747275652c22657874"
    "726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e64656420776974682061"
    "64646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a20"
    "7a5a7175457444523944577170573574425754467567227d";
constexpr const char* kCrossAttestation =
    "a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4"
    "735ae7f8edd46592a5e0f01452b2e4b54500000000883f4f6014f19c09d87aa38123be48d000206e1050c0d2ca2f"
    "07c755cb2c66a74c64fa43065c18f938354d9915db2bd5ce57a501020326200121582022200a473f90b110788515"
    "50d03b4e44a2279f8c4eca27b3153dedfe03e4e97d225820cbd0be95e746ad6f5a8191be11756e4c0420e72f65b4"
    "66d39bc56b8b123a9c6e";
constexpr const char* kTopRegChallenge =
    "4e1f4c6198699e33c14f192153f49d7e0e8e3577d5ac416c5f3adc92a41f27e5";
constexpr const char* kTopRegClientData =
    "7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a225468394d595a68"
    "706e6a504254786b68555f53646667364f4e58665672454673587a72636b7151664a2d55222c226f726967696e22"
    "3a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a747275652c22746f70"
    "4f726967696e223a2268747470733a2f2f6578616d706c652e636f6d227d";
constexpr const char* kTopAttestation =
    "a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4"
    "735ae7f8edd46592a5e0f01452b2e4b5410000000097586fd09799a76401c200455099ef2a0020b8ad59b996047a"
    "b18e2ceb57206c362da57458793481f4a8ebf101c7ca7cc0f1a5010203262001215820a1c47c1d82da4ebe82cd72"
    "207102b380670701993bc35398ae2e5726427fe01d22582086c1080d82987028c7f54ecb1b01185de243b359294a"
    "0ed210cd47480f0adc88";

Result<RegisteredCredential> register_vector(const char* challenge, const char* client_data,
                                             const char* attestation) {
  return verify_registration(kExampleOrg, from_hex(challenge), from_hex(client_data),
                             from_hex(attestation), kWebAuthnTestNow);
}

StoredCredential stored_from(const RegisteredCredential& registered) {
  return StoredCredential{
      registered.id, registered.public_key, registered.alg, registered.sign_count, {}};
}

AssertionResponse response_of(const char* id, const char* client_data, const char* auth_data,
                              const char* signature) {
  return AssertionResponse{from_hex(id), from_hex(client_data), from_hex(auth_data),
                           from_hex(signature), std::nullopt};
}

TEST(W3cVectors, NoneEs256RegistrationAndAssertion) {
  auto registered = register_vector(kNoneRegChallenge, kNoneRegClientData, kNoneAttestation);
  ASSERT_TRUE(registered.has_value()) << registered.error().message();
  EXPECT_EQ(registered->id, from_hex(kNoneCredentialId));
  EXPECT_EQ(registered->public_key, from_hex(kNoneCoseKey));  // already canonical
  EXPECT_EQ(registered->alg, CoseAlgorithm::es256);
  EXPECT_EQ(registered->attestation, AttestationKind::none);
  EXPECT_EQ(registered->flags, 0x59);
  EXPECT_EQ(registered->aaguid[0], std::byte{0x84});
  EXPECT_EQ(registered->registered_at, kWebAuthnTestNow);

  const auto response =
      response_of(kNoneCredentialId, kNoneAuthClientData, kNoneAuthData, kNoneAuthSignature);
  auto evidence = verify_assertion(kExampleOrg, from_hex(kNoneAuthChallenge),
                                   stored_from(*registered), response, kWebAuthnTestNow);
  ASSERT_TRUE(evidence.has_value()) << evidence.error().message();
  EXPECT_EQ(evidence->new_sign_count, 0u);  // 0 then 0: an authenticator without a counter
  EXPECT_EQ(evidence->flags, 0x19);
  // The registration's challenge does not verify the assertion.
  EXPECT_EQ(verify_assertion(kExampleOrg, from_hex(kNoneRegChallenge), stored_from(*registered),
                             response, kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::challenge_mismatch);
}

TEST(W3cVectors, PackedSelfEs256RegistrationAndAssertion) {
  auto registered = register_vector(kSelfRegChallenge, kSelfRegClientData, kSelfAttestation);
  ASSERT_TRUE(registered.has_value()) << registered.error().message();
  EXPECT_EQ(registered->id, from_hex(kSelfCredentialId));
  EXPECT_EQ(registered->attestation, AttestationKind::self);
  EXPECT_EQ(registered->flags, 0x5d);
  auto evidence = verify_assertion(
      kExampleOrg, from_hex(kSelfAuthChallenge), stored_from(*registered),
      response_of(kSelfCredentialId, kSelfAuthClientData, kSelfAuthData, kSelfAuthSignature),
      kWebAuthnTestNow);
  ASSERT_TRUE(evidence.has_value()) << evidence.error().message();
  // UV was set at registration but not in this assertion: refused when UV is required.
  WebAuthnSettings strict = kExampleOrg;
  strict.require_uv = true;
  EXPECT_EQ(verify_assertion(strict, from_hex(kSelfAuthChallenge), stored_from(*registered),
                             response_of(kSelfCredentialId, kSelfAuthClientData, kSelfAuthData,
                                         kSelfAuthSignature),
                             kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::user_not_verified);
}

TEST(W3cVectors, Ed25519SelfAttestationAndSpecAssertion) {
  auto registered = register_vector(kEdRegChallenge, kEdRegClientData, kEdSelfAttestation);
  ASSERT_TRUE(registered.has_value()) << registered.error().message();
  EXPECT_EQ(registered->id, from_hex(kEdCredentialId));
  EXPECT_EQ(registered->public_key, from_hex(kEdCoseKey));
  EXPECT_EQ(registered->alg, CoseAlgorithm::eddsa);
  EXPECT_EQ(registered->attestation, AttestationKind::self);
  auto evidence = verify_assertion(
      kExampleOrg, from_hex(kEdAuthChallenge), stored_from(*registered),
      response_of(kEdCredentialId, kEdAuthClientData, kEdAuthData, kEdAuthSignature),
      kWebAuthnTestNow);
  ASSERT_TRUE(evidence.has_value()) << evidence.error().message();
}

TEST(W3cVectors, CertificateAttestationIsRefused) {
  EXPECT_EQ(register_vector(kEdRegChallenge, kEdRegClientData, kEdX5cAttestation).error(),
            ApprovalsErrc::unsupported);
}

TEST(W3cVectors, FramedRegistrationsAreRefused) {
  EXPECT_EQ(register_vector(kCrossRegChallenge, kCrossRegClientData, kCrossAttestation).error(),
            ApprovalsErrc::origin_mismatch);
  EXPECT_EQ(register_vector(kTopRegChallenge, kTopRegClientData, kTopAttestation).error(),
            ApprovalsErrc::origin_mismatch);
}

TEST(W3cVectors, OtherRelyingPartyIsRefused) {
  const WebAuthnSettings other{"example.com", "https://example.org", false};
  EXPECT_EQ(verify_registration(other, from_hex(kNoneRegChallenge), from_hex(kNoneRegClientData),
                                from_hex(kNoneAttestation), kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::rp_id_mismatch);
  const WebAuthnSettings other_origin{"example.org", "https://example.org:443", false};
  EXPECT_EQ(
      verify_registration(other_origin, from_hex(kNoneRegChallenge), from_hex(kNoneRegClientData),
                          from_hex(kNoneAttestation), kWebAuthnTestNow)
          .error(),
      ApprovalsErrc::origin_mismatch);
}

TEST(W3cVectors, CoseKeysRoundTripThroughOpenSsl) {
  for (const char* hex : {kNoneCoseKey, kEdCoseKey}) {
    auto key = parse_cose_public_key(from_hex(hex));
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(encode_cose_public_key(key->key.get()).value(), from_hex(hex));
  }
}

}  // namespace
}  // namespace jit::approvals
