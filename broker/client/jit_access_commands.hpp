// The `jit` access workflow commands (docs/api.md): request, status, wait, approve, deny, review,
// cancel, breakglass and revoke. Each returns the exit code (kJit* in jit_api_client.hpp). What a
// script reads goes to `out` (ids first); progress and errors go to `err`; prompts for a TOTP code
// read `in`.
#pragma once

#include "broker/client/jit_api_client.hpp"

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace jit::broker {

struct RequestOptions {
  std::string role;
  std::optional<std::string> reason;
  std::optional<std::string> ticket;
  std::optional<std::string> duration;  // "30m"; the broker checks it against the role's maximum
  std::optional<std::string> totp;      // prompted for only when the broker asks
};
// Prints the new request's id alone on the first line of `out`.
int jit_request(const JitGlobalOptions& global, const RequestOptions& options, std::istream& in,
                std::ostream& out, std::ostream& err);

struct StatusOptions {
  std::optional<std::string> id;     // a request id: that request in full
  std::optional<std::string> state;  // without an id: list only requests in this state
  bool json = false;                 // print the broker's JSON instead
};
int jit_status(const JitGlobalOptions& global, const StatusOptions& options, std::ostream& out,
               std::ostream& err);

struct WaitOptions {
  std::string id;
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  std::chrono::milliseconds interval{std::chrono::seconds(2)};
};
// "2s", "1h30m" (config/duration.hpp) or "500ms"; nullopt for anything else and for zero.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_wait_duration(std::string_view text);

// Polls the request: 0 and the grant id on `out` when active, 3 when denied, 4 when timed out or
// cancelled or when `timeout` passes, 1 when its grant already ended or on an error.
int jit_wait(const JitGlobalOptions& global, const WaitOptions& options, std::ostream& out,
             std::ostream& err);

enum class ReviewKind {
  approve,        // POST /v1/requests/{id}/approve
  deny,           // POST /v1/requests/{id}/deny
  post_incident,  // POST /v1/requests/{id}/review: the review a break-glass request owes
};
struct ReviewOptions {
  std::string id;
  std::optional<std::string> comment;
  std::optional<std::string> totp;  // always sent; prompted for when absent
  // approve and deny first show the request (requester, role, duration, reason, ticket) on `err`
  // and ask on `in` for confirmation; `yes` (--yes, for scripts) skips the question. Without
  // `yes`, input that is not a terminal (`interactive` false) refuses to decide unseen.
  bool yes = false;
  bool interactive = false;
};
int jit_review(const JitGlobalOptions& global, ReviewKind kind, const ReviewOptions& options,
               std::istream& in, std::ostream& out, std::ostream& err);

int jit_cancel(const JitGlobalOptions& global, const std::string& id, std::ostream& out,
               std::ostream& err);

struct BreakglassOptions {
  std::string role;
  std::string incident;
  std::string reason;
  std::optional<std::string> duration;
  std::optional<std::string> totp;  // always sent; prompted for when absent
};
// Prints the request id, then the grant id, each alone on a line of `out`.
int jit_breakglass(const JitGlobalOptions& global, const BreakglassOptions& options,
                   std::istream& in, std::ostream& out, std::ostream& err);

struct RevokeOptions {
  std::string grant;
  std::string reason;
};
int jit_revoke(const JitGlobalOptions& global, const RevokeOptions& options, std::istream& in,
               std::ostream& out, std::ostream& err);

}  // namespace jit::broker
