#include "broker/cli/jit_commands.hpp"

#include "broker/client/http_client.hpp"
#include "ca/bytes.hpp"

#include <termios.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <iostream>

namespace jit::broker {
namespace {

namespace json = boost::json;
namespace http = boost::beast::http;

// Reads a line from the terminal without echo (for passwords and codes).
std::string read_secret_line(const std::string& prompt, std::istream& in, std::ostream& err) {
  err << prompt << std::flush;
  termios saved{};
  const bool tty = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(in, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    err << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

CliProfile effective_profile(const JitGlobalOptions& global) {
  CliProfile profile = load_cli_profile(cli_config_dir());
  if (global.broker_url) profile.broker_url = *global.broker_url;
  if (global.ca_file) profile.ca_file = *global.ca_file;
  return profile;
}

struct ApiResult {
  unsigned status = 0;
  json::value body;
};

// One API call; prints a clear line and returns nullopt on a transport error.
std::optional<ApiResult> api_call(const CliProfile& profile, http::verb method,
                                  const std::string& path, const json::value* body,
                                  std::ostream& err) {
  auto url = parse_url(profile.broker_url + path);
  if (!url) {
    err << "jit: broker URL is not valid: " << profile.broker_url << "\n";
    return std::nullopt;
  }
  if (!url->tls) {
    // The password, TOTP code and session token must never cross the network in clear text.
    err << "jit: the broker URL must be https://\n";
    return std::nullopt;
  }
  ClientRequest request;
  request.method = method;
  request.url = *url;
  if (body != nullptr) request.body = json::serialize(*body);
  if (!profile.token.empty())
    request.headers.emplace_back("Authorization", "Bearer " + profile.token);
  ClientTlsOptions tls;
  if (profile.ca_file) tls.ca_file = *profile.ca_file;
  auto response = fetch(tls, std::move(request));
  if (!response) {
    err << "jit: cannot reach " << profile.broker_url << ": " << response.error().message() << "\n";
    return std::nullopt;
  }
  ApiResult result{response->status, json::value(nullptr)};
  boost::system::error_code ec;
  result.body = json::parse(response->body, ec);
  return result;
}

int report_error(const ApiResult& result, std::ostream& err) {
  std::string message = "HTTP " + std::to_string(result.status);
  if (result.body.is_object()) {
    if (const auto* text = result.body.as_object().if_contains("error");
        text && text->is_string()) {
      message = std::string(text->as_string());
    }
  }
  err << "jit: " << message << "\n";
  return result.status == 401 ? 2 : 1;
}

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
  auto result = api_call(profile, http::verb::post, "/v1/login", &body, err);
  body.as_object()["password"] = "";
  if (!result) return 1;
  if (result->status != 200 || !result->body.is_object()) return report_error(*result, err);
  const auto& answer = result->body.as_object();
  profile.user = options.user;
  profile.token = std::string(answer.at("token").as_string());
  profile.expires_at = answer.at("expires_at").as_int64();
  save_cli_profile(cli_config_dir(), profile);
  out << "logged in as " << options.user << " (session stored in "
      << (cli_config_dir() / "session.json").string() << ")\n";
  return 0;
}

int jit_logout(const JitGlobalOptions& global, std::ostream& out, std::ostream& err) {
  CliProfile profile = effective_profile(global);
  if (profile.token.empty()) {
    out << "not logged in\n";
    return 0;
  }
  const json::value empty = json::object{};
  auto result = api_call(profile, http::verb::post, "/v1/logout", &empty, err);
  profile.token.clear();
  profile.expires_at = 0;
  save_cli_profile(cli_config_dir(), profile);
  if (result && result->status != 200 && result->status != 401) return report_error(*result, err);
  out << "logged out\n";
  return 0;
}

int jit_whoami(const JitGlobalOptions& global, std::ostream& out, std::ostream& err) {
  const CliProfile profile = effective_profile(global);
  if (profile.token.empty()) {
    err << "jit: not logged in; run `jit login`\n";
    return 2;
  }
  auto result = api_call(profile, http::verb::get, "/v1/session", nullptr, err);
  if (!result) return 1;
  if (result->status != 200) return report_error(*result, err);
  const auto& answer = result->body.as_object();
  out << "user " << answer.at("user").as_string().c_str() << ", groups";
  for (const auto& group : answer.at("groups").as_array()) out << " " << group.as_string().c_str();
  out << ", session ends at " << answer.at("expires_at").as_int64() << "\n";
  return 0;
}

}  // namespace jit::broker
