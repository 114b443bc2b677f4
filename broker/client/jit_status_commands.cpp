// The commands that only look: `status` (one request, or the caller's requests and grants) and
// `wait` (poll one request until it is decided).
#include "broker/client/jit_access_commands.hpp"

#include "broker/client/jit_request_view.hpp"
#include "config/duration.hpp"

#include <boost/json.hpp>

#include <iostream>
#include <thread>

#include <unistd.h>

namespace jit::broker {
namespace {

namespace json = boost::json;

// Request states are lowercase letters and '_' ("timed_out", "review_due"); anything else would
// change the query string.
bool is_state_name(std::string_view text) {
  if (text.empty() || text.size() > 32) return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  }
  return true;
}

// The array member `key` of a successful list answer, or nullptr after printing why not.
const json::array* list_of(BrokerApi& api, const std::optional<ApiAnswer>& answer,
                           std::string_view key, int& code) {
  code = kJitError;
  if (!answer) return nullptr;
  if (!answer->ok()) {
    code = api.refused(*answer);
    return nullptr;
  }
  const auto* object = answer->object();
  const auto* list = object ? object->if_contains(key) : nullptr;
  if (list == nullptr || !list->is_array()) {
    code = api.unexpected(key);
    return nullptr;
  }
  code = kJitOk;
  return &list->get_array();
}

// A listing's cursor as the broker writes it ("SECONDS.ID"): safe to put into a query as it is.
bool is_cursor(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  return true;
}

// The listings come in pages; a status shows at most this many of them.
constexpr int kMaxListPages = 20;

// Every item of the paged listing at `path` (member `key` of each page), following `next`; nullopt
// after printing why not.
std::optional<json::array> list_all(BrokerApi& api, const std::string& path, std::string_view key,
                                    int& code) {
  json::array items;
  std::string target = path;
  for (int page = 0; page < kMaxListPages; ++page) {
    const auto answer = api.get(target);
    const auto* list = list_of(api, answer, key, code);
    if (list == nullptr) return std::nullopt;
    items.insert(items.end(), list->begin(), list->end());
    const auto* next = answer->object()->if_contains("next");
    if (next == nullptr) break;
    if (!next->is_string() || !is_cursor(next->as_string())) {
      code = api.unexpected("next");
      return std::nullopt;
    }
    target = path + (path.find('?') == std::string::npos ? "?" : "&") +
             "after=" + std::string(next->as_string());
  }
  code = kJitOk;
  return items;
}

int show_one(BrokerApi& api, const StatusOptions& options, std::ostream& out) {
  if (!api.require_id("req-", *options.id)) return kJitError;
  const auto answer = api.get("/v1/requests/" + *options.id);
  if (!answer) return kJitError;
  if (!answer->ok()) return api.refused(*answer);
  const auto* request = answer->object();
  if (request == nullptr) return api.unexpected("not an object");
  if (options.json) {
    out << json::serialize(*request) << "\n";
  } else {
    out << describe_request(*request, unix_now());
    const auto page = request_page_url(*request, api.profile().broker_url);
    if (!page.empty()) out << "  page:       " << page << "\n";
  }
  return kJitOk;
}

int show_list(BrokerApi& api, const StatusOptions& options, std::ostream& out, std::ostream& err) {
  std::string path = "/v1/requests";
  if (options.state) {
    if (!is_state_name(*options.state)) {
      err << "jit: '" << *options.state << "' is not a request state\n";
      return kJitError;
    }
    path += "?state=" + *options.state;
  }
  int code = kJitError;
  const auto requests_list = list_all(api, path, "requests", code);
  if (!requests_list) return code;
  const json::array* requests = &*requests_list;
  // With a state filter only the requests are asked for: grant states are another set.
  std::optional<json::array> grants_list;
  const json::array* grants = nullptr;
  if (!options.state) {
    grants_list = list_all(api, "/v1/grants", "grants", code);
    if (!grants_list) return code;
    grants = &*grants_list;
  }
  if (options.json) {
    json::object all{{"requests", *requests}};
    if (grants != nullptr) all["grants"] = *grants;
    out << json::serialize(all) << "\n";
    return kJitOk;
  }
  out << "requests:" << (requests->empty() ? " none" : "") << "\n";
  for (const auto& entry : *requests) {
    if (const auto* request = entry.if_object()) out << "  " << request_line(*request) << "\n";
  }
  if (grants == nullptr) return kJitOk;
  const std::int64_t now = unix_now();
  out << "grants:" << (grants->empty() ? " none" : "") << "\n";
  for (const auto& entry : *grants) {
    if (const auto* grant = entry.if_object()) out << "  " << grant_line(*grant, now) << "\n";
  }
  return kJitOk;
}

}  // namespace

