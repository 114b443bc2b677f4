// What a webhook URL receives for an outbox event, in the URL's format (docs/api.md, "Webhooks"):
// the project's JSON, or a Slack or Teams message (chat_formats.hpp). The same bytes on every
// attempt, so a receiver's signature check and deduplication by `id` both work on retries.
#pragma once

#include "broker/store/event_outbox.hpp"
#include "config/broker_config.hpp"

#include <string>
#include <string_view>

namespace jit::broker {

// `page_origin`: the approval page's origin, for the link to the request (empty: no link).
[[nodiscard]] std::string webhook_body(config::WebhookFormat format, const OutboxEvent& event,
                                       std::string_view page_origin);

}  // namespace jit::broker
