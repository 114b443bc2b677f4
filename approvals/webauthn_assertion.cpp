#include "approvals/webauthn_assertion.hpp"

#include "approvals/digest.hpp"
#include "approvals/webauthn_authenticator_data.hpp"
#include "approvals/webauthn_client_data.hpp"
#include "approvals/webauthn_cose.hpp"

namespace jit::approvals {

Result<void> check_sign_count(std::uint32_t stored, std::uint32_t received) {
  if ((stored != 0 || received != 0) && received <= stored) return ApprovalsErrc::counter_regressed;
  return {};
}

Result<AssertionEvidence> verify_assertion(const WebAuthnSettings& settings,
                                           ca::ByteView expected_challenge,
                                           const StoredCredential& credential,
                                           const AssertionResponse& response, TimePoint now) {
  if (credential.id.empty() || !ca::constant_time_equal(response.credential_id, credential.id)) {
    return ApprovalsErrc::credential_mismatch;
  }
  if (response.user_handle &&
      !ca::constant_time_equal(*response.user_handle, credential.user_handle)) {
    return ApprovalsErrc::credential_mismatch;
  }

  auto client_data = parse_client_data(response.client_data_json);
  if (!client_data) return client_data.error();
  if (auto checked = check_client_data(*client_data, kCeremonyGet, expected_challenge, settings);
      !checked) {
    return checked.error();
  }

  auto auth_data = parse_authenticator_data(response.authenticator_data);
  if (!auth_data) return auth_data.error();
  if (auth_data->attested) return ApprovalsErrc::invalid_input;
  if (auto checked = check_relying_party_and_user(*auth_data, settings); !checked) {
    return checked.error();
  }

  auto key = parse_cose_public_key(credential.public_key);
  if (!key) return key.error();
  if (key->alg != credential.alg) return ApprovalsErrc::invalid_input;
  auto client_data_hash = sha256(response.client_data_json);
  if (!client_data_hash) return client_data_hash.error();
  ca::Bytes signed_message = response.authenticator_data;
  signed_message.insert(signed_message.end(), client_data_hash->begin(), client_data_hash->end());
  if (auto verified = verify_cose_signature(*key, signed_message, response.signature); !verified) {
    return verified.error();
  }

  if (auto counted = check_sign_count(credential.sign_count, auth_data->sign_count); !counted) {
    return counted.error();
  }
  AssertionEvidence evidence;
  evidence.credential_id = credential.id;
  evidence.new_sign_count = auth_data->sign_count;
  evidence.flags = auth_data->flags;
  evidence.verified_at = now;
  return evidence;
}

}  // namespace jit::approvals
