// authenticatorData (docs/protocols.md 4.2), parsed with the bounded ByteReader:
//   rpIdHash (32) || flags (1) || signCount (uint32 BE)
//   || [AT] aaguid (16) || credentialIdLength (uint16 BE, 1..1023) || credentialId || COSE_Key
//   || [ED] extensions (a CBOR map)
// and nothing after. The COSE_Key's length is known only by walking its CBOR.
#pragma once

#include "approvals/approvals_error.hpp"
#include "approvals/webauthn_types.hpp"
#include "ca/bytes.hpp"

#include <array>
#include <cstdint>
#include <optional>

namespace jit::approvals {

inline constexpr std::uint8_t kFlagUserPresent = 0x01;
inline constexpr std::uint8_t kFlagUserVerified = 0x04;
inline constexpr std::uint8_t kFlagBackupEligible = 0x08;
inline constexpr std::uint8_t kFlagBackupState = 0x10;
inline constexpr std::uint8_t kFlagAttestedData = 0x40;
inline constexpr std::uint8_t kFlagExtensionData = 0x80;

inline constexpr std::size_t kMaxCredentialIdBytes = 1023;
inline constexpr std::size_t kMaxAuthenticatorDataBytes = 16 * 1024;

struct AttestedCredentialData {
  std::array<std::byte, 16> aaguid{};
  ca::Bytes credential_id;
  ca::Bytes credential_public_key;  // the COSE_Key bytes as sent, parsed by parse_cose_public_key
};

struct AuthenticatorData {
  std::array<std::byte, 32> rp_id_hash{};
  std::uint8_t flags = 0;
  std::uint32_t sign_count = 0;
  std::optional<AttestedCredentialData> attested;  // present exactly when AT is set
  ca::Bytes extensions;                            // the CBOR map, present exactly when ED is set

  [[nodiscard]] bool has(std::uint8_t flag) const noexcept { return (flags & flag) != 0; }
};

// invalid_input: shorter than 37 bytes, bad credential id length, malformed COSE_Key or extension
// CBOR, trailing bytes, or BS set without BE.
[[nodiscard]] Result<AuthenticatorData> parse_authenticator_data(ca::ByteView data);

// What registration and assertion both demand of the authenticator data: the rpIdHash is SHA-256
// of our RP ID, compared in constant time (rp_id_mismatch); UP is set (user_not_present); UV is set
// when the settings require it (user_not_verified).
[[nodiscard]] Result<void> check_relying_party_and_user(const AuthenticatorData& data,
                                                        const WebAuthnSettings& settings);

}  // namespace jit::approvals
