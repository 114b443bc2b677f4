#include "approvals/mfa_evidence.hpp"

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
    if (!count || *count > std::numeric_limits<std::uint32_t>::max() || id == nullptr ||
        !id->is_string() || object->size() != 4) {
      return ApprovalsErrc::invalid_input;
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
