#include "approvals/webauthn_assertion.hpp"

#include "approvals/secure_random.hpp"
#include "approvals/webauthn_registration.hpp"
#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace jit::approvals {
namespace {

using testing::each_authenticator_kind;
using testing::kTestRelyingParty;

using testing::AssertionOptions;
using testing::kWebAuthnTestNow;
using testing::make_client_data;
using testing::SoftwareAuthenticator;

StoredCredential enrol(const SoftwareAuthenticator& authenticator, std::uint32_t sign_count = 0) {
  const ca::Bytes challenge = random_bytes(32).value();
  const ca::Bytes client_data =
      make_client_data("webauthn.create", challenge, kTestRelyingParty.origin);
  testing::RegistrationOptions options;
  options.sign_count = sign_count;
  const RegisteredCredential registered =
      verify_registration(kTestRelyingParty, challenge, client_data,
                          authenticator.attestation_object(client_data, options), kWebAuthnTestNow)
          .value();
  return StoredCredential{registered.id, registered.public_key, registered.alg,
                          registered.sign_count, testing::bytes_of("user-handle-of-alice")};
}

struct Attempt {
  ca::Bytes challenge;
  AssertionResponse response;
};

Attempt sign_in(const SoftwareAuthenticator& authenticator, const AssertionOptions& options = {},
                std::string_view type = "webauthn.get",
                std::string_view origin = kTestRelyingParty.origin) {
  Attempt attempt;
  attempt.challenge = random_bytes(32).value();
  attempt.response.credential_id = authenticator.credential_id();
  attempt.response.client_data_json = make_client_data(type, attempt.challenge, origin);
  auto assertion = authenticator.get_assertion(attempt.response.client_data_json, options);
  attempt.response.authenticator_data = std::move(assertion.authenticator_data);
  attempt.response.signature = std::move(assertion.signature);
  return attempt;
}

Result<AssertionEvidence> verify(const Attempt& attempt, const StoredCredential& credential,
                                 const WebAuthnSettings& settings = kTestRelyingParty) {
  return verify_assertion(settings, attempt.challenge, credential, attempt.response,
                          kWebAuthnTestNow);
}

AssertionOptions with_flags(std::uint8_t flags, std::uint32_t sign_count = 1) {
  AssertionOptions options;
  options.flags = flags;
  options.sign_count = sign_count;
  return options;
}

TEST(Assertion, SucceedsForBothAlgorithms) {
  for (const auto& authenticator : each_authenticator_kind()) {
    const StoredCredential credential = enrol(authenticator);
    auto evidence = verify(sign_in(authenticator), credential);
    ASSERT_TRUE(evidence.has_value()) << evidence.error().message();
    EXPECT_EQ(evidence->credential_id, authenticator.credential_id());
    EXPECT_EQ(evidence->new_sign_count, 1u);
    EXPECT_EQ(evidence->flags, 0x05);
    EXPECT_EQ(evidence->verified_at, kWebAuthnTestNow);
  }
}

TEST(Assertion, SignCountRuleTable) {
  struct Row {
    std::uint32_t stored, received;
    bool accepted;
  };
  const Row table[] = {{0, 0, true},
                       {0, 1, true},
                       {5, 6, true},
                       {5, 5, false},
                       {5, 4, false},
                       {5, 0, false},
                       {0xFFFFFFFE, 0xFFFFFFFF, true},
                       {0xFFFFFFFF, 0xFFFFFFFF, false}};
  for (const Row& row : table) {
    const auto result = check_sign_count(row.stored, row.received);
    if (row.accepted) {
      EXPECT_TRUE(result.has_value()) << row.stored << " " << row.received;
    } else {
      EXPECT_EQ(result.error(), ApprovalsErrc::counter_regressed)
          << row.stored << " " << row.received;
    }
  }
}

TEST(Assertion, CounterGoingBackIsRefusedEndToEnd) {
  const auto authenticator = SoftwareAuthenticator::es256();
  StoredCredential credential = enrol(authenticator, 10);
  EXPECT_EQ(verify(sign_in(authenticator, with_flags(0x05, 10)), credential).error(),
            ApprovalsErrc::counter_regressed);
  EXPECT_EQ(verify(sign_in(authenticator, with_flags(0x05, 3)), credential).error(),
            ApprovalsErrc::counter_regressed);
  auto evidence = verify(sign_in(authenticator, with_flags(0x05, 11)), credential);
  ASSERT_TRUE(evidence.has_value());
  credential.sign_count = evidence->new_sign_count;
  // The clone presents the count the original had already used.
  EXPECT_EQ(verify(sign_in(authenticator, with_flags(0x05, 11)), credential).error(),
            ApprovalsErrc::counter_regressed);
  // An authenticator without a counter (0 then 0) is fine.
  const StoredCredential counterless = enrol(authenticator, 0);
  EXPECT_TRUE(verify(sign_in(authenticator, with_flags(0x05, 0)), counterless).has_value());
}

TEST(Assertion, ClientDataChecks) {
  for (const auto& authenticator : each_authenticator_kind()) {
    const StoredCredential credential = enrol(authenticator);
    EXPECT_EQ(verify(sign_in(authenticator, {}, "webauthn.get", "https://evil.example"), credential)
                  .error(),
              ApprovalsErrc::origin_mismatch);
    EXPECT_EQ(verify(sign_in(authenticator, {}, "webauthn.create"), credential).error(),
              ApprovalsErrc::wrong_ceremony);
    Attempt attempt = sign_in(authenticator);
    attempt.challenge = random_bytes(32).value();
    EXPECT_EQ(verify(attempt, credential).error(), ApprovalsErrc::challenge_mismatch);
    attempt.challenge.clear();
    EXPECT_EQ(verify(attempt, credential).error(), ApprovalsErrc::challenge_mismatch);
  }
}

TEST(Assertion, AuthenticatorDataChecks) {
  for (const auto& authenticator : each_authenticator_kind()) {
    const StoredCredential credential = enrol(authenticator);
    AssertionOptions wrong_rp;
    wrong_rp.rp_id = "evil.example";
    EXPECT_EQ(verify(sign_in(authenticator, wrong_rp), credential).error(),
              ApprovalsErrc::rp_id_mismatch);
    EXPECT_EQ(verify(sign_in(authenticator, with_flags(0x04)), credential).error(),
              ApprovalsErrc::user_not_present);
    WebAuthnSettings require_uv = kTestRelyingParty;
    require_uv.require_uv = true;
    const Attempt presence_only = sign_in(authenticator, with_flags(0x01));
    EXPECT_EQ(verify(presence_only, credential, require_uv).error(),
              ApprovalsErrc::user_not_verified);
    EXPECT_TRUE(verify(presence_only, credential).has_value());
    // AT in an assertion (without the data it announces) and BS without BE.
    EXPECT_EQ(verify(sign_in(authenticator, with_flags(0x45)), credential).error(),
              ApprovalsErrc::invalid_input);
    EXPECT_EQ(verify(sign_in(authenticator, with_flags(0x15)), credential).error(),
              ApprovalsErrc::invalid_input);
  }
}

TEST(Assertion, TamperedClientDataFailsTheSignature) {
  for (const auto& authenticator : each_authenticator_kind()) {
    const StoredCredential credential = enrol(authenticator);
    Attempt attempt = sign_in(authenticator);
    // Same type, challenge and origin: only the signature can notice.
    attempt.response.client_data_json = make_client_data(
        "webauthn.get", attempt.challenge, kTestRelyingParty.origin, false, ",\"x\":1");
    EXPECT_EQ(verify(attempt, credential).error(), ApprovalsErrc::unauthenticated);
  }
}

TEST(Assertion, EveryFlippedSignatureByteFails) {
  for (const auto& authenticator : each_authenticator_kind()) {
    const StoredCredential credential = enrol(authenticator);
    const Attempt attempt = sign_in(authenticator);
    for (std::size_t i = 0; i < attempt.response.signature.size(); ++i) {
      Attempt tampered = attempt;
      tampered.response.signature[i] ^= std::byte{0x01};
      ASSERT_EQ(verify(tampered, credential).error(), ApprovalsErrc::unauthenticated) << i;
    }
    Attempt short_signature = attempt;
    short_signature.response.signature.resize(authenticator.alg() == CoseAlgorithm::eddsa ? 63 : 7);
    EXPECT_EQ(verify(short_signature, credential).error(), ApprovalsErrc::invalid_input);
  }
}

TEST(Assertion, EveryFlippedAuthenticatorDataByteFails) {
  const auto authenticator = SoftwareAuthenticator::eddsa();
  const StoredCredential credential = enrol(authenticator);
  const Attempt attempt = sign_in(authenticator);
  for (std::size_t i = 0; i < attempt.response.authenticator_data.size(); ++i) {
    Attempt tampered = attempt;
    tampered.response.authenticator_data[i] ^= std::byte{0x01};
    const ApprovalsErrc expected = i < 32    ? ApprovalsErrc::rp_id_mismatch
                                   : i == 32 ? ApprovalsErrc::user_not_present
                                             : ApprovalsErrc::unauthenticated;
    ASSERT_EQ(verify(tampered, credential).error(), expected) << i;
  }
}

TEST(Assertion, TruncatedAndTrailingAuthenticatorData) {
  const auto authenticator = SoftwareAuthenticator::es256();
  const StoredCredential credential = enrol(authenticator);
  const Attempt attempt = sign_in(authenticator);
  for (std::size_t length = 0; length < attempt.response.authenticator_data.size(); ++length) {
    Attempt truncated = attempt;
    truncated.response.authenticator_data.resize(length);
    ASSERT_EQ(verify(truncated, credential).error(), ApprovalsErrc::invalid_input) << length;
  }
  Attempt trailing = attempt;
  trailing.response.authenticator_data.push_back(std::byte{0});
  EXPECT_EQ(verify(trailing, credential).error(), ApprovalsErrc::invalid_input);
}

TEST(Assertion, CredentialAndUserHandleMustMatch) {
  const auto authenticator = SoftwareAuthenticator::es256();
  const auto other = SoftwareAuthenticator::es256();
  const StoredCredential credential = enrol(authenticator);
  // The other authenticator's assertion, presented against this stored credential.
  EXPECT_EQ(verify(sign_in(other), credential).error(), ApprovalsErrc::credential_mismatch);
  Attempt with_handle = sign_in(authenticator);
  with_handle.response.user_handle = testing::bytes_of("user-handle-of-alice");
  EXPECT_TRUE(verify(with_handle, credential).has_value());
  with_handle.response.user_handle = testing::bytes_of("user-handle-of-bob");
  EXPECT_EQ(verify(with_handle, credential).error(), ApprovalsErrc::credential_mismatch);
  // The right credential id, but signed by another key: the signature says no.
  Attempt forged = sign_in(other);
  forged.response.credential_id = authenticator.credential_id();
  EXPECT_EQ(verify(forged, credential).error(), ApprovalsErrc::unauthenticated);
}

TEST(Assertion, StoredKeyOfAnotherAlgorithm) {
  const auto authenticator = SoftwareAuthenticator::es256();
  StoredCredential credential = enrol(authenticator);
  credential.alg = CoseAlgorithm::eddsa;  // inconsistent record
  EXPECT_EQ(verify(sign_in(authenticator), credential).error(), ApprovalsErrc::invalid_input);
  credential = enrol(authenticator);
  credential.public_key = authenticator.cose_public_key(-257);
  EXPECT_EQ(verify(sign_in(authenticator), credential).error(), ApprovalsErrc::unsupported);
}

}  // namespace
}  // namespace jit::approvals
