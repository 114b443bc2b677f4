// clientDataJSON (docs/protocols.md 4.5), the browser's record of what was signed, is parsed with
// parse_strict_json (valid UTF-8, no duplicate keys; a leading BOM is dropped as the spec says),
// unknown members are tolerated, and then each expectation is checked.
#pragma once

#include "approvals/approvals_error.hpp"
#include "approvals/webauthn_types.hpp"
#include "ca/bytes.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace jit::approvals {

inline constexpr std::string_view kCeremonyCreate = "webauthn.create";
inline constexpr std::string_view kCeremonyGet = "webauthn.get";
inline constexpr std::size_t kMaxClientDataBytes = 8 * 1024;

struct CollectedClientData {
  std::string type;
  ca::Bytes challenge;  // decoded from base64url
  std::string origin;
  bool cross_origin = false;
  std::optional<std::string> top_origin;
};

// invalid_input: not a JSON object, a required member (type, challenge, origin) missing or of the
// wrong type, a challenge that is not unpadded base64url, crossOrigin not a boolean.
[[nodiscard]] Result<CollectedClientData> parse_client_data(ca::ByteView client_data_json);

// In this order: wrong_ceremony (type), challenge_mismatch (constant-time compare),
// origin_mismatch (origin not exactly ours, crossOrigin true, or any topOrigin).
[[nodiscard]] Result<void> check_client_data(const CollectedClientData& client_data,
                                             std::string_view expected_type,
                                             ca::ByteView expected_challenge,
                                             const WebAuthnSettings& settings);

}  // namespace jit::approvals
