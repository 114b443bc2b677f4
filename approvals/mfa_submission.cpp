#include "approvals/mfa_submission.hpp"

#include "approvals/webauthn_authenticator_data.hpp"
#include "approvals/webauthn_client_data.hpp"

#include <boost/json/object.hpp>

#include <optional>

namespace jit::approvals {
namespace {

constexpr std::size_t kMaxSignatureBytes = 512;
constexpr std::size_t kMaxUserHandleBytes = 64;  // the spec's limit for user.id

Result<MfaSubmission> refuse(std::string* problem, std::string text) {
  if (problem != nullptr) *problem = std::move(text);
  return ApprovalsErrc::invalid_input;
}

// A required (or, with `optional`, possibly absent or null) base64url member of bounded size.
bool read_bytes(const boost::json::object& object, std::string_view key, std::size_t max_bytes,
                bool optional, std::optional<ca::Bytes>& out, std::string& problem) {
  const std::string name = "mfa.webauthn." + std::string(key);
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || (optional && value->is_null())) {
    if (optional) return true;
    problem = name + " is missing";
    return false;
  }
  if (!value->is_string()) {
    problem = name + " must be a string";
    return false;
  }
  const boost::json::string& text = value->get_string();
  ca::Bytes bytes;
  if (!ca::base64url_decode_unpadded(std::string_view(text.data(), text.size()), bytes)) {
    problem = name + " is not unpadded base64url";
    return false;
  }
  if (bytes.empty() || bytes.size() > max_bytes) {
    problem = name + " has an impossible length";
    return false;
  }
  out = std::move(bytes);
  return true;
}

Result<MfaSubmission> parse_totp(const boost::json::value& value, std::string* problem) {
  const boost::json::string* code = value.if_string();
  bool digits = code != nullptr && code->size() >= 6 && code->size() <= 8;
  if (digits) {
    for (char c : *code) digits = digits && c >= '0' && c <= '9';
  }
  if (!digits) return refuse(problem, "mfa.totp must be a string of 6 to 8 digits");
  return MfaSubmission{TotpSubmission{std::string(code->data(), code->size())}};
}

Result<MfaSubmission> parse_webauthn(const boost::json::value& value, std::string* problem) {
  const boost::json::object* object = value.if_object();
  if (object == nullptr) return refuse(problem, "mfa.webauthn must be an object");
  for (const auto& member : *object) {
    const std::string_view key(member.key().data(), member.key().size());
    if (key != "credential_id" && key != "client_data_json" && key != "authenticator_data" &&
        key != "signature" && key != "user_handle") {
      return refuse(problem, "mfa.webauthn has an unknown member");
    }
  }
  std::string text;
  std::optional<ca::Bytes> credential_id, client_data, authenticator_data, signature, user_handle;
  if (!read_bytes(*object, "credential_id", kMaxCredentialIdBytes, false, credential_id, text) ||
      !read_bytes(*object, "client_data_json", kMaxClientDataBytes, false, client_data, text) ||
      !read_bytes(*object, "authenticator_data", kMaxAuthenticatorDataBytes, false,
                  authenticator_data, text) ||
      !read_bytes(*object, "signature", kMaxSignatureBytes, false, signature, text) ||
      !read_bytes(*object, "user_handle", kMaxUserHandleBytes, true, user_handle, text)) {
    return refuse(problem, std::move(text));
  }
  AssertionResponse response;
  response.credential_id = std::move(*credential_id);
  response.client_data_json = std::move(*client_data);
  response.authenticator_data = std::move(*authenticator_data);
  response.signature = std::move(*signature);
  response.user_handle = std::move(user_handle);
  return MfaSubmission{std::move(response)};
}

}  // namespace

Result<MfaSubmission> parse_mfa_submission(const boost::json::value& mfa, std::string* problem) {
  const boost::json::object* object = mfa.if_object();
  if (object == nullptr || object->size() != 1) {
    return refuse(problem, "mfa must be an object with exactly one of \"totp\" or \"webauthn\"");
  }
  if (const boost::json::value* totp = object->if_contains("totp"))
    return parse_totp(*totp, problem);
  if (const boost::json::value* webauthn = object->if_contains("webauthn")) {
    return parse_webauthn(*webauthn, problem);
  }
  return refuse(problem, "mfa must be an object with exactly one of \"totp\" or \"webauthn\"");
}

}  // namespace jit::approvals
