// clientDataJSON from hostile bytes (approvals/webauthn_client_data): parsed, then checked against
// both ceremonies with the W3C test vectors' origin and the challenge of the "none ES256"
// registration vector. Property: a check that passes means exactly what it promises: the type,
// challenge and origin are the expected ones, not cross-origin, and no topOrigin.
#include "approvals/webauthn_client_data.hpp"
#include "support/fuzz_check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

namespace approvals = jit::approvals;
using jit::fuzz::require;

const approvals::WebAuthnSettings kExampleOrg{"example.org", "https://example.org", false};

// base64url "AMMPt4UxxGTStncdq417YDwBFi8vpIa-pw8oOuVW4TA" (W3C vector none-es256, registration).
constexpr unsigned char kChallenge[] = {
    0x00, 0xc3, 0x0f, 0xb7, 0x85, 0x31, 0xc4, 0x64, 0xd2, 0xb6, 0x77, 0x1d, 0xab, 0x8d, 0x7b, 0x60,
    0x3c, 0x01, 0x16, 0x2f, 0x2f, 0xa4, 0x86, 0xbe, 0xa7, 0x0f, 0x28, 0x3a, 0xe5, 0x56, 0xe1, 0x30};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const jit::ca::ByteView input(reinterpret_cast<const std::byte*>(data), size);
  const auto client_data = approvals::parse_client_data(input);
  if (!client_data) return 0;
  const jit::ca::ByteView challenge(reinterpret_cast<const std::byte*>(kChallenge),
                                    sizeof kChallenge);
  for (const std::string_view ceremony : {approvals::kCeremonyCreate, approvals::kCeremonyGet}) {
    if (!approvals::check_client_data(*client_data, ceremony, challenge, kExampleOrg)) continue;
    require(client_data->type == ceremony, "a clientDataJSON of another type passed the check");
    require(std::equal(client_data->challenge.begin(), client_data->challenge.end(),
                       challenge.begin(), challenge.end()),
            "a clientDataJSON with another challenge passed the check");
    require(client_data->origin == kExampleOrg.origin && !client_data->cross_origin &&
                !client_data->top_origin.has_value(),
            "a clientDataJSON from another origin passed the check");
  }
  return 0;
}
