// machi check FILE…: does what `machi serve` would do with these manifests, in a scratch data
// directory that is deleted afterwards — the same Municipalities, the same loader (every plugin
// build probed in a throwaway process first), every instance created, every mini-app's data
// imported — and reports everything serve would refuse (errors) or warn about (a mini-app that
// would serve degraded, a data set accepted with warnings). Exit 0 and "ok" mean serve will serve
// every enabled mini-app; exit 1 when anything would be refused or fail to start.
#include <unistd.h>

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/cli/commands.h"
#include "runtime/live/live_hub.h"
#include "runtime/log/log.h"
#include "runtime/routing/municipalities.h"

namespace machi::cli {
namespace fs = std::filesystem;

namespace {

// The plugin's health details as lines: its "warnings" (strings) when it lists them.
std::vector<std::string> detail_lines(const std::string& detail_json) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(detail_json, ec);
  if (ec || !v.is_object()) return out;
  if (const auto* w = v.as_object().if_contains("warnings"); w && w->is_array()) {
    for (const auto& item : w->as_array()) {
      if (item.is_string()) out.emplace_back(item.as_string());
    }
  }
  return out;
}

}  // namespace

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
  if (!::mkdtemp(scratch.data())) {
    std::perror("machi check: scratch directory");
    return 1;
  }
  // What check finds is printed below, once; the serving log lines would only repeat it.
  set_min_log_level(LogLevel::kError);
  size_t errors = 0;
  {
    std::error_code self_error;
    fs::path self = fs::read_symlink("/proc/self/exe", self_error);
    LiveHub live;
    PluginLoader loader(fs::path(scratch) / "plugin-cache");
    if (!self.empty()) loader.set_probe_executable(self);
    Municipalities municipalities(loader, {plugin_dirs, fs::path(scratch) / "data", &live, self});
    for (const fs::path& file : files) {
      std::vector<std::string> problems = municipalities.load(file);
      std::vector<std::string> warnings;
      const fs::path absolute = fs::absolute(file).lexically_normal();
      std::shared_ptr<const MunicipalitySnapshot> loaded;
      for (const auto& m : municipalities.all()) {
        if (m->manifest.file == absolute) loaded = m;
      }
      if (loaded) {
        for (const auto& failed : loaded->failed) problems.push_back(failed.reason);
        for (const auto& app : loaded->apps) {
          AppHealth health = app_health(*app);
          if (health.state == AppState::kOk && health.detail_json.empty()) continue;
          std::string where = "/mini_apps/" + std::to_string(app->entry.index) + " ('" + app->entry.id + "'): ";
          if (health.state != AppState::kOk) warnings.push_back(where + "would serve degraded: " + health.reason);
          for (const auto& line : detail_lines(health.detail_json)) warnings.push_back(where + line);
        }
      }
      for (const auto& p : problems) std::printf("%s: %s\n", file.c_str(), p.c_str());
      for (const auto& w : warnings) std::printf("%s: warning: %s\n", file.c_str(), w.c_str());
      if (problems.empty()) {
        std::printf("%s: ok (%zu mini-apps%s)\n", file.c_str(), loaded ? loaded->manifest.mini_apps.size() : 0,
                    warnings.empty() ? "" : (", " + std::to_string(warnings.size()) + " warning(s)").c_str());
      }
      errors += problems.size();
    }
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return errors == 0 ? 0 : 1;
}

}  // namespace machi::cli
