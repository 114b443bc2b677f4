// The chat bodies of a webhook URL configured with `format: slack` or `format: teams`
// (docs/architecture.md, "Events"; docs/api.md, "Webhooks"): who asked for what role, for how
// long, why, the ticket, the approvals so far, break-glass and incident, and a plain link to the
// request on the approval page. Never an approve or deny button: a chat click carries no second
// factor. Pure formatting, no I/O; the delivery worker calls it once per format and event.
//
// Every text that comes from a user (names, reason, ticket, incident, comments) is bounded and
// escaped for the format, so it can neither add a link, a mention nor markup: Slack gets it as
// mrkdwn with &, <, > turned into entities and markup characters broken by a zero-width space;
// Teams gets it in Adaptive Card TextRuns, which are never read as markdown.
#pragma once

#include "broker/store/event_outbox.hpp"

#include <string>
#include <string_view>

namespace jit::broker {

// The approval page's link to one request: "<page_origin>/#request=<id>"; empty when the id is
// not one the broker makes (the link is then left out).
[[nodiscard]] std::string request_page_link(std::string_view page_origin,
                                            std::string_view request_id);

// A Slack incoming-webhook body: `text` (the notification fallback) and Block Kit `blocks`.
[[nodiscard]] std::string slack_body(const OutboxEvent& event, std::string_view page_origin);

// A Teams message body: one Adaptive Card (application/vnd.microsoft.card.adaptive) in
// `attachments`, as Teams incoming webhooks and Workflows accept it.
[[nodiscard]] std::string teams_body(const OutboxEvent& event, std::string_view page_origin);

// For tests: Slack's escaping of one user text, and the bound applied before it (in code points,
// a longer text ends with an ellipsis).
[[nodiscard]] std::string slack_escape(std::string_view text);
[[nodiscard]] std::string bounded_text(std::string_view text, std::size_t max_code_points);

}  // namespace jit::broker
