#include "broker/client/jit_request_view.hpp"

#include "config/duration.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <sstream>

namespace jit::broker {
namespace {

namespace json = boost::json;

std::string or_unknown(std::string text) { return text.empty() ? "?" : text; }

std::string approvals_text(const json::object& request) {
  const auto given = int_field(request, "approvals");
  const auto required = int_field(request, "approvals_required");
  return (given ? std::to_string(*given) : "?") + "/" +
         (required ? std::to_string(*required) : "?");
}

std::string time_text(const json::object& object, std::string_view key, std::int64_t now) {
  const auto at = int_field(object, key);
  return at ? format_unix_time(*at) + " (" + relative_time(*at, now) + ")" : "?";
}

}  // namespace

std::string text_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

std::optional<std::int64_t> int_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64() && value->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(value->get_uint64());
  return std::nullopt;
}

const json::object* object_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr ? value->if_object() : nullptr;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_unix_time(std::int64_t seconds) {
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm parts{};
  if (::gmtime_r(&time, &parts) == nullptr) return std::to_string(seconds);
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts);
  return n == 0 ? std::to_string(seconds) : std::string(text, n);
}

std::string relative_time(std::int64_t seconds, std::int64_t now) {
  if (seconds == now) return "now";
  const auto span = config::Seconds(seconds > now ? seconds - now : now - seconds);
  const std::string text = config::format_duration(span);
  return seconds > now ? "in " + text : text + " ago";
}

std::string describe_request(const json::object& request, std::int64_t now) {
  std::ostringstream out;
  out << or_unknown(text_field(request, "id")) << "  " << or_unknown(text_field(request, "role"))
      << "  " << or_unknown(text_field(request, "state")) << "\n";
  out << "  requester:  " << or_unknown(text_field(request, "requester")) << "\n";
  if (const auto reason = text_field(request, "reason"); !reason.empty())
    out << "  reason:     " << reason << "\n";
  if (const auto ticket = text_field(request, "ticket"); !ticket.empty())
    out << "  ticket:     " << ticket << "\n";
  out << "  duration:   " << or_unknown(text_field(request, "duration")) << "\n";
  out << "  approvals:  " << approvals_text(request) << " (denials "
      << int_field(request, "denials").value_or(0) << ")\n";
  out << "  created:    " << time_text(request, "created_at", now) << "\n";
  if (text_field(request, "state") == "pending")
    out << "  decide by:  " << time_text(request, "pending_deadline", now) << "\n";
  if (const auto* breakglass = request.if_contains("breakglass");
      breakglass != nullptr && breakglass->is_bool() && breakglass->get_bool()) {
    out << "  break-glass: incident " << or_unknown(text_field(request, "incident")) << "\n";
    if (int_field(request, "reviewed_at")) {
      out << "  post-incident review: done by " << or_unknown(text_field(request, "reviewed_by"))
          << " at " << time_text(request, "reviewed_at", now) << "\n";
    } else {
      out << "  post-incident review: due " << time_text(request, "review_due_at", now) << "\n";
    }
  }
  if (const auto* reviews = request.if_contains("reviews"); reviews && reviews->is_array()) {
    for (const auto& entry : reviews->get_array()) {
      const auto* review = entry.if_object();
      if (review == nullptr) continue;
      out << "  review:     " << or_unknown(text_field(*review, "reviewer")) << " "
          << or_unknown(text_field(*review, "decision")) << " at "
          << time_text(*review, "created_at", now);
      if (const auto* mfa = object_field(*review, "mfa")) {
        if (const auto factor = text_field(*mfa, "factor"); !factor.empty())
          out << " with " << factor;
      }
      if (const auto comment = text_field(*review, "comment"); !comment.empty())
        out << ": " << comment;
      out << "\n";
    }
  }
  if (const auto* grant = object_field(request, "grant")) {
    out << "  grant:      " << or_unknown(text_field(*grant, "id")) << "  "
        << or_unknown(text_field(*grant, "state")) << ", not_after "
        << time_text(*grant, "not_after", now) << "\n";
    if (const auto reason = text_field(*grant, "end_reason"); !reason.empty())
      out << "  ended:      " << reason << "\n";
  }
  return out.str();
}

std::string request_page_url(const json::object& request, std::string_view broker_url) {
  const std::string id = text_field(request, "id");
  if (id.empty() || id.size() > 64) return {};
  for (char c : id) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!plain) return {};
  }
  const std::string fragment = "/#request=" + id;
  // Printed to a terminal: only visible ASCII, so a broker cannot send escape sequences here.
  const std::string link = text_field(request, "link");
  const bool printable =
      std::all_of(link.begin(), link.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (link.starts_with("https://") && link.size() <= 512 && printable && link.ends_with(fragment) &&
      link.size() > std::string_view("https://").size() + fragment.size()) {
    return link;
  }
  if (!broker_url.starts_with("https://")) return {};
  const auto end = broker_url.find_first_of("/?#", 8);
  const std::string_view origin = broker_url.substr(0, end);
  if (origin.size() == 8) return {};
  return std::string(origin) + fragment;
}

std::string request_line(const json::object& request) {
  std::string line =
      or_unknown(text_field(request, "id")) + "  " + or_unknown(text_field(request, "role")) +
      "  " + or_unknown(text_field(request, "state")) + "  approvals " + approvals_text(request) +
      "  by " + or_unknown(text_field(request, "requester"));
  if (const auto* grant = object_field(request, "grant"))
    line += "  grant " + or_unknown(text_field(*grant, "id"));
  return line;
}

std::string grant_line(const json::object& grant, std::int64_t now) {
  return or_unknown(text_field(grant, "id")) + "  " + or_unknown(text_field(grant, "role")) + "  " +
         or_unknown(text_field(grant, "state")) + "  not_after " +
         time_text(grant, "not_after", now);
}

}  // namespace jit::broker
