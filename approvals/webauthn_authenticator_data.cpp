#include "approvals/webauthn_authenticator_data.hpp"

#include "approvals/digest.hpp"
#include "approvals/webauthn_cbor.hpp"

#include <algorithm>

namespace jit::approvals {
namespace {

bool read_array(ca::ByteReader& reader, std::span<std::byte> out) {
  ca::ByteView view;
  if (!reader.bytes(out.size(), view)) return false;
  std::copy(view.begin(), view.end(), out.begin());
  return true;
}

// The next CBOR item of `reader`, whose length only the CBOR walk can tell.
bool read_cbor_item(ca::ByteReader& reader, ca::Bytes& out) {
  auto extent = cbor_item_extent(reader.rest());
  ca::ByteView view;
  if (!extent || !reader.bytes(*extent, view)) return false;
  out.assign(view.begin(), view.end());
  return true;
}

}  // namespace

Result<AuthenticatorData> parse_authenticator_data(ca::ByteView data) {
  if (data.size() > kMaxAuthenticatorDataBytes) return ApprovalsErrc::invalid_input;
  ca::ByteReader reader(data);
  AuthenticatorData parsed;
  if (!read_array(reader, parsed.rp_id_hash) || !reader.u8(parsed.flags) ||
      !reader.u32(parsed.sign_count)) {
    return ApprovalsErrc::invalid_input;
  }
  // Backup state without backup eligibility is a contradiction the spec tells RPs to refuse.
  if (parsed.has(kFlagBackupState) && !parsed.has(kFlagBackupEligible)) {
    return ApprovalsErrc::invalid_input;
  }
  if (parsed.has(kFlagAttestedData)) {
    AttestedCredentialData attested;
    std::uint16_t id_length = 0;
    ca::ByteView id;
    if (!read_array(reader, attested.aaguid) || !reader.u16(id_length) || id_length == 0 ||
        id_length > kMaxCredentialIdBytes || !reader.bytes(id_length, id)) {
      return ApprovalsErrc::invalid_input;
    }
    attested.credential_id.assign(id.begin(), id.end());
    if (!read_cbor_item(reader, attested.credential_public_key)) {
      return ApprovalsErrc::invalid_input;
    }
    parsed.attested = std::move(attested);
  }
  if (parsed.has(kFlagExtensionData)) {
    if (!read_cbor_item(reader, parsed.extensions)) return ApprovalsErrc::invalid_input;
    // Extensions are a map; its contents are not used, but its type is part of the format.
    if (std::to_integer<unsigned>(parsed.extensions.front()) >> 5 != 5) {
      return ApprovalsErrc::invalid_input;
    }
  }
  if (!reader.empty()) return ApprovalsErrc::invalid_input;
  return parsed;
}

Result<void> check_relying_party_and_user(const AuthenticatorData& data,
                                          const WebAuthnSettings& settings) {
  auto rp_id_hash = sha256(ca::as_bytes(settings.rp_id));
  if (!rp_id_hash) return rp_id_hash.error();
  if (!ca::constant_time_equal(data.rp_id_hash, *rp_id_hash)) return ApprovalsErrc::rp_id_mismatch;
  if (!data.has(kFlagUserPresent)) return ApprovalsErrc::user_not_present;
  if (settings.require_uv && !data.has(kFlagUserVerified)) return ApprovalsErrc::user_not_verified;
  return {};
}

}  // namespace jit::approvals
