#include "broker/client/jit_passkey_commands.hpp"

#include "broker/client/jit_request_view.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <iostream>

namespace jit::broker {
namespace {

namespace json = boost::json;

// A WebAuthn credential id (at most 1023 bytes) in unpadded base64url: checked before it goes into
// a URL path.
bool is_credential_id(std::string_view text) {
  return !text.empty() && text.size() <= 1364 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

}  // namespace

int jit_passkeys_list(const JitGlobalOptions& global, std::ostream& out, std::ostream& err) {
  BrokerApi api(effective_profile(global), std::cin, err);
  if (!api.require_session()) return kJitUnauthenticated;
  const auto answer = api.get("/v1/webauthn/credentials");
  if (!answer) return kJitError;
  if (!answer->ok()) return api.refused(*answer);
  const auto* object = answer->object();
  const auto* list = object ? object->if_contains("credentials") : nullptr;
  if (list == nullptr || !list->is_array()) return api.unexpected("no credentials");
  const std::int64_t now = unix_now();
  for (const auto& entry : list->get_array()) {
    const auto* credential = entry.if_object();
    if (credential == nullptr) return api.unexpected("a credential is not an object");
    out << text_field(*credential, "id") << "  created "
        << format_unix_time(int_field(*credential, "created_at").value_or(0)) << "  last used ";
    if (const auto used = int_field(*credential, "last_used_at")) {
      out << relative_time(*used, now);
    } else {
      out << "never";
    }
    const auto* cloned = credential->if_contains("possibly_cloned");
    if (cloned != nullptr && cloned->is_bool() && cloned->get_bool()) out << "  POSSIBLY CLONED";
    out << "\n";
  }
  if (list->get_array().empty()) err << "no passkeys; register one on the web page\n";
  return kJitOk;
}

int jit_passkeys_remove(const JitGlobalOptions& global, const PasskeyRemoveOptions& options,
                        std::istream& in, std::ostream& out, std::ostream& err) {
  BrokerApi api(effective_profile(global), in, err);
  if (!api.require_session()) return kJitUnauthenticated;
  if (!is_credential_id(options.id)) {
    err << "jit: a passkey id is base64url, as `jit passkeys list` prints it\n";
    return kJitError;
  }
  const auto answer =
      api.send_with_mfa(boost::beast::http::verb::delete_, "/v1/webauthn/credentials/" + options.id,
                        json::object{}, MfaPolicy::always, options.totp);
  if (!answer) return kJitError;
  if (!answer->ok()) return api.refused(*answer);
  out << "removed: " << options.id << "\n";
  return kJitOk;
}

}  // namespace jit::broker
