// A plugin's own screens, embedded at build time (CMake: machi_plugin_assets(<target> <dir>)) and
// served from the plugin under /ui/. The web app shows them in a sandboxed frame; they reach the
// plugin's backend through the shell's bridge (docs/web-app.md).
#pragma once

#include <span>
#include <string_view>

#include "machi/sdk/request.h"

namespace machi::sdk {

struct Asset {
  std::string_view path;          // below the assets directory, e.g. "index.html", "js/app.js"
  std::string_view content_type;
  std::string_view bytes;
};

// Defined by the file machi_plugin_assets() generates.
std::span<const Asset> embedded_assets();

// Answers a GET for `prefix` + an asset's path ("/ui/" alone is "index.html"): true when the
// request was for an asset path (answered 200, or 404 for an unknown one), false otherwise.
inline bool serve_asset(const Request& request, Response& response, std::string_view prefix = "/ui/") {
  std::string_view path = request.path();
  if (!path.starts_with(prefix)) return false;
  std::string_view name = path.substr(prefix.size());
  if (name.empty()) name = "index.html";
  for (const Asset& asset : embedded_assets()) {
    if (asset.path == name && request.method() == "GET") {
      response.text(std::string(asset.bytes), std::string(asset.content_type))
          .header("Cache-Control", "no-cache");
      return true;
    }
  }
  response.json(boost::json::object{{"error", boost::json::object{{"code", "not_found"},
                                                                  {"message", "no such screen file"}}}},
                404);
  return true;
}

}  // namespace machi::sdk
