#include "broker/http/health_routes.hpp"

#include "broker/http/json_response.hpp"
#include "broker/http/metrics.hpp"
#include "broker/http/router.hpp"

namespace jit::broker {

void add_health_routes(Router& router, Metrics& metrics) {
  router.add(http::verb::get, "/healthz", [](RequestContext&&, Responder respond) {
    respond(json_response(http::status::ok, boost::json::object{{"status", "ok"}}));
  });
  router.add(http::verb::get, "/metrics", [&metrics](RequestContext&&, Responder respond) {
    respond(text_response(http::status::ok, metrics.render(),
                          "text/plain; version=0.0.4; charset=utf-8"));
  });
}

}  // namespace jit::broker
