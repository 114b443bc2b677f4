// The webhook URLs of the config with their signing secrets, read when the broker starts: a
// secret file (checked already when the config was read, read again here) or an environment
// variable (config/broker_config.hpp, WebhookSigning).
#pragma once

#include "broker/workers/event_delivery.hpp"
#include "config/broker_config.hpp"

#include <vector>

namespace jit::broker {

// Throws std::runtime_error naming the config key (never the secret) when a secret is missing or
// unusable.
std::vector<WebhookTarget> webhook_targets(const config::WebhookSettings& settings);

}  // namespace jit::broker
