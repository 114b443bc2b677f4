// Routes every broker serves without a session: liveness, readiness and Prometheus metrics.
#pragma once

#include <optional>
#include <string>

namespace jit::broker {

class Router;
class Metrics;
class ReadinessMonitor;

// GET /readyz -> 200 {"status":"ready","checks":{NAME:"ok",...}} when every check of `readiness`
// passed its last probe, else 503 {"error":..., "code":"unavailable", "checks":{NAME:"ok" or the
// problem}}: a load balancer sends no minting traffic to a broker whose CA key cannot sign
// (docs/api.md "Health"). It answers from the monitor's last results and never probes itself.
// GET /healthz -> 200 {"status":"ok"}; GET /metrics -> 200 text/plain; version=0.0.4, or, when
// `metrics_token` is set (broker.yaml metrics.bearer_token_env/_file), 401 JSON
// {"code":"unauthenticated"} unless the request carries `Authorization: Bearer TOKEN`.
// `metrics` and `readiness` (null: no checks) must outlive the router.
void add_health_routes(Router& router, Metrics& metrics,
                       const std::optional<std::string>& metrics_token = std::nullopt,
                       const ReadinessMonitor* readiness = nullptr);

}  // namespace jit::broker
