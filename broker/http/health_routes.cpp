#include "broker/http/health_routes.hpp"

#include "broker/http/json_response.hpp"
#include "broker/http/metrics.hpp"
#include "broker/http/metrics_token.hpp"
#include "broker/http/readiness_monitor.hpp"
#include "broker/http/router.hpp"

#include <memory>

namespace jit::broker {

void add_health_routes(Router& router, Metrics& metrics,
                       const std::optional<std::string>& metrics_token,
                       const ReadinessMonitor* readiness) {
  router.add(http::verb::get, "/healthz", [](RequestContext&&, Responder respond) {
    respond(json_response(http::status::ok, boost::json::object{{"status", "ok"}}));
  });
  router.add(http::verb::get, "/readyz", [readiness](RequestContext&&, Responder respond) {
    boost::json::object results;
    std::string first_problem;
    if (readiness != nullptr) {
      for (auto& [name, problem] : readiness->results()) {
        if (!problem.empty() && first_problem.empty()) {
          first_problem = name + ": " + problem;
        }
        results[name] = problem.empty() ? std::string("ok") : std::move(problem);
      }
    }
    if (first_problem.empty()) {
      return respond(
          json_response(http::status::ok,
                        boost::json::object{{"status", "ready"}, {"checks", std::move(results)}}));
    }
    respond(json_response(http::status::service_unavailable,
                          boost::json::object{{"error", "not ready: " + first_problem},
                                              {"code", "unavailable"},
                                              {"checks", std::move(results)}}));
  });
  std::shared_ptr<const MetricsTokenCheck> check;
  if (metrics_token) check = std::make_shared<const MetricsTokenCheck>(*metrics_token);
  router.add(http::verb::get, "/metrics",
             [&metrics, check](RequestContext&& context, Responder respond) {
               if (check && !check->allows(context.request)) {
                 auto refused = error_response(http::status::unauthorized, "unauthenticated",
                                               "/metrics needs its bearer token");
                 refused.set(http::field::www_authenticate, "Bearer realm=\"metrics\"");
                 return respond(std::move(refused));
               }
               respond(text_response(http::status::ok, metrics.render(),
                                     "text/plain; version=0.0.4; charset=utf-8"));
             });
}

}  // namespace jit::broker
