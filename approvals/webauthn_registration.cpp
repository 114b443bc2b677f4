#include "approvals/webauthn_registration.hpp"

#include "approvals/digest.hpp"
#include "approvals/webauthn_authenticator_data.hpp"
#include "approvals/webauthn_cbor.hpp"
#include "approvals/webauthn_client_data.hpp"
#include "approvals/webauthn_cose.hpp"

namespace jit::approvals {
namespace {

struct AttestationObject {
  std::string_view fmt;
  const cbor_item_t* statement = nullptr;
  ca::ByteView auth_data;
};

Result<AttestationObject> read_attestation_object(const cbor_item_t* root) {
  if (!cbor_isa_map(root) || cbor_map_size(root) != 3) return ApprovalsErrc::invalid_input;
  AttestationObject object;
  const auto fmt = cbor_text_value(cbor_map_find_text(root, "fmt"));
  const auto auth_data = cbor_bytes_value(cbor_map_find_text(root, "authData"));
  object.statement = cbor_map_find_text(root, "attStmt");
  if (!fmt || !auth_data || object.statement == nullptr || !cbor_isa_map(object.statement)) {
    return ApprovalsErrc::invalid_input;
  }
  object.fmt = *fmt;
  object.auth_data = *auth_data;
  return object;
}

// "packed" without x5c: the credential key signs authData || SHA-256(clientDataJSON) itself.
Result<void> check_packed_self(const cbor_item_t* statement, const CosePublicKey& key,
                               ca::ByteView signed_message) {
  if (cbor_map_find_text(statement, "x5c") != nullptr ||
      cbor_map_find_text(statement, "ecdaaKeyId") != nullptr) {
    return ApprovalsErrc::unsupported;  // attestation by a certificate chain: not offered
  }
  const auto alg = cbor_int_value(cbor_map_find_text(statement, "alg"));
  const auto sig = cbor_bytes_value(cbor_map_find_text(statement, "sig"));
  if (cbor_map_size(statement) != 2 || !alg || !sig || *alg != static_cast<int>(key.alg)) {
    return ApprovalsErrc::invalid_input;
  }
  return verify_cose_signature(key, signed_message, *sig);
}

}  // namespace

Result<RegisteredCredential> verify_registration(const WebAuthnSettings& settings,
                                                 ca::ByteView expected_challenge,
                                                 ca::ByteView client_data_json,
                                                 ca::ByteView attestation_object, TimePoint now) {
  auto client_data = parse_client_data(client_data_json);
  if (!client_data) return client_data.error();
  if (auto checked = check_client_data(*client_data, kCeremonyCreate, expected_challenge, settings);
      !checked) {
    return checked.error();
  }

  if (attestation_object.size() > kMaxAttestationObjectBytes) return ApprovalsErrc::invalid_input;
  auto root = decode_cbor_exact(attestation_object);
  if (!root) return root.error();
  auto object = read_attestation_object(root->get());
  if (!object) return object.error();
  const bool packed = object->fmt == "packed";
  if (object->fmt != "none" && !packed) return ApprovalsErrc::unsupported;

  auto auth_data = parse_authenticator_data(object->auth_data);
  if (!auth_data) return auth_data.error();
  if (auto checked = check_relying_party_and_user(*auth_data, settings); !checked) {
    return checked.error();
  }
  if (!auth_data->attested) return ApprovalsErrc::invalid_input;

  auto key = parse_cose_public_key(auth_data->attested->credential_public_key);
  if (!key) return key.error();

  RegisteredCredential credential;
  if (packed) {
    auto client_data_hash = sha256(client_data_json);
    if (!client_data_hash) return client_data_hash.error();
    ca::Bytes signed_message(object->auth_data.begin(), object->auth_data.end());
    signed_message.insert(signed_message.end(), client_data_hash->begin(), client_data_hash->end());
    if (auto checked = check_packed_self(object->statement, *key, signed_message); !checked) {
      return checked.error();
    }
    credential.attestation = AttestationKind::self;
  } else {
    if (cbor_map_size(object->statement) != 0) return ApprovalsErrc::invalid_input;
    credential.attestation = AttestationKind::none;
  }

  auto stored_key = encode_cose_public_key(key->key.get());
  if (!stored_key) return stored_key.error();
  credential.id = std::move(auth_data->attested->credential_id);
  credential.public_key = std::move(*stored_key);
  credential.alg = key->alg;
  credential.sign_count = auth_data->sign_count;
  credential.aaguid = auth_data->attested->aaguid;
  credential.flags = auth_data->flags;
  credential.registered_at = now;
  return credential;
}

}  // namespace jit::approvals
