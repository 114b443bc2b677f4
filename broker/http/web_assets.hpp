// The web approval page's static files (approvals/web/), compiled into the broker at build time by
// cmake/EmbedWebAssets.cmake. Serving them needs no path at run time, and only these names exist.
#pragma once

#include <span>
#include <string_view>

namespace jit::broker {

struct WebAsset {
  std::string_view name;          // "app.js": letters, digits, '-', '_' and an extension
  std::string_view content_type;  // from the extension, e.g. "text/javascript; charset=utf-8"
  std::string_view body;
};

// Every file of approvals/web/, sorted by name. Defined in the generated web_assets.cpp.
std::span<const WebAsset> web_assets();

}  // namespace jit::broker
