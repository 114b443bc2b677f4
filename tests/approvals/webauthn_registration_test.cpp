#include "approvals/webauthn_registration.hpp"

#include "approvals/secure_random.hpp"
#include "approvals/webauthn_cose.hpp"
#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace jit::approvals {
namespace {

using testing::each_authenticator_kind;
using testing::kTestRelyingParty;

using testing::bytes_of;
using testing::kWebAuthnTestNow;
using testing::make_client_data;
using testing::RegistrationOptions;
using testing::SoftwareAuthenticator;

struct Ceremony {
  ca::Bytes challenge;
  ca::Bytes client_data;
  ca::Bytes attestation;
};

Ceremony make(const SoftwareAuthenticator& authenticator, const RegistrationOptions& options = {},
              std::string_view type = "webauthn.create",
              std::string_view origin = kTestRelyingParty.origin, bool cross_origin = false) {
  Ceremony ceremony;
  ceremony.challenge = random_bytes(32).value();
  ceremony.client_data = make_client_data(type, ceremony.challenge, origin, cross_origin);
  ceremony.attestation = authenticator.attestation_object(ceremony.client_data, options);
  return ceremony;
}

Result<RegisteredCredential> verify(const Ceremony& ceremony,
                                    const WebAuthnSettings& settings = kTestRelyingParty) {
  return verify_registration(settings, ceremony.challenge, ceremony.client_data,
                             ceremony.attestation, kWebAuthnTestNow);
}

RegistrationOptions with_fmt(std::string fmt) {
  RegistrationOptions options;
  options.fmt = std::move(fmt);
  return options;
}

TEST(Registration, NoneAndPackedSelfForBothAlgorithms) {
  for (const auto& authenticator : each_authenticator_kind()) {
    for (const char* fmt : {"none", "packed"}) {
      SCOPED_TRACE(std::string(fmt) + " " + std::to_string(static_cast<int>(authenticator.alg())));
      RegistrationOptions options = with_fmt(fmt);
      options.sign_count = 7;
      auto credential = verify(make(authenticator, options));
      ASSERT_TRUE(credential.has_value()) << credential.error().message();
      EXPECT_EQ(credential->id, authenticator.credential_id());
      EXPECT_EQ(credential->alg, authenticator.alg());
      // libcbor wrote canonical CBOR, so the stored form is byte for byte the authenticator's.
      EXPECT_EQ(credential->public_key, authenticator.cose_public_key());
      EXPECT_EQ(credential->sign_count, 7u);
      EXPECT_EQ(credential->flags, 0x45);
      EXPECT_EQ(credential->attestation,
                std::string_view(fmt) == "none" ? AttestationKind::none : AttestationKind::self);
      EXPECT_EQ(credential->registered_at, kWebAuthnTestNow);
      // The stored key is the authenticator's key.
      auto parsed = parse_cose_public_key(credential->public_key);
      ASSERT_TRUE(parsed.has_value());
      EXPECT_EQ(EVP_PKEY_eq(parsed->key.get(), authenticator.key()), 1);
    }
  }
}

TEST(Registration, ClientDataChecks) {
  const auto authenticator = SoftwareAuthenticator::es256();
  EXPECT_EQ(verify(make(authenticator, {}, "webauthn.create", "https://evil.example")).error(),
            ApprovalsErrc::origin_mismatch);
  EXPECT_EQ(verify(make(authenticator, {}, "webauthn.create", "https://localhost:8444")).error(),
            ApprovalsErrc::origin_mismatch);
  EXPECT_EQ(
      verify(make(authenticator, {}, "webauthn.create", kTestRelyingParty.origin, true)).error(),
      ApprovalsErrc::origin_mismatch);
  EXPECT_EQ(verify(make(authenticator, {}, "webauthn.get")).error(), ApprovalsErrc::wrong_ceremony);
  Ceremony other = make(authenticator);
  other.challenge = random_bytes(32).value();
  EXPECT_EQ(verify(other).error(), ApprovalsErrc::challenge_mismatch);
}

TEST(Registration, AuthenticatorDataChecks) {
  for (const auto& authenticator : each_authenticator_kind()) {
    RegistrationOptions wrong_rp;
    wrong_rp.rp_id = "evil.example";
    EXPECT_EQ(verify(make(authenticator, wrong_rp)).error(), ApprovalsErrc::rp_id_mismatch);

    RegistrationOptions no_up;
    no_up.flags = 0x44;  // UV | AT
    EXPECT_EQ(verify(make(authenticator, no_up)).error(), ApprovalsErrc::user_not_present);

    RegistrationOptions no_uv;
    no_uv.flags = 0x41;  // UP | AT
    WebAuthnSettings require_uv = kTestRelyingParty;
    require_uv.require_uv = true;
    const Ceremony ceremony = make(authenticator, no_uv);
    EXPECT_EQ(verify(ceremony, require_uv).error(), ApprovalsErrc::user_not_verified);
    EXPECT_TRUE(verify(ceremony).has_value());

    RegistrationOptions backup_state_alone;
    backup_state_alone.flags = 0x55;  // BS without BE
    EXPECT_EQ(verify(make(authenticator, backup_state_alone)).error(),
              ApprovalsErrc::invalid_input);

    RegistrationOptions no_attested_flag;
    no_attested_flag.flags = 0x05;  // the credential data is there but AT says it is not
    EXPECT_EQ(verify(make(authenticator, no_attested_flag)).error(), ApprovalsErrc::invalid_input);
  }
}

TEST(Registration, CredentialIdLengthLimit) {
  const auto longest = SoftwareAuthenticator::es256(1023);
  EXPECT_TRUE(verify(make(longest)).has_value());
  const auto too_long = SoftwareAuthenticator::es256(1024);
  EXPECT_EQ(verify(make(too_long)).error(), ApprovalsErrc::invalid_input);
  RegistrationOptions empty_id;
  empty_id.credential_id = ca::Bytes{};
  EXPECT_EQ(verify(make(SoftwareAuthenticator::es256(), empty_id)).error(),
            ApprovalsErrc::invalid_input);
}

TEST(Registration, UnsupportedAlgorithmsAndFormats) {
  const auto es256 = SoftwareAuthenticator::es256();
  const auto eddsa = SoftwareAuthenticator::eddsa();
  for (std::int64_t alg : {-257, -35, -36, -37, -47, 1}) {
    RegistrationOptions options;
    options.cose_alg = alg;
    EXPECT_EQ(verify(make(es256, options)).error(), ApprovalsErrc::unsupported) << alg;
  }
  // An EC2 key that claims EdDSA, and an OKP key that claims ES256.
  RegistrationOptions claims_eddsa;
  claims_eddsa.cose_alg = -8;
  EXPECT_EQ(verify(make(es256, claims_eddsa)).error(), ApprovalsErrc::unsupported);
  RegistrationOptions claims_es256;
  claims_es256.cose_alg = -7;
  EXPECT_EQ(verify(make(eddsa, claims_es256)).error(), ApprovalsErrc::unsupported);

  for (const char* fmt : {"fido-u2f", "tpm", "android-key", "android-safetynet", "apple", ""}) {
    EXPECT_EQ(verify(make(es256, with_fmt(fmt))).error(), ApprovalsErrc::unsupported) << fmt;
  }
  RegistrationOptions x5c = with_fmt("packed");
  x5c.packed_x5c = true;
  EXPECT_EQ(verify(make(es256, x5c)).error(), ApprovalsErrc::unsupported);
}

TEST(Registration, MalformedStatements) {
  const auto authenticator = SoftwareAuthenticator::es256();
  RegistrationOptions none_with_member;
  none_with_member.extra_none_member = true;
  EXPECT_EQ(verify(make(authenticator, none_with_member)).error(), ApprovalsErrc::invalid_input);
  RegistrationOptions wrong_statement_alg = with_fmt("packed");
  wrong_statement_alg.statement_alg = -8;
  EXPECT_EQ(verify(make(authenticator, wrong_statement_alg)).error(), ApprovalsErrc::invalid_input);
}

TEST(Registration, PackedSignatureCoversClientData) {
  for (const auto& authenticator : each_authenticator_kind()) {
    Ceremony ceremony = make(authenticator, with_fmt("packed"));
    // The same challenge and origin, but a clientDataJSON the authenticator did not sign.
    ceremony.client_data = make_client_data("webauthn.create", ceremony.challenge,
                                            kTestRelyingParty.origin, false, ",\"extra\":\"x\"");
    EXPECT_EQ(verify(ceremony).error(), ApprovalsErrc::unauthenticated);
  }
}

TEST(Registration, EveryTruncationIsInvalidInput) {
  for (const auto& authenticator : each_authenticator_kind()) {
    const Ceremony ceremony = make(authenticator, with_fmt("packed"));
    for (std::size_t length = 0; length < ceremony.attestation.size(); ++length) {
      Ceremony truncated = ceremony;
      truncated.attestation.resize(length);
      ASSERT_EQ(verify(truncated).error(), ApprovalsErrc::invalid_input) << length;
    }
  }
}

TEST(Registration, TrailingBytesDuplicateAndExtraKeys) {
  const auto authenticator = SoftwareAuthenticator::es256();
  Ceremony ceremony = make(authenticator);
  ASSERT_EQ(std::to_integer<int>(ceremony.attestation[0]), 0xA3);

  Ceremony trailing = ceremony;
  trailing.attestation.push_back(std::byte{0x00});
  EXPECT_EQ(verify(trailing).error(), ApprovalsErrc::invalid_input);

  Ceremony duplicate = ceremony;  // a fourth pair: "fmt": "none" again
  duplicate.attestation[0] = std::byte{0xA4};
  const ca::Bytes fmt_again = testing::from_hex("63666d74646e6f6e65");
  duplicate.attestation.insert(duplicate.attestation.end(), fmt_again.begin(), fmt_again.end());
  EXPECT_EQ(verify(duplicate).error(), ApprovalsErrc::invalid_input);

  Ceremony extra = ceremony;  // a fourth pair: "xyz": 0
  extra.attestation[0] = std::byte{0xA4};
  const ca::Bytes xyz = testing::from_hex("6378797a00");
  extra.attestation.insert(extra.attestation.end(), xyz.begin(), xyz.end());
  EXPECT_EQ(verify(extra).error(), ApprovalsErrc::invalid_input);

  // Bytes inside authData after the COSE key: junk, or an extension map that ED does not announce.
  for (const char* suffix : {"00", "a0"}) {
    RegistrationOptions options = with_fmt("packed");
    options.authenticator_data_suffix = testing::from_hex(suffix);
    EXPECT_EQ(verify(make(authenticator, options)).error(), ApprovalsErrc::invalid_input) << suffix;
  }
  // With ED set, an extension map is accepted, and anything else is not.
  RegistrationOptions extensions = with_fmt("packed");
  extensions.flags = 0xC5;
  extensions.authenticator_data_suffix = testing::from_hex("a1696372656450726f7073f5");
  EXPECT_TRUE(verify(make(authenticator, extensions)).has_value());
  extensions.authenticator_data_suffix = testing::from_hex("8100");
  EXPECT_EQ(verify(make(authenticator, extensions)).error(), ApprovalsErrc::invalid_input);
}

TEST(Registration, EveryFlippedByteOfAPackedAttestationFails) {
  for (const auto& authenticator : each_authenticator_kind()) {
    const Ceremony ceremony = make(authenticator, with_fmt("packed"));
    const std::set<ApprovalsErrc> expected = {
        ApprovalsErrc::invalid_input, ApprovalsErrc::unsupported, ApprovalsErrc::unauthenticated,
        ApprovalsErrc::rp_id_mismatch, ApprovalsErrc::user_not_present};
    for (std::size_t i = 0; i < ceremony.attestation.size(); ++i) {
      Ceremony flipped = ceremony;
      flipped.attestation[i] ^= std::byte{0x01};
      auto result = verify(flipped);
      ASSERT_TRUE(result.has_error()) << i;
      EXPECT_TRUE(expected.contains(static_cast<ApprovalsErrc>(result.error().value())))
          << i << " " << result.error().message();
    }
  }
}

TEST(Registration, GarbageClientData) {
  const auto authenticator = SoftwareAuthenticator::es256();
  Ceremony ceremony = make(authenticator);
  for (std::string text :
       {std::string(""), std::string("[]"), std::string("{\"type\":\"webauthn.create\"}"),
        std::string("{\"type\":1,\"challenge\":\"AA\",\"origin\":\"o\"}"),
        std::string(
            "{\"type\":\"webauthn.create\",\"type\":\"webauthn.create\",\"challenge\":\"AA\","
            "\"origin\":\"o\"}"),
        std::string("{\"type\":\"webauthn.create\",\"challenge\":\"AA==\",\"origin\":\"o\"}"),
        std::string("{\"type\":\"webauthn.create\",\"challenge\":\"AA\",\"origin\":\"o\","
                    "\"crossOrigin\":\"false\"}"),
        std::string("{\"type\":\"webauthn.create\",\"challenge\":\"AA\",\"origin\":\"\xFF\"}")}) {
    ceremony.client_data = bytes_of(text);
    EXPECT_EQ(verify(ceremony).error(), ApprovalsErrc::invalid_input) << text;
  }
}

TEST(Registration, ByteOrderMarkIsDropped) {
  const auto authenticator = SoftwareAuthenticator::es256();
  Ceremony ceremony = make(authenticator);
  ca::Bytes with_bom = testing::from_hex("efbbbf");
  with_bom.insert(with_bom.end(), ceremony.client_data.begin(), ceremony.client_data.end());
  ceremony.client_data = with_bom;
  EXPECT_TRUE(verify(ceremony).has_value());
}

}  // namespace
}  // namespace jit::approvals
