// The commands that change a request or grant: request, approve, deny, review, cancel, breakglass,
// revoke. `status` and `wait` live in jit_status_commands.cpp.
#include "broker/client/jit_access_commands.hpp"

#include "broker/client/credential_files.hpp"
#include "broker/client/jit_request_view.hpp"
#include "broker/client/jit_roles_commands.hpp"
#include "broker/client/ssh_agent.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <cstdlib>
#include <iostream>

namespace jit::broker {
namespace {

namespace json = boost::json;

// The answer's object when it is a success that names an object with an id; otherwise prints why
// not and sets `code` to the exit code.
const json::object* accepted(BrokerApi& api, const std::optional<ApiAnswer>& answer, int& code) {
  code = kJitError;
  if (!answer) return nullptr;
  if (!answer->ok()) {
    code = api.refused(*answer);
    return nullptr;
  }
  const auto* object = answer->object();
  if (object == nullptr || text_field(*object, "id").empty()) {
    code = api.unexpected("no id");
    return nullptr;
  }
  code = kJitOk;
  return object;
}

void set_if(json::object& body, std::string_view key, const std::optional<std::string>& value) {
  if (value) body[key] = *value;
}

std::string_view review_path(ReviewKind kind) {
  switch (kind) {
    case ReviewKind::approve:
      return "/approve";
    case ReviewKind::deny:
      return "/deny";
    case ReviewKind::post_incident:
      return "/review";
  }
  return "/review";
}

std::string_view review_verb(ReviewKind kind) {
  switch (kind) {
    case ReviewKind::approve:
      return "approved";
    case ReviewKind::deny:
      return "denied";
    case ReviewKind::post_incident:
      return "reviewed";
  }
  return "reviewed";
}

// What an approver decides on, shown before they decide (issue 14 item 18).
void print_decision_subject(std::ostream& err, ReviewKind kind, const json::object& request) {
  const auto approvals = int_field(request, "approvals").value_or(0);
  const auto required = int_field(request, "approvals_required").value_or(0);
  err << (kind == ReviewKind::approve ? "approve" : "deny") << " request "
      << text_field(request, "id") << ":\n"
      << "  requester:  " << text_field(request, "requester") << "\n"
      << "  role:       " << text_field(request, "role") << "\n"
      << "  duration:   " << text_field(request, "duration") << "\n"
      << "  reason:     " << text_field(request, "reason") << "\n"
      << "  ticket:     " << text_field(request, "ticket") << "\n"
      << "  state:      " << text_field(request, "state") << " (approvals " << approvals << "/"
      << required << ")\n";
}

bool is_yes(std::string answer) {
  for (auto& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return answer == "y" || answer == "yes";
}

// Shows the request and asks whether to go on: kJitOk to decide, or the exit code without
// deciding anything.
int confirm_decision(BrokerApi& api, ReviewKind kind, const ReviewOptions& options,
                     std::istream& in, std::ostream& err) {
  const auto answer = api.get("/v1/requests/" + options.id);
  if (!answer) return kJitError;
  if (!answer->ok()) return api.refused(*answer);
  const auto* request = answer->object();
  if (request == nullptr) return api.unexpected("no request");
  print_decision_subject(err, kind, *request);
  if (kind == ReviewKind::approve && text_field(*request, "approver_mfa") == "passkey") {
    // jit has no passkey to offer: say where to approve instead of asking for a refused code.
    err << "jit: approvals of " << text_field(*request, "role")
        << " need a passkey; approve on the web page";
    if (const auto page = request_page_url(*request, api.profile().broker_url); !page.empty()) {
      err << ": " << page;
    }
    err << "\n";
    return kJitError;
  }
  if (options.yes) return kJitOk;
  const char* verb = kind == ReviewKind::approve ? "approve" : "deny";
  if (!options.interactive) {
    err << "jit: standard input is not a terminal; nothing decided. Pass --yes to " << verb
        << " without being asked\n";
    return kJitError;
  }
  err << (kind == ReviewKind::approve ? "Approve" : "Deny") << " this request? [y/N] "
      << std::flush;
  std::string reply;
  std::getline(in, reply);
  if (is_yes(reply)) return kJitOk;
  err << "jit: not " << review_verb(kind) << "; nothing decided\n";
  return kJitError;
}

// Drops the grant's key (and the certificate ssh-add loaded beside it) from the running agent
// when `jit ssh-cert` or `jit ssh` left it in `options.dir` (or ~/.ssh).
void forget_ssh_key(const RevokeOptions& options, std::ostream& err) {
  if (!ssh_agent_configured()) return;
  std::filesystem::path dir;
  if (options.dir) {
    dir = *options.dir;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dir = std::filesystem::path(home) / ".ssh";
  } else {
    return;
  }
  const auto paths = ssh_credential_paths(dir, options.grant);
  std::error_code ec;
  if (!std::filesystem::exists(paths.public_key, ec)) return;
  err << std::flush;  // ssh-add writes to the same stderr
  const auto status = remove_key_from_agent(paths.private_key);
  if (status && *status == 0) {
    err << "removed its key and certificate from ssh-agent\n";
  } else {
    err << "jit: warning: could not remove " << paths.private_key.string()
        << " from ssh-agent (it may not have been added)\n";
  }
}

}  // namespace

int jit_request(const JitGlobalOptions& global, const RequestOptions& options, std::istream& in,
                std::ostream& out, std::ostream& err) {
  BrokerApi api(effective_profile(global), in, err);
  if (!api.require_session()) return kJitUnauthenticated;
  json::object body{{"role", options.role}};
  set_if(body, "reason", options.reason);
  set_if(body, "ticket", options.ticket);
  set_if(body, "duration", options.duration);
  const auto answer = api.post_with_mfa("/v1/requests", body, MfaPolicy::if_asked, options.totp);
  int code = kJitError;
  const auto* request = accepted(api, answer, code);
  if (request == nullptr) {
    if (answer && !answer->ok())
      explain_request_refusal(api, answer->error_code(), options.role, err);
    return code;
  }
  const std::string id = text_field(*request, "id");
  out << id << "\n" << std::flush;  // alone on the first line: id=$(jit request ...)
  err << "request " << id << " for " << text_field(*request, "role") << " is "
      << text_field(*request, "state");
  // Its page, for the approvers (or for a look at it); on stderr, so scripts read only the id.
  const std::string page = request_page_url(*request, api.profile().broker_url);
  const auto page_line = [&] {
    if (!page.empty()) err << "page: " << page << "\n";
  };
  if (const auto* grant = object_field(*request, "grant")) {
    err << ": grant " << text_field(*grant, "id") << "\n";
    page_line();
    if (options.wait) out << text_field(*grant, "id") << "\n";
    return kJitOk;
  }
  err << " (approvals " << int_field(*request, "approvals").value_or(0) << "/"
      << int_field(*request, "approvals_required").value_or(0) << ")";
  if (!options.wait) {
    err << "; `jit wait " << id << "` waits for the decision\n";
    page_line();
    return kJitOk;
  }
  err << "; waiting for the decision\n";
  page_line();
  std::string grant_id;
  code = await_grant(api, id, options.wait_timeout, options.wait_interval, grant_id, err);
  if (code == kJitOk) out << grant_id << "\n";
  return code;
}

int jit_review(const JitGlobalOptions& global, ReviewKind kind, const ReviewOptions& options,
               std::istream& in, std::ostream& out, std::ostream& err) {
  BrokerApi api(effective_profile(global), in, err);
  api.prompt_again_for_used_code(options.interactive);
  if (!api.require_session()) return kJitUnauthenticated;
  if (!api.require_id("req-", options.id)) return kJitError;
  if (kind != ReviewKind::post_incident) {
    if (const int code = confirm_decision(api, kind, options, in, err); code != kJitOk) return code;
  }
  json::object body;
  set_if(body, "comment", options.comment);
  const auto answer =
      api.post_with_mfa("/v1/requests/" + options.id + std::string(review_path(kind)), body,
                        MfaPolicy::always, options.totp);
  int code = kJitError;
  const auto* request = accepted(api, answer, code);
  if (request == nullptr) return code;
  out << review_verb(kind) << ": " << request_line(*request) << "\n";
  return kJitOk;
}

int jit_cancel(const JitGlobalOptions& global, const std::string& id, std::ostream& out,
               std::ostream& err) {
  BrokerApi api(effective_profile(global), std::cin, err);
  if (!api.require_session()) return kJitUnauthenticated;
  if (!api.require_id("req-", id)) return kJitError;
  const auto answer = api.post("/v1/requests/" + id + "/cancel", json::object{});
  int code = kJitError;
  const auto* request = accepted(api, answer, code);
  if (request == nullptr) return code;
  out << "cancelled: " << request_line(*request) << "\n";
  return kJitOk;
}

int jit_breakglass(const JitGlobalOptions& global, const BreakglassOptions& options,
                   std::istream& in, std::ostream& out, std::ostream& err) {
  BrokerApi api(effective_profile(global), in, err);
  if (!api.require_session()) return kJitUnauthenticated;
  json::object body{
      {"role", options.role}, {"incident", options.incident}, {"reason", options.reason}};
  set_if(body, "duration", options.duration);
  const auto answer = api.post_with_mfa("/v1/breakglass", body, MfaPolicy::always, options.totp);
  int code = kJitError;
  const auto* request = accepted(api, answer, code);
  if (request == nullptr) return code;
  const auto* grant = object_field(*request, "grant");
  if (grant == nullptr || text_field(*grant, "id").empty()) return api.unexpected("no grant");
  out << text_field(*request, "id") << "\n" << text_field(*grant, "id") << "\n";
  const std::int64_t now = unix_now();
  err << "break-glass access to " << text_field(*request, "role") << " is active until "
      << format_unix_time(int_field(*grant, "not_after").value_or(0)) << "; a post-incident review "
      << "is due";
  if (const auto due = int_field(*request, "review_due_at")) err << " " << relative_time(*due, now);
  err << "\n";
  return kJitOk;
}

int jit_revoke(const JitGlobalOptions& global, const RevokeOptions& options, std::istream& in,
               std::ostream& out, std::ostream& err) {
  BrokerApi api(effective_profile(global), in, err);
  if (!api.require_session()) return kJitUnauthenticated;
  if (!api.require_id("grt-", options.grant)) return kJitError;
  const auto answer = api.post_with_mfa("/v1/grants/" + options.grant + "/revoke",
                                        json::object{{"reason", options.reason}},
                                        MfaPolicy::if_asked, std::nullopt);
  int code = kJitError;
  const auto* grant = accepted(api, answer, code);
  if (grant == nullptr) return code;
  out << "revoked: " << grant_line(*grant, unix_now()) << "\n";
  err << "grant " << options.grant << " has ended: the broker mints nothing more for it.\n";
  if (const auto* lists = object_field(*grant, "revocation_lists")) {
    // The broker answers only once its served lists include the revocation (docs/api.md).
    err << "its certificates are in the KRL the broker serves now (version "
        << int_field(*lists, "krl_version").value_or(0) << ", CRL number "
        << int_field(*lists, "crl_number").value_or(0)
        << "); each host refuses them once it loads that KRL (its next pull of GET "
           "/v1/ca/ssh/krl or `jit-broker krl write`)\n";
  } else {
    err << "no certificate was minted for it, so no host holds one to refuse\n";
  }
  forget_ssh_key(options, err);
  return kJitOk;
}

}  // namespace jit::broker
