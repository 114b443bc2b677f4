#include "broker/api/passkey_api.hpp"

#include "broker/api/api_support.hpp"
#include "broker/auth/passkeys.hpp"
#include "broker/http/json_response.hpp"

#include <boost/json.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;

// WebAuthn allows credential ids of up to 1023 bytes.
constexpr std::size_t kMaxCredentialIdBytes = 1023;

std::optional<ca::Bytes> b64url_field(const json::object& body, std::string_view name) {
  const auto* value = body.if_contains(name);
  if (value == nullptr || !value->is_string() || value->as_string().size() > 64 * 1024)
    return std::nullopt;
  ca::Bytes out;
  if (!ca::base64url_decode_unpadded(std::string_view(value->as_string()), out))
    return std::nullopt;
  return out;
}

json::object credential_view(const WebAuthnCredentialRecord& record) {
  json::value last_used = nullptr;
  if (record.last_used_at) last_used = *record.last_used_at;
  return {{"id", ca::base64url_encode_unpadded(record.credential_id)},
          {"created_at", record.created_at},
          {"last_used_at", std::move(last_used)},
          {"algorithm", record.algorithm},
          {"possibly_cloned", record.possibly_cloned}};
}

void finish_passkey_registration(IdentityService& identity, RequestContext&& context,
                                 Responder respond, Caller caller) {
  auto body = parse_json_body(context.request);
  if (!body) return respond(body.error());
  auto client_data = b64url_field(*body, "client_data_json");
  auto attestation = b64url_field(*body, "attestation_object");
  if (!client_data || !attestation) {
    return respond(error_answer(http::status::bad_request, "invalid_input",
                                "client_data_json and attestation_object must be base64url"));
  }
  register_passkey(identity, caller, *client_data, *attestation, body->if_contains("mfa"),
                   [respond](Result<std::string> id) {
                     if (!id) return respond(error_answer(id.error()));
                     respond(json_response(http::status::created,
                                           json::object{{"credential_id", std::move(*id)}}));
                   });
}

void remove_credential(IdentityService& identity, RequestContext&& context, Responder respond,
                       Caller caller) {
  const std::string id = context.params.at("id");
  ca::Bytes credential_id;
  if (id.size() > 2 * kMaxCredentialIdBytes || !ca::base64url_decode_unpadded(id, credential_id) ||
      credential_id.empty() || credential_id.size() > kMaxCredentialIdBytes) {
    return respond(error_answer(http::status::bad_request, "invalid_input",
                                "the credential id must be base64url"));
  }
  auto body = parse_json_body(context.request);
  if (!body) return respond(body.error());
  if (auto problem = only_fields(*body, {"mfa"})) {
    return respond(error_answer(http::status::bad_request, "invalid_input", problem->message));
  }
  remove_passkey(
      identity, caller, credential_id, body->if_contains("mfa"),
      [respond](Result<std::string> removed) {
        if (!removed) return respond(error_answer(removed.error()));
        respond(json_response(http::status::ok, json::object{{"removed", std::move(*removed)}}));
      });
}

}  // namespace

void add_passkey_routes(Router& router, IdentityService& identity) {
  router.add(http::verb::post, "/v1/webauthn/register/finish",
             authenticated(identity,
                           [&identity](RequestContext&& context, Responder respond, Caller caller) {
                             finish_passkey_registration(identity, std::move(context),
                                                         std::move(respond), std::move(caller));
                           }));

  router.add(
      http::verb::get, "/v1/webauthn/credentials",
      authenticated(identity, [&identity](RequestContext&&, Responder respond, Caller caller) {
        json::array credentials;
        for (const auto& record : passkeys_of(identity, caller.user)) {
          credentials.push_back(credential_view(record));
        }
        respond(
            json_response(http::status::ok, json::object{{"credentials", std::move(credentials)}}));
      }));

  router.add(http::verb::delete_, "/v1/webauthn/credentials/{id}",
             authenticated(identity,
                           [&identity](RequestContext&& context, Responder respond, Caller caller) {
                             remove_credential(identity, std::move(context), std::move(respond),
                                               std::move(caller));
                           }));
}

}  // namespace jit::broker
