#include "broker/client/jit_api_client.hpp"

#include "broker/client/http_client.hpp"
#include "broker/client/terminal_input.hpp"
#include "ca/bytes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>

#include <unistd.h>

namespace jit::broker {

namespace json = boost::json;
namespace http = boost::beast::http;

namespace {

// What `jit` says to a code the broker refused as used already, with the broker's wait for the
// next 30 s step when it sent a plausible one.
std::string used_code_line(const ApiAnswer& answer) {
  std::string line = "jit: that code was already used (e.g. to sign in); enter the next one";
  const auto* object = answer.object();
  const auto* wait = object ? object->if_contains("retry_after_seconds") : nullptr;
  if (wait != nullptr && wait->is_int64() && wait->get_int64() > 0 && wait->get_int64() <= 300) {
    line += ", in " + std::to_string(wait->get_int64()) + " s";
  }
  return line;
}

}  // namespace

CliProfile effective_profile(const JitGlobalOptions& global) {
  CliProfile profile = load_cli_profile(cli_config_dir());
  if (global.broker_url) profile.broker_url = *global.broker_url;
  if (global.ca_file) profile.ca_file = *global.ca_file;
  return profile;
}

std::string_view ApiAnswer::error_code() const noexcept {
  const auto* answer = object();
  if (answer == nullptr) return {};
  const auto* code = answer->if_contains("code");
  if (code == nullptr || !code->is_string()) return {};
  return code->get_string();
}

bool is_object_id(std::string_view prefix, std::string_view text) noexcept {
  if (!text.starts_with(prefix) || text.size() != prefix.size() + 32) return false;
  for (char c : text.substr(prefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

BrokerApi::BrokerApi(CliProfile profile, std::istream& in, std::ostream& err)
    : profile_(std::move(profile)),
      in_(in),
      err_(err),
      prompt_again_for_used_code_(&in == &std::cin && ::isatty(STDIN_FILENO) == 1) {}

bool BrokerApi::require_session() {
  if (!profile_.token.empty()) return true;
  err_ << "jit: not logged in; run `jit login --user NAME`\n";
  return false;
}

bool BrokerApi::require_id(std::string_view prefix, std::string_view text) {
  if (is_object_id(prefix, text)) return true;
  // The id goes into a URL path: anything else could name another resource.
  err_ << "jit: '" << text << "' is not a " << (prefix == "req-" ? "request" : "grant") << " id ("
       << prefix << " followed by 32 lowercase hex digits)\n";
  return false;
}

std::optional<ApiAnswer> BrokerApi::get(std::string_view path) {
  return call(http::verb::get, path, nullptr);
}

std::optional<ApiAnswer> BrokerApi::post(std::string_view path, const json::value& body) {
  return call(http::verb::post, path, &body);
}

std::optional<std::string> BrokerApi::prompt_totp() {
  std::string code = read_secret_line("TOTP code: ", in_, err_);
  if (code.empty()) {
    err_ << "jit: no TOTP code entered\n";
    return std::nullopt;
  }
  return code;
}

std::optional<ApiAnswer> BrokerApi::post_with_mfa(std::string_view path, json::object body,
                                                  MfaPolicy policy,
                                                  std::optional<std::string> totp) {
  return send_with_mfa(http::verb::post, path, std::move(body), policy, std::move(totp));
}

std::optional<ApiAnswer> BrokerApi::send_with_mfa(http::verb method, std::string_view path,
                                                  json::object body, MfaPolicy policy,
                                                  std::optional<std::string> totp) {
  const bool option_given = totp.has_value();  // --totp: never prompted for, never again
  if (!totp && policy == MfaPolicy::always) {
    totp = prompt_totp();
    if (!totp) return std::nullopt;
  }
  const bool code_given = totp.has_value();
  if (totp) body["mfa"] = json::object{{"totp", *totp}};
  json::value sent = body;
  auto answer = call(method, path, &sent);
  if (answer && !code_given && answer->status == 401 && answer->error_code() == "mfa_required") {
    // The session's MFA is older than the broker's freshness window: prove it again, once.
    totp = prompt_totp();
    if (!totp) return std::nullopt;
    body["mfa"] = json::object{{"totp", *totp}};
    ca::wipe(*totp);
    sent = body;
    answer = call(method, path, &sent);
  }
  if (answer && !option_given && prompt_again_for_used_code_ &&
      answer->error_code() == kTotpCodeUsed) {
    // Typically the code just used to sign in: the person waits for the next one, once.
    err_ << used_code_line(*answer) << "\n";
    totp = prompt_totp();
    if (!totp) return std::nullopt;
    body["mfa"] = json::object{{"totp", *totp}};
    ca::wipe(*totp);
    sent = body;
    answer = call(method, path, &sent);
  }
  return answer;
}

int BrokerApi::refused(const ApiAnswer& answer) {
  if (answer.error_code() == kTotpCodeUsed) {
    err_ << used_code_line(answer) << "\n";
    return kJitError;  // the session is fine: not "not authenticated"
  }
  const int code = answer.status == 401 ? kJitUnauthenticated : kJitError;
  const auto* object = answer.object();
  const auto* error = object ? object->if_contains("error") : nullptr;
  if (error == nullptr || !error->is_string()) {
    err_ << "jit: the broker answered HTTP " << answer.status << "\n";
    return code;
  }
  err_ << "jit: " << error->get_string().c_str();
  if (const auto name = answer.error_code(); !name.empty()) err_ << " (" << name << ")";
  err_ << "\n";
  return code;
}

int BrokerApi::unexpected(std::string_view what) {
  err_ << "jit: unexpected answer from the broker (" << what << ")\n";
  return kJitError;
}

std::optional<ApiAnswer> BrokerApi::call(http::verb method, std::string_view path,
                                         const json::value* body) {
  auto url = parse_url(profile_.broker_url + std::string(path));
  if (!url) {
    err_ << "jit: broker URL is not valid: " << profile_.broker_url << "\n";
    return std::nullopt;
  }
  if (!url->tls) {
    // The password, TOTP code and session token must never cross the network in clear text.
    err_ << "jit: the broker URL must be https://\n";
    return std::nullopt;
  }
  ClientRequest request;
  request.method = method;
  request.url = *url;
  if (body != nullptr) request.body = json::serialize(*body);
  if (!profile_.token.empty())
    request.headers.emplace_back("Authorization", "Bearer " + profile_.token);
  ClientTlsOptions tls;
  if (profile_.ca_file) tls.ca_file = *profile_.ca_file;
  auto response = fetch(tls, std::move(request));
  if (!response) {
    err_ << "jit: cannot reach " << profile_.broker_url << ": " << response.error().message()
         << "\n";
    return std::nullopt;
  }
  ApiAnswer answer{response->status, json::value(nullptr)};
  boost::system::error_code ec;
  answer.body = json::parse(response->body, ec);
  if (ec) answer.body = nullptr;
  return answer;
}

}  // namespace jit::broker
