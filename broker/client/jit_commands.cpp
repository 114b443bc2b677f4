#include "broker/client/jit_commands.hpp"

#include "broker/client/jit_request_view.hpp"
#include "broker/client/terminal_input.hpp"
#include "ca/bytes.hpp"

#include <boost/json.hpp>

#include <iostream>

namespace jit::broker {
namespace {

namespace json = boost::json;

}  // namespace

int jit_login(const JitGlobalOptions& global, const LoginOptions& options, std::istream& in,
              std::ostream& out, std::ostream& err) {
  CliProfile profile = effective_profile(global);
  profile.token.clear();
  std::string password;
  if (options.password_stdin) {
    std::getline(in, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
  } else {
    password = read_secret_line("Password for " + options.user + ": ", in, err);
  }
  const std::string code = options.totp ? *options.totp : read_secret_line("TOTP code: ", in, err);
  json::value body = {{"user", options.user}, {"password", password}, {"mfa", {{"totp", code}}}};
  ca::wipe(password);
  BrokerApi api(profile, in, err);
  auto result = api.post("/v1/login", body);
  body.as_object()["password"] = "";
  if (!result) return kJitError;
  const auto* answer = result->object();
  if (result->status != 200 || answer == nullptr) return api.refused(*result);
  const auto* token = answer->if_contains("token");
  const auto* expires_at = answer->if_contains("expires_at");
  if (token == nullptr || !token->is_string() || expires_at == nullptr || !expires_at->is_int64())
    return api.unexpected("token");
  profile.user = options.user;
  profile.token = std::string(token->get_string());
  profile.expires_at = expires_at->get_int64();
  save_cli_profile(cli_config_dir(), profile);
  out << "logged in as " << options.user << " (session stored in "
      << (cli_config_dir() / "session.json").string() << ")\n";
  return kJitOk;
}

int jit_logout(const JitGlobalOptions& global, std::ostream& out, std::ostream& err) {
  CliProfile profile = effective_profile(global);
  if (profile.token.empty()) {
    out << "not logged in\n";
    return kJitOk;
  }
  BrokerApi api(profile, std::cin, err);
  auto result = api.post("/v1/logout", json::object{});
  profile.token.clear();
  profile.expires_at = 0;
  save_cli_profile(cli_config_dir(), profile);
  if (result && result->status != 200 && result->status != 401) return api.refused(*result);
  out << "logged out\n";
  return kJitOk;
}

int jit_whoami(const JitGlobalOptions& global, std::ostream& out, std::ostream& err) {
  BrokerApi api(effective_profile(global), std::cin, err);
  if (!api.require_session()) return kJitUnauthenticated;
  auto result = api.get("/v1/session");
  if (!result) return kJitError;
  if (result->status != 200) return api.refused(*result);
  const auto* answer = result->object();
  const auto* user = answer ? answer->if_contains("user") : nullptr;
  const auto* groups = answer ? answer->if_contains("groups") : nullptr;
  const auto* expires_at = answer ? answer->if_contains("expires_at") : nullptr;
  if (user == nullptr || !user->is_string() || groups == nullptr || !groups->is_array() ||
      expires_at == nullptr || !expires_at->is_int64()) {
    return api.unexpected("session");
  }
  out << "user " << user->get_string().c_str() << ", groups";
  for (const auto& group : groups->get_array()) {
    if (group.is_string()) out << " " << group.get_string().c_str();
  }
  // As `jit status` prints times: UTC with the zone, and how far away.
  out << ", session ends at " << format_unix_time(expires_at->get_int64()) << " ("
      << relative_time(expires_at->get_int64(), unix_now()) << ")\n";
  return kJitOk;
}

}  // namespace jit::broker