int jit_status(const JitGlobalOptions& global, const StatusOptions& options, std::ostream& out,
               std::ostream& err) {
  BrokerApi api(effective_profile(global), std::cin, err);
  if (!api.require_session()) return kJitUnauthenticated;
  if (options.id) return show_one(api, options, out);
  return show_list(api, options, out, err);
}

std::optional<std::chrono::milliseconds> parse_wait_duration(std::string_view text) {
  std::optional<std::chrono::milliseconds> value;
  if (text.size() > 2 && text.size() <= 11 && text.ends_with("ms")) {
    std::int64_t count = 0;
    for (char c : text.substr(0, text.size() - 2)) {
      if (c < '0' || c > '9') return std::nullopt;
      count = count * 10 + (c - '0');
    }
    value = std::chrono::milliseconds(count);
  } else if (const auto seconds = config::parse_duration(text)) {
    value = std::chrono::duration_cast<std::chrono::milliseconds>(*seconds);
  }
  if (!value || value->count() == 0) return std::nullopt;
  return value;
}

namespace {

// Live progress only where a person watches it: a terminal behind std::cerr.
bool live_progress(const std::ostream& err) {
  return &err == &std::cerr && ::isatty(STDERR_FILENO) == 1;
}

}  // namespace

int await_grant(BrokerApi& api, const std::string& id, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval, std::string& grant_id, std::ostream& err,
                bool show_page) {
  const bool live = live_progress(err);
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout;
  std::string last_progress;
  // Ends the rewritten status line before any other output.
  const auto end_line = [&] {
    if (live && !last_progress.empty()) err << "\n";
    last_progress.clear();
  };
  for (;;) {
    const auto answer = api.get("/v1/requests/" + id);
    if (!answer) return end_line(), kJitError;
    if (!answer->ok()) return end_line(), api.refused(*answer);
    const auto* request = answer->object();
    if (request == nullptr) return end_line(), api.unexpected("not an object");
    if (show_page) {
      // Once, before any status line: where the approvers (or you) can open the request.
      if (const auto page = request_page_url(*request, api.profile().broker_url); !page.empty()) {
        err << "page: " << page << "\n";
      }
      show_page = false;
    }
    const std::string state = text_field(*request, "state");
    if (state != "pending") end_line();
    if (state == "active") {
      const auto* grant = object_field(*request, "grant");
      if (grant == nullptr || text_field(*grant, "id").empty()) return api.unexpected("no grant");
      grant_id = text_field(*grant, "id");
      err << id << " is active until "
          << format_unix_time(int_field(*grant, "not_after").value_or(0)) << "\n";
      return kJitOk;
    }
    if (state == "denied") {
      err << "jit: " << id << " was denied\n";
      return kJitDenied;
    }
    if (state == "timed_out" || state == "cancelled") {
      err << "jit: " << id << " is " << state << "\n";
      return kJitTimedOut;
    }
    if (state == "expired" || state == "revoked") {
      err << "jit: " << id << " was granted, but its grant has already ended (" << state << ")\n";
      return kJitError;
    }
    if (state != "pending") return api.unexpected("state '" + state + "'");
    const std::string progress =
        "approvals " + std::to_string(int_field(*request, "approvals").value_or(0)) + "/" +
        std::to_string(int_field(*request, "approvals_required").value_or(0));
    const auto now = std::chrono::steady_clock::now();
    if (live) {
      const auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - started);
      err << "\r" << id << " is pending, " << progress << ", waiting "
          << config::format_duration(config::Seconds(waited.count())) << "\x1b[K" << std::flush;
      last_progress = progress;
    } else if (progress != last_progress) {
      err << id << " is pending, " << progress << "\n";
      last_progress = progress;
    }
    if (now >= deadline) {
      end_line();
      err << "jit: gave up waiting for " << id << "; it is still pending\n";
      return kJitTimedOut;
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(interval, deadline - now));
  }
}

int jit_wait(const JitGlobalOptions& global, const WaitOptions& options, std::ostream& out,
             std::ostream& err) {
  BrokerApi api(effective_profile(global), std::cin, err);
  if (!api.require_session()) return kJitUnauthenticated;
  if (!api.require_id("req-", options.id)) return kJitError;
  std::string grant_id;
  const int code =
      await_grant(api, options.id, options.timeout, options.interval, grant_id, err, true);
  if (code == kJitOk) out << grant_id << "\n";
  return code;
}

}  // namespace jit::broker
