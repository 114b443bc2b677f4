#include "broker/workers/chat_formats.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <vector>

namespace jit::broker {
namespace {

namespace json = boost::json;

// Bounds of user text, in code points (Slack's section fields hold 2000 characters, a Teams card
// about 28 KB; a reason longer than a screen says nothing more in a notification).
constexpr std::size_t kNameMax = 80;
constexpr std::size_t kShortMax = 200;  // ticket, incident, end reason
constexpr std::size_t kReasonMax = 500;
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";   // U+2026
constexpr std::string_view kZeroWidth = "\xE2\x80\x8B";  // U+200B
constexpr std::string_view kPageLinkText = "Open the request on the approval page";

struct ChatFact {
  std::string label;  // fixed text of this file
  std::string value;  // user text, bounded, not escaped yet
};

// One event as a chat message, before the format's escaping.
struct ChatMessage {
  std::string headline;  // user text inside
  std::vector<ChatFact> facts;
  std::string link;    // the request on the approval page, or empty
  bool alert = false;  // break-glass
};

std::string text_of(const json::object& data, std::string_view key, std::size_t max) {
  const json::value* v = data.if_contains(key);
  if (v == nullptr) return {};
  if (v->is_string()) return bounded_text(v->as_string(), max);
  if (v->is_int64()) return std::to_string(v->as_int64());
  return {};
}

std::int64_t number_of(const json::object& data, std::string_view key) {
  const json::value* v = data.if_contains(key);
  return v != nullptr && v->is_int64() ? v->as_int64() : 0;
}

bool flag_of(const json::object& data, std::string_view key) {
  const json::value* v = data.if_contains(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

// Reviewers who decided `decision`, comma separated.
std::string reviewers(const json::object& data, std::string_view decision) {
  std::string names;
  const json::value* reviews = data.if_contains("reviews");
  if (reviews == nullptr || !reviews->is_array()) return names;
  for (const json::value& review : reviews->as_array()) {
    if (!review.is_object()) continue;
    const auto& r = review.as_object();
    if (text_of(r, "decision", kNameMax) != decision) continue;
    if (!names.empty()) names += ", ";
    names += text_of(r, "reviewer", kNameMax);
  }
  return names;
}

void add_fact(ChatMessage& message, std::string label, std::string value) {
  if (!value.empty()) message.facts.push_back({std::move(label), std::move(value)});
}

// request.*, breakglass*: the data is a Request (docs/api.md).
ChatMessage request_message(const OutboxEvent& event, std::string_view page_origin) {
  const json::object& data = event.data;
  const std::string requester = text_of(data, "requester", kNameMax);
  const std::string role = text_of(data, "role", kNameMax);
  const std::string duration = text_of(data, "duration", kNameMax);
  ChatMessage message;
  if (event.event == "request.created") {
    message.headline = requester + " asks for " + role + " for " + duration;
  } else if (event.event == "request.approved") {
    message.headline = requester + "'s request for " + role + " for " + duration + " was approved";
  } else if (event.event == "request.denied") {
    message.headline = requester + "'s request for " + role + " for " + duration + " was denied";
  } else {
    message.alert = true;
    message.headline =
        (event.event == "breakglass.repeated" ? "Repeated break-glass: " : "Break-glass: ") +
        requester + " took " + role + " for " + duration;
  }
  add_fact(message, "Reason", text_of(data, "reason", kReasonMax));
  add_fact(message, "Ticket", text_of(data, "ticket", kShortMax));
  if (flag_of(data, "breakglass")) {
    add_fact(message, "Break-glass", "yes");
    add_fact(message, "Incident", text_of(data, "incident", kShortMax));
  } else {
    std::string approvals = std::to_string(number_of(data, "approvals")) + " of " +
                            std::to_string(number_of(data, "approvals_required")) + " required";
    const std::string by = reviewers(data, "approve");
    if (!by.empty()) approvals += " (" + by + ")";
    add_fact(message, "Approvals", approvals);
    add_fact(message, "Denied by", reviewers(data, "deny"));
  }
  const std::string id = text_of(data, "id", kNameMax);
  add_fact(message, "Request", id);
  message.link = request_page_link(page_origin, id);
  return message;
}

// grant.*: the data is a Grant.
ChatMessage grant_message(const OutboxEvent& event, std::string_view page_origin) {
  const json::object& data = event.data;
  ChatMessage message;
  message.headline = text_of(data, "user", kNameMax) + "'s grant of " +
                     text_of(data, "role", kNameMax) +
                     (event.event == "grant.revoked" ? " was revoked" : " expired");
  add_fact(message, "Why", text_of(data, "end_reason", kShortMax));
  if (flag_of(data, "breakglass")) add_fact(message, "Break-glass", "yes");
  add_fact(message, "Grant", text_of(data, "id", kNameMax));
  const std::string request = text_of(data, "request", kNameMax);
  add_fact(message, "Request", request);
  message.link = request_page_link(page_origin, request);
  return message;
}

ChatMessage chat_message(const OutboxEvent& event, std::string_view page_origin) {
  const std::string& name = event.event;
  if (name.starts_with("request.") || name.starts_with("breakglass")) {
    return request_message(event, page_origin);
  }
  if (name.starts_with("grant.")) return grant_message(event, page_origin);
  ChatMessage message;
  const std::string user = text_of(event.data, "user", kNameMax);
  if (name == "user.locked") {
    message.headline = user + "'s account was locked";
  } else if (name == "passkey.registered") {
    message.headline = user + " registered a passkey";
  } else if (name == "passkey.removed") {
    message.headline = user + "'s passkey was removed";
  } else {
    message.headline = "jitbroker event " + name;
  }
  return message;
}

// Slack mrkdwn for one piece of text: it opens no link, mention or markup.
std::string slack_mrkdwn(const ChatFact& fact) {
  return "*" + fact.label + "*\n" + slack_escape(fact.value);
}

json::object slack_text(std::string text) {
  // verbatim: Slack leaves URLs and names in the text as they are (no auto-linking).
  return json::object{{"type", "mrkdwn"}, {"text", std::move(text)}, {"verbatim", true}};
}

// A TextRun is plain text in Adaptive Cards: no markdown, no mention.
json::object teams_run(std::string text, bool bold = false) {
  json::object run{{"type", "TextRun"}, {"text", std::move(text)}};
  if (bold) run["weight"] = "Bolder";
  return run;
}

}  // namespace

std::string bounded_text(std::string_view text, std::size_t max_code_points) {
  std::string out;
  std::size_t points = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (points == max_code_points) {
      out += kEllipsis;
      return out;
    }
    if (lead < 0x20 || lead == 0x7F) {
      out += ' ';  // line breaks and control characters: one line per value
    } else {
      out.append(text.substr(i, std::min(length, text.size() - i)));
    }
    i += length;
    ++points;
  }
  return out;
}

std::string slack_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '*':
      case '_':
      case '~':
      case '`':
      case '@':
        out += c;
        out += kZeroWidth;  // cannot pair into markup, nor start a mention
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string request_page_link(std::string_view page_origin, std::string_view request_id) {
  const bool plain = !request_id.empty() && request_id.size() <= 64 &&
                     std::all_of(request_id.begin(), request_id.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_';
                     });
  if (!plain || page_origin.empty()) return {};
  return std::string(page_origin) + "/#request=" + std::string(request_id);
}

std::string slack_body(const OutboxEvent& event, std::string_view page_origin) {
  const ChatMessage message = chat_message(event, page_origin);
  const std::string headline =
      (message.alert ? ":rotating_light: " : "") + slack_escape(message.headline);
  json::array blocks;
  blocks.push_back(json::object{{"type", "section"}, {"text", slack_text("*" + headline + "*")}});
  if (!message.facts.empty()) {
    json::array fields;
    for (const auto& fact : message.facts) {
      fields.push_back(slack_text(slack_mrkdwn(fact)));
      if (fields.size() == 10) break;  // Slack's limit per section
    }
    blocks.push_back(json::object{{"type", "section"}, {"fields", std::move(fields)}});
  }
  if (!message.link.empty()) {
    // A link, never a button: approving takes a fresh second factor on the page or the CLI.
    blocks.push_back(json::object{
        {"type", "context"},
        {"elements",
         json::array{slack_text("<" + message.link + "|" + std::string(kPageLinkText) + ">")}}});
  }
  return json::serialize(json::object{{"text", headline}, {"blocks", std::move(blocks)}});
}

std::string teams_body(const OutboxEvent& event, std::string_view page_origin) {
  const ChatMessage message = chat_message(event, page_origin);
  json::object headline_run = teams_run(message.headline, true);
  headline_run["size"] = "Medium";
  if (message.alert) headline_run["color"] = "Attention";
  json::array body;
  body.push_back(
      json::object{{"type", "RichTextBlock"}, {"inlines", json::array{std::move(headline_run)}}});
  for (const auto& fact : message.facts) {
    body.push_back(json::object{
        {"type", "RichTextBlock"},
        {"inlines", json::array{teams_run(fact.label + ": ", true), teams_run(fact.value)}}});
  }
  if (!message.link.empty()) {
    // The link is ours (request_page_link checked the id); a plain link, never an approve button.
    body.push_back(
        json::object{{"type", "TextBlock"},
                     {"wrap", true},
                     {"text", "[" + std::string(kPageLinkText) + "](" + message.link + ")"}});
  }
  json::object card{{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
                    {"type", "AdaptiveCard"},
                    {"version", "1.4"},
                    {"body", std::move(body)}};
  json::object attachment{{"contentType", "application/vnd.microsoft.card.adaptive"},
                          {"contentUrl", nullptr},
                          {"content", std::move(card)}};
  return json::serialize(
      json::object{{"type", "message"}, {"attachments", json::array{std::move(attachment)}}});
}

}  // namespace jit::broker
