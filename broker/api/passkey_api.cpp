#include "broker/api/passkey_api.hpp"

#include "approvals/mfa_evidence.hpp"
#include "approvals/webauthn_ceremony.hpp"
#include "broker/api/api_support.hpp"
#include "broker/auth/credential_store.hpp"
#include "broker/auth/identity_service.hpp"
#include "broker/http/json_response.hpp"

#include <boost/json.hpp>

#include <memory>

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

bool absent(const json::value* mfa) { return mfa == nullptr || mfa->is_null(); }

json::value evidence_json(const Presence& presence) {
  if (!presence.evidence) return json::object{};
  return approvals::mfa_evidence_to_json(*presence.evidence);
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

void finish_passkey_registration(IdentityService& identity, const PasskeyNotify& notify,
                                 RequestContext&& context, Responder respond, Caller caller) {
  auto body = parse_json_body(context.request);
  if (!body) return respond(body.error());
  auto client_data = b64url_field(*body, "client_data_json");
  auto attestation = b64url_field(*body, "attestation_object");
  if (!client_data || !attestation) {
    return respond(error_answer(http::status::bad_request, "invalid_input",
                                "client_data_json and attestation_object must be base64url"));
  }
  auto mfa =
      std::make_shared<json::value>(body->contains("mfa") ? body->at("mfa") : json::value(nullptr));
  if (absent(mfa.get())) return respond(error_answer(make_error_code(BrokerErrc::mfa_required)));
  auto registered =
      approvals::finish_registration(identity.challenges(), identity.settings().webauthn,
                                     caller.user, *client_data, *attestation, identity.now());
  if (!registered) return respond(error_answer(registered.error()));
  WebAuthnCredentialRecord record{registered->id,         caller.user,
                                  registered->public_key, static_cast<int>(registered->alg),
                                  registered->sign_count, false};
  // The attestation is checked first, so a factor is never spent on a registration that fails.
  identity.prove_presence(
      caller, mfa.get(), false, MfaPurpose::presence, std::nullopt,
      [&identity, notify, respond, record, mfa](Result<Presence> presence) {
        if (!presence) return respond(error_answer(presence.error()));
        json::object details{{"credential_id", ca::base64url_encode_unpadded(record.credential_id)},
                             {"alg", record.algorithm},
                             {"mfa", evidence_json(*presence)}};
        identity.store().write(
            [record, details](WriteContext& tx) -> boost::system::error_code {
              if (find_webauthn_credential(tx.db(), record.credential_id))
                return BrokerErrc::conflict;
              insert_webauthn_credential(tx, record);
              tx.audit({record.user, "webauthn.register", "user/" + record.user,
                        json::serialize(details)});
              return {};
            },
            [notify, respond, user = record.user,
             id = ca::base64url_encode_unpadded(record.credential_id)](
                boost::system::error_code ec) {
              if (ec) return respond(error_answer(ec));
              if (notify) notify("passkey.registered", {{"user", user}, {"credential_id", id}});
              respond(json_response(http::status::created, json::object{{"credential_id", id}}));
            });
      });
}

void remove_credential(IdentityService& identity, const PasskeyNotify& notify,
                       RequestContext&& context, Responder respond, Caller caller) {
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
  // Someone else's passkey is not found, like one that does not exist, and costs no factor.
  auto stored = identity.store().read(
      [&](SQLite::Database& db) { return find_webauthn_credential(db, credential_id); });
  if (!stored || stored->user != caller.user) {
    return respond(error_answer(make_error_code(BrokerErrc::not_found)));
  }
  auto mfa =
      std::make_shared<json::value>(body->contains("mfa") ? body->at("mfa") : json::value(nullptr));
  if (absent(mfa.get())) return respond(error_answer(make_error_code(BrokerErrc::mfa_required)));
  identity.prove_presence(
      caller, mfa.get(), false, MfaPurpose::presence, std::nullopt,
      [&identity, notify, respond, credential_id, user = caller.user, id,
       mfa](Result<Presence> presence) {
        if (!presence) return respond(error_answer(presence.error()));
        json::object details{{"credential_id", id}, {"mfa", evidence_json(*presence)}};
        identity.store().write(
            [credential_id, user, details](WriteContext& tx) -> boost::system::error_code {
              if (!delete_webauthn_credential(tx, user, credential_id))
                return BrokerErrc::not_found;
              tx.audit({user, "webauthn.remove", "user/" + user, json::serialize(details)});
              return {};
            },
            [notify, respond, user, id](boost::system::error_code ec) {
              if (ec) return respond(error_answer(ec));
              if (notify) notify("passkey.removed", {{"user", user}, {"credential_id", id}});
              respond(json_response(http::status::ok, json::object{{"removed", id}}));
            });
      });
}

}  // namespace

void add_passkey_routes(Router& router, IdentityService& identity, PasskeyNotify notify) {
  router.add(http::verb::post, "/v1/webauthn/register/finish",
             authenticated(identity, [&identity, notify](RequestContext&& context,
                                                         Responder respond, Caller caller) {
               finish_passkey_registration(identity, notify, std::move(context), std::move(respond),
                                           std::move(caller));
             }));

  router.add(
      http::verb::get, "/v1/webauthn/credentials",
      authenticated(identity, [&identity](RequestContext&&, Responder respond, Caller caller) {
        auto stored = identity.store().read(
            [&](SQLite::Database& db) { return find_webauthn_credentials(db, caller.user); });
        json::array credentials;
        for (const auto& record : stored) credentials.push_back(credential_view(record));
        respond(
            json_response(http::status::ok, json::object{{"credentials", std::move(credentials)}}));
      }));

  router.add(http::verb::delete_, "/v1/webauthn/credentials/{id}",
             authenticated(identity, [&identity, notify](RequestContext&& context,
                                                         Responder respond, Caller caller) {
               remove_credential(identity, notify, std::move(context), std::move(respond),
                                 std::move(caller));
             }));
}

}  // namespace jit::broker
