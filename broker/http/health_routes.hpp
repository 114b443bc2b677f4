// Routes every broker serves without a session: liveness, readiness and Prometheus metrics.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace jit::broker {

class Router;
class Metrics;

// One part /readyz checks (the CA signer today; a database check would be another): `probe`
// returns an empty string when the part works, else one line saying why not (no secrets: the
// answer is public). Probes run on the HTTP thread that serves /readyz, so they must be quick.
struct ReadinessCheck {
  std::string name;
  std::function<std::string()> probe;
};

// GET /readyz -> 200 {"status":"ready","checks":{NAME:"ok",...}} when every check passes, else 503
// {"error":..., "code":"unavailable", "checks":{NAME:"ok" or the problem}}: a load balancer sends
// no minting traffic to a broker whose CA key cannot sign (docs/api.md "Health").
// GET /healthz -> 200 {"status":"ok"}; GET /metrics -> 200 text/plain; version=0.0.4, or, when
// `metrics_token` is set (broker.yaml metrics.bearer_token_env/_file), 401 JSON
// {"code":"unauthenticated"} unless the request carries `Authorization: Bearer TOKEN`.
// `metrics` must outlive the router.
void add_health_routes(Router& router, Metrics& metrics,
                       const std::optional<std::string>& metrics_token = std::nullopt,
                       std::vector<ReadinessCheck> readiness = {});

}  // namespace jit::broker
