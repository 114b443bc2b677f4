// How every `jit` command talks to the broker (docs/api.md): the profile with its command-line
// overrides, one JSON call with the stored bearer token over verified TLS, the error line and exit
// code for a refused call, and the MFA rule (a TOTP code goes into the call when the broker wants
// one).
#pragma once

#include "broker/client/cli_profile.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace jit::broker {

// Exit codes of every `jit` command.
inline constexpr int kJitOk = 0;
inline constexpr int kJitError = 1;  // network, refusal by the broker (a code used already), usage
inline constexpr int kJitUnauthenticated = 2;  // no session, an expired one, or a wrong code (401)
inline constexpr int kJitDenied = 3;           // `wait`: the request was denied
inline constexpr int kJitTimedOut = 4;         // `wait`: timed out or cancelled

struct JitGlobalOptions {
  std::optional<std::string> broker_url;  // overrides the profile
  std::optional<std::string> ca_file;     // overrides the profile
};

// The stored profile with the command line's overrides applied.
CliProfile effective_profile(const JitGlobalOptions& global);

struct ApiAnswer {
  unsigned status = 0;
  boost::json::value body;  // null when the body is not JSON

  [[nodiscard]] bool ok() const noexcept { return status >= 200 && status < 300; }
  // The body as an object, or nullptr.
  [[nodiscard]] const boost::json::object* object() const noexcept { return body.if_object(); }
  // The `code` of an error answer; empty when there is none.
  [[nodiscard]] std::string_view error_code() const noexcept;
};

enum class MfaPolicy {
  if_asked,  // send without a code; on 401 `mfa_required`, prompt once and send again with one
  always,    // the endpoint wants a code in every call: prompt before sending when none was given
};

// "req-" or "grt-" followed by 32 lowercase hex digits. Checked before an id goes into a URL path.
[[nodiscard]] bool is_object_id(std::string_view prefix, std::string_view text) noexcept;

class BrokerApi {
 public:
  // `in` answers prompts; `err` receives prompts and error lines.
  BrokerApi(CliProfile profile, std::istream& in, std::ostream& err);

  [[nodiscard]] const CliProfile& profile() const noexcept { return profile_; }
  // False, after printing how to sign in, when no session is stored.
  [[nodiscard]] bool require_session();
  // False, after printing what an id looks like, when `text` is not one.
  [[nodiscard]] bool require_id(std::string_view prefix, std::string_view text);

  // nullopt on a transport error (already printed); any HTTP status is an answer.
  std::optional<ApiAnswer> get(std::string_view path);
  std::optional<ApiAnswer> post(std::string_view path, const boost::json::value& body);
  // A POST that carries {"mfa": {"totp": code}} as `policy` says; `totp` is the --totp option.
  // nullopt also when the user entered no code (already printed).
  std::optional<ApiAnswer> post_with_mfa(std::string_view path, boost::json::object body,
                                         MfaPolicy policy, std::optional<std::string> totp);

  // The same for another method (DELETE /v1/webauthn/credentials/{id}).
  std::optional<ApiAnswer> send_with_mfa(boost::beast::http::verb method, std::string_view path,
                                         boost::json::object body, MfaPolicy policy,
                                         std::optional<std::string> totp);

  // When the broker answers `totp_code_used` to a code this prompted for (typed again after
  // signing in with it), say so and prompt once more: for a person at a terminal, so on by
  // default only when `in` is std::cin on a terminal.
  void prompt_again_for_used_code(bool on) noexcept { prompt_again_for_used_code_ = on; }

  // Prints `jit: <error text> (<code>)` (or the HTTP status when the answer is not a JSON error)
  // and returns the exit code: 2 for 401, else 1. `totp_code_used` (409) gets its own line,
  // "jit: that code was already used (e.g. to sign in); enter the next one, in N s": the session
  // is fine, so it is 1, not 2.
  int refused(const ApiAnswer& answer);
  // Prints `jit: unexpected answer from the broker (<what>)` and returns 1.
  int unexpected(std::string_view what);

 private:
  std::optional<ApiAnswer> call(boost::beast::http::verb method, std::string_view path,
                                const boost::json::value* body);
  std::optional<std::string> prompt_totp();

  CliProfile profile_;
  std::istream& in_;
  std::ostream& err_;
  bool prompt_again_for_used_code_ = false;
};

// The error code the broker answers a TOTP code whose 30 s step was already used (docs/api.md).
inline constexpr std::string_view kTotpCodeUsed = "totp_code_used";

}  // namespace jit::broker
