// The `jit` access workflow commands (docs/api.md): request, status, wait, approve, deny, review,
// cancel, breakglass and revoke. Each returns the exit code (kJit* in jit_api_client.hpp). What a
// script reads goes to `out` (ids first); progress and errors go to `err`; prompts for a TOTP code
// read `in`.
#pragma once

#include "broker/client/jit_api_client.hpp"

#include <chrono>
#include <filesystem>
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
  bool wait = false;  // then wait for the decision as `jit wait` does (exit codes as jit_wait)
  std::chrono::milliseconds wait_timeout{std::chrono::hours(1)};
  std::chrono::milliseconds wait_interval{std::chrono::seconds(2)};
};
// Prints the new request's id alone on the first line of `out`; with `wait`, the grant id on the
// second once the request is active. Its page link (request_page_url) goes to `err`. A refusal
// naming the role or its maximum duration is followed by the roles the caller may request or that
// maximum (jit_roles_commands.hpp).
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
// cancelled or when `timeout` passes, 1 when its grant already ended or on an error. The request's
// page link goes to `err` first.
int jit_wait(const JitGlobalOptions& global, const WaitOptions& options, std::ostream& out,
             std::ostream& err);

// The loop behind `jit wait`, `jit request --wait` and `jit ssh`: polls request `id` every
// `interval` until it is decided or `timeout` passes. On kJitOk `grant_id` is the grant. Progress
// goes to `err`: when `err` is std::cerr on a terminal, one status line rewritten in place (state,
// approvals, time waited); otherwise a plain line each time the approvals change. `show_page`
// (`jit wait`) first prints the request's page link (request_page_url) from the first answer.
int await_grant(BrokerApi& api, const std::string& id, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval, std::string& grant_id, std::ostream& err,
                bool show_page = false);

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
  // Where `jit ssh-cert`/`jit ssh` wrote the grant's key (default ~/.ssh): when the key is there
  // and an ssh-agent is running, it is removed from the agent (`ssh-add -d`, which also drops the
  // certificate beside it).
  std::optional<std::filesystem::path> dir;
};
// Says that the grant has ended, and whether the broker's served KRL already lists its
// certificates (the answer's `revocation_lists`): hosts refuse them once they load that KRL.
int jit_revoke(const JitGlobalOptions& global, const RevokeOptions& options, std::istream& in,
               std::ostream& out, std::ostream& err);

}  // namespace jit::broker
