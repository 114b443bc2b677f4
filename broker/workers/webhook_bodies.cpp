#include "broker/workers/webhook_bodies.hpp"

#include "broker/workers/chat_formats.hpp"

#include <boost/json/serialize.hpp>

namespace jit::broker {
namespace {

// The request an event is about: a request's or break-glass event's own id, a grant's request.
std::string_view request_of(const OutboxEvent& event) {
  const char* field = event.event.starts_with("grant.") ? "request" : "id";
  if (!event.event.starts_with("request.") && !event.event.starts_with("breakglass") &&
      !event.event.starts_with("grant.")) {
    return {};
  }
  const auto* value = event.data.if_contains(field);
  return value != nullptr && value->is_string() ? std::string_view(value->get_string())
                                                : std::string_view();
}

// `link` opens the request on the approval page, as the chat formats' link does.
std::string json_body(const OutboxEvent& event, std::string_view page_origin) {
  boost::json::object body;
  body["id"] = event.id;
  body["event"] = event.event;
  body["time"] = event.created_at;
  body["data"] = event.data;
  if (auto link = request_page_link(page_origin, request_of(event)); !link.empty()) {
    body["link"] = std::move(link);
  }
  return boost::json::serialize(body);
}

}  // namespace

std::string webhook_body(config::WebhookFormat format, const OutboxEvent& event,
                         std::string_view page_origin) {
  switch (format) {
    case config::WebhookFormat::slack:
      return slack_body(event, page_origin);
    case config::WebhookFormat::teams:
      return teams_body(event, page_origin);
    case config::WebhookFormat::json:
      break;
  }
  return json_body(event, page_origin);
}

}  // namespace jit::broker
