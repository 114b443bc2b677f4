#include "approvals/webauthn_client_data.hpp"

#include "approvals/strict_json.hpp"

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

namespace jit::approvals {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

const boost::json::string* string_member(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value == nullptr ? nullptr : value->if_string();
}

}  // namespace

Result<CollectedClientData> parse_client_data(ca::ByteView client_data_json) {
  if (client_data_json.size() > kMaxClientDataBytes) return ApprovalsErrc::invalid_input;
  std::string_view text = ca::as_chars(client_data_json);
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  auto parsed = parse_strict_json(text, JsonLimits{kMaxClientDataBytes, 8});
  if (!parsed) return parsed.error();
  const boost::json::object* object = parsed->if_object();
  if (object == nullptr) return ApprovalsErrc::invalid_input;

  const boost::json::string* type = string_member(*object, "type");
  const boost::json::string* challenge = string_member(*object, "challenge");
  const boost::json::string* origin = string_member(*object, "origin");
  if (type == nullptr || challenge == nullptr || origin == nullptr) {
    return ApprovalsErrc::invalid_input;
  }
  CollectedClientData result;
  result.type.assign(type->data(), type->size());
  result.origin.assign(origin->data(), origin->size());
  if (!ca::base64url_decode_unpadded(std::string_view(challenge->data(), challenge->size()),
                                     result.challenge)) {
    return ApprovalsErrc::invalid_input;
  }
  if (const boost::json::value* cross = object->if_contains("crossOrigin")) {
    if (!cross->is_bool()) return ApprovalsErrc::invalid_input;
    result.cross_origin = cross->get_bool();
  }
  if (const boost::json::value* top = object->if_contains("topOrigin")) {
    if (!top->is_string()) return ApprovalsErrc::invalid_input;
    result.top_origin.emplace(top->get_string().data(), top->get_string().size());
  }
  return result;
}

Result<void> check_client_data(const CollectedClientData& client_data,
                               std::string_view expected_type, ca::ByteView expected_challenge,
                               const WebAuthnSettings& settings) {
  if (client_data.type != expected_type) return ApprovalsErrc::wrong_ceremony;
  if (expected_challenge.empty() ||
      !ca::constant_time_equal(client_data.challenge, expected_challenge)) {
    return ApprovalsErrc::challenge_mismatch;
  }
  // The broker's page is never framed, so any cross-origin or top-origin context is refused.
  if (client_data.origin != settings.origin || client_data.cross_origin ||
      client_data.top_origin.has_value()) {
    return ApprovalsErrc::origin_mismatch;
  }
  return {};
}

}  // namespace jit::approvals
