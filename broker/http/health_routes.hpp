// Routes every broker serves without a session: liveness and Prometheus metrics.
#pragma once

#include <optional>
#include <string>

namespace jit::broker {

class Router;
class Metrics;

// GET /healthz -> 200 {"status":"ok"}; GET /metrics -> 200 text/plain; version=0.0.4, or, when
// `metrics_token` is set (broker.yaml metrics.bearer_token_env/_file), 401 JSON
// {"code":"unauthenticated"} unless the request carries `Authorization: Bearer TOKEN`.
// `metrics` must outlive the router.
void add_health_routes(Router& router, Metrics& metrics,
                       const std::optional<std::string>& metrics_token = std::nullopt);

}  // namespace jit::broker
