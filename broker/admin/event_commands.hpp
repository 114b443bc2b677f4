// `jit-broker events list [--failed]` and `jit-broker events retry ID|--all-failed`: the
// operator's view of the event outbox (docs/architecture.md, "Events"). Both run beside a running
// broker: list reads, retry is one short write job (audited) that makes failed events due again,
// which the running broker's delivery worker sends at its next poll.
#pragma once

#include "config/broker_config.hpp"

#include <iosfwd>
#include <optional>
#include <string>

namespace jit::broker {

// One line per event, newest first (at most `limit`): id, event, created (UTC), state (pending,
// delivered, failed), attempts, and the last delivery error (host only, never a URL path).
int run_events_list(const config::BrokerConfig& config, bool failed_only, std::size_t limit,
                    std::ostream& out);

// Retries the failed event `id`, or every failed event when `id` is empty. Prints "retried N
// event(s)"; an id that names no failed event is an error (exit 1, message on `err`).
int run_events_retry(const config::BrokerConfig& config, const std::optional<std::string>& id,
                     std::ostream& out, std::ostream& err);

}  // namespace jit::broker
