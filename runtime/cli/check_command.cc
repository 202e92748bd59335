// machi check FILE: validates a manifest and every plugin it enables — the plugin file loads and
// negotiates, and the plugin's own config check accepts the mini-app's config — without creating
// instances or data. Prints every problem with its JSON pointer; exit 1 when there is any.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/cli/commands.h"
#include "runtime/manifest/manifest.h"
#include "runtime/plugin/plugin_instance.h"
#include "runtime/plugin/plugin_loader.h"

namespace machi::cli {
namespace fs = std::filesystem;

int check(const Args& args) {
  std::vector<fs::path> files, plugin_dirs;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--plugin-dir" && i + 1 < args.size()) plugin_dirs.emplace_back(args[++i]);
    else if (!args[i].starts_with("--")) files.emplace_back(args[i]);
    else {
      std::fprintf(stderr, "machi check: bad option '%s'\n", args[i].c_str());
      return 2;
    }
  }
  if (files.empty()) {
    std::fputs("usage: machi check FILE [FILE…] [--plugin-dir DIR…]\n", stderr);
    return 2;
  }
  if (plugin_dirs.empty()) {
    for (const auto& dir : default_plugin_dirs()) plugin_dirs.emplace_back(dir);
  }
  std::string scratch = (fs::temp_directory_path() / "machi-check-XXXXXX").string();
  if (!::mkdtemp(scratch.data())) scratch = (fs::temp_directory_path() / "machi-check").string();
  PluginLoader loader(fs::path(scratch) / "cache");
  size_t total = 0;
  for (const fs::path& file : files) {
    std::vector<std::string> problems;
    std::vector<ManifestProblem> manifest_problems;
    auto manifest = load_manifest(file, manifest_problems);
    for (const auto& p : manifest_problems) problems.push_back(p.pointer + ": " + p.message);
    if (!manifest && manifest_problems.empty()) problems.push_back(manifest.error());
    if (manifest) {
      for (const MiniAppEntry& app : manifest->mini_apps) {
        if (!app.enabled) continue;
        std::string at = "/mini_apps/" + std::to_string(app.index);
        auto path = resolve_plugin(manifest.value(), app, plugin_dirs);
        auto plugin = path ? loader.load(path.value())
                           : Result<std::shared_ptr<const LoadedPlugin>>(path.status());
        if (!plugin) {
          problems.push_back(at + "/plugin: " + plugin.error());
          continue;
        }
        auto config = validate_config(*plugin.value(), app.config_json);
        if (!config) problems.push_back(at + "/config: " + config.error());
        else for (const auto& p : config.value()) problems.push_back(at + "/config" + p.path + ": " + p.message);
      }
    }
    for (const auto& p : problems) std::printf("%s: %s\n", file.c_str(), p.c_str());
    if (problems.empty()) {
      std::printf("%s: ok (%zu mini-apps)\n", file.c_str(), manifest->mini_apps.size());
    }
    total += problems.size();
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return total == 0 ? 0 : 1;
}

}  // namespace machi::cli
