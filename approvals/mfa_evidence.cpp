#include "approvals/mfa_evidence.hpp"

#include "approvals/webauthn_authenticator_data.hpp"
#include "approvals/webauthn_client_data.hpp"

#include <limits>
#include <optional>

namespace jit::approvals {
namespace {

std::optional<std::uint64_t> unsigned_member(const boost::json::object& object,
                                             std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_uint64()) return value->get_uint64();
  if (value->is_int64() && value->get_int64() >= 0) {
    return static_cast<std::uint64_t>(value->get_int64());
  }
  return std::nullopt;
}

// A non-empty base64url member of at most `max` decoded bytes.
bool bytes_member(const boost::json::object& object, std::string_view key, std::size_t max,
                  ca::Bytes& out) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return false;
  const boost::json::string& text = value->get_string();
  if (text.empty() || text.size() > (max * 4 + 2) / 3) return false;
  return ca::base64url_decode_unpadded(std::string_view(text.data(), text.size()), out) &&
         !out.empty() && out.size() <= max;
}

// The "assertion" member: exactly the four fields, each bounded like the API's `mfa` input.
std::optional<StoredAssertion> stored_assertion(const boost::json::value& json) {
  const boost::json::object* object = json.if_object();
  if (object == nullptr || object->size() != 4) return std::nullopt;
  StoredAssertion out;
  if (!bytes_member(*object, "authenticator_data", kMaxAuthenticatorDataBytes,
                    out.authenticator_data) ||
      !bytes_member(*object, "client_data_json", kMaxClientDataBytes, out.client_data_json) ||
      !bytes_member(*object, "signature", 512, out.signature) ||
      !bytes_member(*object, "approval_nonce", 64, out.approval_nonce)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

MfaEvidence totp_evidence(std::uint64_t step, TimePoint now) {
  MfaEvidence evidence;
  evidence.factor = MfaFactor::totp;
  evidence.totp_step = step;
  evidence.verified_at = now;
  return evidence;
}

MfaEvidence webauthn_evidence(const AssertionEvidence& assertion) {
  MfaEvidence evidence;
  evidence.factor = MfaFactor::webauthn;
  evidence.credential_id = assertion.credential_id;
  evidence.sign_count = assertion.new_sign_count;
  evidence.verified_at = assertion.verified_at;
  return evidence;
}

boost::json::object mfa_evidence_to_json(const MfaEvidence& evidence) {
  boost::json::object json;
  if (evidence.factor == MfaFactor::totp) {
    json["factor"] = "totp";
    json["totp_step"] = evidence.totp_step;
  } else {
    json["factor"] = "webauthn";
    json["credential_id"] = ca::base64url_encode_unpadded(evidence.credential_id);
    json["sign_count"] = evidence.sign_count;
    if (evidence.assertion) {
      const auto& signed_ = *evidence.assertion;
      json["assertion"] = boost::json::object{
          {"authenticator_data", ca::base64url_encode_unpadded(signed_.authenticator_data)},
          {"client_data_json", ca::base64url_encode_unpadded(signed_.client_data_json)},
          {"signature", ca::base64url_encode_unpadded(signed_.signature)},
          {"approval_nonce", ca::base64url_encode_unpadded(signed_.approval_nonce)}};
    }
  }
  json["verified_at"] = to_unix_seconds(evidence.verified_at);
  return json;
}

Result<MfaEvidence> mfa_evidence_from_json(const boost::json::value& json) {
  const boost::json::object* object = json.if_object();
  if (object == nullptr) return ApprovalsErrc::invalid_input;
  const boost::json::value* factor = object->if_contains("factor");
  const boost::json::value* verified_at = object->if_contains("verified_at");
  if (factor == nullptr || !factor->is_string() || verified_at == nullptr ||
      !verified_at->is_int64()) {
    return ApprovalsErrc::invalid_input;
  }
  MfaEvidence evidence;
  evidence.verified_at = from_unix_seconds(verified_at->get_int64());
  if (factor->get_string() == "totp") {
    const auto step = unsigned_member(*object, "totp_step");
    if (!step || object->size() != 3) return ApprovalsErrc::invalid_input;
    evidence.factor = MfaFactor::totp;
    evidence.totp_step = *step;
    return evidence;
  }
  if (factor->get_string() == "webauthn") {
    const auto count = unsigned_member(*object, "sign_count");
    const boost::json::value* id = object->if_contains("credential_id");
    const boost::json::value* assertion = object->if_contains("assertion");
    if (!count || *count > std::numeric_limits<std::uint32_t>::max() || id == nullptr ||
        !id->is_string() || object->size() != (assertion != nullptr ? 5U : 4U)) {
      return ApprovalsErrc::invalid_input;
    }
    if (assertion != nullptr) {
      evidence.assertion = stored_assertion(*assertion);
      if (!evidence.assertion) return ApprovalsErrc::invalid_input;
    }
    const boost::json::string& id_text = id->get_string();
    if (id_text.empty() ||
        !ca::base64url_decode_unpadded(std::string_view(id_text.data(), id_text.size()),
                                       evidence.credential_id)) {
      return ApprovalsErrc::invalid_input;
    }
    evidence.factor = MfaFactor::webauthn;
    evidence.sign_count = static_cast<std::uint32_t>(*count);
    return evidence;
  }
  return ApprovalsErrc::invalid_input;
}

}  // namespace jit::approvals
