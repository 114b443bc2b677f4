#include "broker/http/web_routes.hpp"

#include "broker/http/json_response.hpp"
#include "broker/http/router.hpp"

#include <stdexcept>
#include <string>

namespace jit::broker {

HttpResponse web_asset_response(const WebAsset& asset) {
  return text_response(http::status::ok, std::string(asset.body), asset.content_type);
}

void add_web_routes(Router& router, std::span<const WebAsset> assets) {
  const WebAsset* index = nullptr;
  for (const WebAsset& asset : assets) {
    if (asset.name == "index.html") index = &asset;
    // The asset list is static data that outlives the router, so handlers keep a pointer.
    router.add(
        http::verb::get, "/web/" + std::string(asset.name),
        [&asset](RequestContext&&, Responder respond) { respond(web_asset_response(asset)); });
  }
  if (index == nullptr) throw std::invalid_argument("the web page has no index.html");
  router.add(http::verb::get, "/",
             [index](RequestContext&&, Responder respond) { respond(web_asset_response(*index)); });
}

}  // namespace jit::broker
