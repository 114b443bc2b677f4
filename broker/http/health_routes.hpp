// Routes every broker serves without authentication: liveness and Prometheus metrics.
#pragma once

namespace jit::broker {

class Router;
class Metrics;

// GET /healthz -> 200 {"status":"ok"}; GET /metrics -> 200 text/plain; version=0.0.4.
// `metrics` must outlive the router.
void add_health_routes(Router& router, Metrics& metrics);

}  // namespace jit::broker
