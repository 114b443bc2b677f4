// Seeded random mutations of valid WebAuthn inputs: every parser must refuse them cleanly (no
// crash, no sanitizer report under the asan preset) and no mutation may verify. A fixed seed keeps
// the run reproducible; the iteration counts keep the whole binary within seconds.
#include "approvals/secure_random.hpp"
#include "approvals/webauthn_assertion.hpp"
#include "approvals/webauthn_authenticator_data.hpp"
#include "approvals/webauthn_cbor.hpp"
#include "approvals/webauthn_client_data.hpp"
#include "approvals/webauthn_cose.hpp"
#include "approvals/webauthn_registration.hpp"
#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

#include <random>

namespace jit::approvals {
namespace {

using testing::kTestRelyingParty;
using testing::kWebAuthnTestNow;

using testing::make_client_data;
using testing::SoftwareAuthenticator;

ca::Bytes mutate(const ca::Bytes& input, std::mt19937& rng) {
  ca::Bytes out = input;
  std::uniform_int_distribution<int> kind(0, 4);
  std::uniform_int_distribution<int> byte(0, 255);
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !out.empty(); ++e) {
    const std::size_t at = rng() % out.size();
    switch (kind(rng)) {
      case 0:
        out[at] ^= static_cast<std::byte>(1U << (rng() % 8));
        break;
      case 1:
        out[at] = static_cast<std::byte>(byte(rng));
        break;
      case 2:
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), std::byte(byte(rng)));
        break;
      case 3:
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(at));
        break;
      default:
        out.resize(at);
        break;
    }
  }
  return out;
}

TEST(WebAuthnFuzz, MutatedAttestationObjectsNeverVerify) {
  std::mt19937 rng(20240601);
  for (const auto& authenticator :
       {SoftwareAuthenticator::es256(), SoftwareAuthenticator::eddsa()}) {
    const ca::Bytes challenge = random_bytes(32).value();
    const ca::Bytes client_data =
        make_client_data("webauthn.create", challenge, kTestRelyingParty.origin);
    testing::RegistrationOptions options;
    options.fmt = "packed";
    const ca::Bytes valid = authenticator.attestation_object(client_data, options);
    ASSERT_TRUE(
        verify_registration(kTestRelyingParty, challenge, client_data, valid, kWebAuthnTestNow));
    for (int i = 0; i < 1500; ++i) {
      const ca::Bytes mutated = mutate(valid, rng);
      if (mutated == valid) continue;
      EXPECT_FALSE(
          verify_registration(kTestRelyingParty, challenge, client_data, mutated, kWebAuthnTestNow))
          << i;
    }
  }
}

TEST(WebAuthnFuzz, MutatedAssertionsNeverVerify) {
  std::mt19937 rng(7);
  const auto authenticator = SoftwareAuthenticator::eddsa();
  const StoredCredential credential{
      authenticator.credential_id(), authenticator.cose_public_key(), authenticator.alg(), 0, {}};
  const ca::Bytes challenge = random_bytes(32).value();
  AssertionResponse valid;
  valid.credential_id = authenticator.credential_id();
  valid.client_data_json = make_client_data("webauthn.get", challenge, kTestRelyingParty.origin);
  auto assertion = authenticator.get_assertion(valid.client_data_json, {});
  valid.authenticator_data = assertion.authenticator_data;
  valid.signature = assertion.signature;
  ASSERT_TRUE(verify_assertion(kTestRelyingParty, challenge, credential, valid, kWebAuthnTestNow));
  for (int i = 0; i < 1500; ++i) {
    AssertionResponse mutated = valid;
    switch (i % 3) {
      case 0:
        mutated.client_data_json = mutate(valid.client_data_json, rng);
        break;
      case 1:
        mutated.authenticator_data = mutate(valid.authenticator_data, rng);
        break;
      default:
        mutated.signature = mutate(valid.signature, rng);
        break;
    }
    if (mutated.client_data_json == valid.client_data_json &&
        mutated.authenticator_data == valid.authenticator_data &&
        mutated.signature == valid.signature) {
      continue;
    }
    EXPECT_FALSE(
        verify_assertion(kTestRelyingParty, challenge, credential, mutated, kWebAuthnTestNow))
        << i;
  }
}

TEST(WebAuthnFuzz, RandomBytesThroughEveryParser) {
  std::mt19937 rng(99);
  for (int i = 0; i < 3000; ++i) {
    ca::Bytes input(rng() % 160);
    for (auto& b : input) b = static_cast<std::byte>(rng());
    // Half the inputs start with a map head, so the walk gets past the first byte.
    if (!input.empty() && i % 2 == 0)
      input[0] = std::byte{static_cast<unsigned char>(0xA0 + rng() % 6)};
    const auto extent = cbor_item_extent(input);
    const auto decoded = decode_cbor_exact(input);
    // libcbor only ever sees what the bounded walk accepted as one whole item.
    if (decoded) {
      EXPECT_EQ(extent.value(), input.size()) << i;
    }
    (void)parse_cose_public_key(input);
    (void)parse_authenticator_data(input);
    EXPECT_FALSE(parse_client_data(input)) << i;
  }
}

}  // namespace
}  // namespace jit::approvals
