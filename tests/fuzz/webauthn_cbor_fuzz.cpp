// WebAuthn's binary inputs from hostile bytes: each input goes to the CBOR layer (our bounded
// pre-walk, then libcbor), the authenticatorData parser, the COSE_Key parser and, as an
// attestationObject, the whole registration check (approvals/webauthn_registration) against the
// W3C "packed self-attestation ES256" test vector's clientDataJSON and challenge, so the vector's
// attestation objects (tests/fuzz/corpus) pass every step and mutations reach each one.
// Properties: an accepted COSE_Key encodes back to a key that parses to the same algorithm;
// accepted authenticatorData is self-consistent.
#include "approvals/webauthn_authenticator_data.hpp"
#include "approvals/webauthn_cbor.hpp"
#include "approvals/webauthn_cose.hpp"
#include "approvals/webauthn_registration.hpp"
#include "support/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

namespace approvals = jit::approvals;
using jit::fuzz::require;

const approvals::WebAuthnSettings kExampleOrg{"example.org", "https://example.org", false};
const approvals::TimePoint kNow = approvals::from_unix_seconds(1700000000);

// W3C WebAuthn Level 3, "Test Vectors", packed self-attestation ES256 (as in
// tests/approvals/webauthn_vectors_test.cpp).
constexpr std::string_view kClientDataJson =
    R"({"type":"webauthn.create","challenge":"eGnCt3LUtY66k3jPjynibPk1qnffDaifqZwL3Ap29-U",)"
    R"("origin":"https://example.org","crossOrigin":false,"extraData":"clientDataJSON may be )"
    R"(extended with additional fields in the future, such as this: U9hTXvKE2URkMnb_0xYHVg"})";
constexpr unsigned char kChallenge[] = {
    0x78, 0x69, 0xc2, 0xb7, 0x72, 0xd4, 0xb5, 0x8e, 0xba, 0x93, 0x78, 0xcf, 0x8f, 0x29, 0xe2, 0x6c,
    0xf9, 0x35, 0xaa, 0x77, 0xdf, 0x0d, 0xa8, 0x9f, 0xa9, 0x9c, 0x0b, 0xdc, 0x0a, 0x76, 0xf7, 0xe5};

jit::ca::ByteView bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

void check_cbor(jit::ca::ByteView input) {
  // What the pre-walk accepts goes to libcbor, whose allocations it must bound (an ASan or malloc
  // limit report otherwise). libcbor may still refuse it: it also checks UTF-8 in text strings.
  if (const auto extent = approvals::cbor_item_extent(input)) {
    (void)approvals::decode_cbor_exact(input.first(*extent));
  }
}

void check_cose(jit::ca::ByteView input) {
  const auto key = approvals::parse_cose_public_key(input);
  if (!key) return;
  const auto encoded = approvals::encode_cose_public_key(key->key.get());
  require(encoded.has_value(), "an accepted COSE_Key does not encode back");
  const auto again = approvals::parse_cose_public_key(*encoded);
  require(again.has_value() && again->alg == key->alg,
          "a COSE_Key does not survive encoding and parsing");
}

void check_authenticator_data(jit::ca::ByteView input) {
  const auto data = approvals::parse_authenticator_data(input);
  if (!data) return;
  require(data->attested.has_value() == data->has(approvals::kFlagAttestedData),
          "attested credential data present without AT, or AT without it");
  require(data->extensions.empty() != data->has(approvals::kFlagExtensionData),
          "extensions present without ED, or ED without them");
  if (data->attested) check_cose(data->attested->credential_public_key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const jit::ca::ByteView input(reinterpret_cast<const std::byte*>(data), size);
  check_cbor(input);
  check_cose(input);
  check_authenticator_data(input);
  const jit::ca::ByteView challenge(reinterpret_cast<const std::byte*>(kChallenge),
                                    sizeof kChallenge);
  (void)approvals::verify_registration(kExampleOrg, challenge, bytes_of(kClientDataJson), input,
                                       kNow);
  return 0;
}
