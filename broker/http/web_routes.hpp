// The web approval page: GET / answers index.html and GET /web/<name> each embedded file
// (broker/http/web_assets.hpp). Only those literal names are routes, so any other path under /web/
// is the router's 404 JSON and no request path is ever joined to a folder.
#pragma once

#include "broker/http/http_types.hpp"
#include "broker/http/web_assets.hpp"

#include <span>

namespace jit::broker {

class Router;

// The answer for one file: its bytes and content type, with the security headers (CSP, nosniff,
// no-referrer, HSTS) and Cache-Control: no-store, so a signed-out browser keeps no copy.
[[nodiscard]] HttpResponse web_asset_response(const WebAsset& asset);

// Adds GET / (the asset named index.html, which must be present) and GET /web/<name> for every
// asset. Throws std::invalid_argument at start-up when index.html is missing.
void add_web_routes(Router& router, std::span<const WebAsset> assets);

}  // namespace jit::broker
