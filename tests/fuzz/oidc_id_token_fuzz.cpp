// ID tokens and key sets from hostile bytes (approvals/oidc_id_token): the input is parsed as a
// JWKS and verified as an ID token against a fixed key set (a P-256 key, the curve's generator).
// Properties: every key a parsed set holds is of a type we verify with and has an OpenSSL key; a
// token that verifies carries the expected issuer and client, and is not expired.
#include "approvals/oidc_id_token.hpp"
#include "support/fuzz_check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

namespace approvals = jit::approvals;
using jit::fuzz::require;

constexpr std::string_view kFuzzJwks =
    R"({"keys":[{"kty":"EC","crv":"P-256","kid":"g","alg":"ES256",)"
    R"("x":"axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY",)"
    R"("y":"T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"}]})";

const approvals::JsonWebKeySet& fuzz_key_set() {
  static const approvals::JsonWebKeySet keys = approvals::parse_json_web_key_set(kFuzzJwks).value();
  return keys;
}

approvals::IdTokenExpectations fuzz_expectations() {
  approvals::IdTokenExpectations expected;
  expected.issuer = "https://idp.example.test";
  expected.client_id = "jit-broker";
  expected.nonce = "n-1";
  expected.algorithms = {"RS256", "ES256", "EdDSA"};
  expected.now = 1'800'000'000;
  expected.clock_skew_seconds = 60;
  return expected;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto set = approvals::parse_json_web_key_set(input)) {
    for (const auto& key : set->keys) {
      require(key.key != nullptr, "a parsed JWK without an OpenSSL key");
      require(key.kty == "RSA" || key.kty == "EC" || key.kty == "OKP",
              "a JWK of a type we do not verify with was kept");
    }
  }
  (void)approvals::id_token_key_id(input);
  static const approvals::IdTokenExpectations expected = fuzz_expectations();
  if (const auto claims = approvals::verify_id_token(input, fuzz_key_set(), expected)) {
    require(claims->issuer == expected.issuer, "a token of another issuer verified");
    require(std::find(claims->audience.begin(), claims->audience.end(), expected.client_id) !=
                claims->audience.end(),
            "a token for another client verified");
    require(expected.now < claims->expires_at + expected.clock_skew_seconds,
            "an expired token verified");
  }
  return 0;
}
