// machi serve: loads each manifest's enabled mini-apps (one instance per mount, each with its own
// database) and runs until SIGINT/SIGTERM. The HTTP front end is the next milestone; until then
// serve loads, lists and keeps the instances alive.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "runtime/cli/commands.h"
#include "runtime/log/log.h"
#include "runtime/manifest/manifest.h"
#include "runtime/plugin/plugin_instance.h"
#include "runtime/plugin/plugin_loader.h"

namespace machi::cli {
namespace fs = std::filesystem;

namespace {

struct ServeOptions {
  std::vector<fs::path> manifests;
  std::vector<fs::path> plugin_dirs;
  fs::path data_dir = "data";
  bool once = false;
};

bool parse(const Args& args, ServeOptions& options) {
  for (size_t i = 0; i < args.size(); ++i) {
    bool has_next = i + 1 < args.size();
    if (args[i] == "--manifest" && has_next) options.manifests.emplace_back(args[++i]);
    else if (args[i] == "--plugin-dir" && has_next) options.plugin_dirs.emplace_back(args[++i]);
    else if (args[i] == "--data" && has_next) options.data_dir = args[++i];
    else if (args[i] == "--once") options.once = true;
    else {
      std::fprintf(stderr, "machi serve: bad option '%s'\n", args[i].c_str());
      return false;
    }
  }
  if (options.manifests.empty()) {
    std::fputs("machi serve: --manifest FILE is required\n", stderr);
    return false;
  }
  return true;
}

// Loads one manifest's enabled mini-apps into `instances`; false if any failed.
bool load_municipality(const fs::path& file, const ServeOptions& options, PluginLoader& loader,
                       std::vector<std::unique_ptr<PluginInstance>>& instances) {
  std::vector<ManifestProblem> problems;
  auto manifest = load_manifest(file, problems);
  if (!manifest) {
    std::fprintf(stderr, "machi: %s\n", manifest.error().c_str());
    return false;
  }
  const Manifest& m = manifest.value();
  std::printf("municipality %s (%s), %s\n", m.municipality_id.c_str(), m.name.c_str(),
              m.public_url.c_str());
  bool ok = true;
  for (const MiniAppEntry& app : m.mini_apps) {
    if (!app.enabled) {
      std::printf("  %-20s disabled\n", app.id.c_str());
      continue;
    }
    auto path = resolve_plugin(m, app, options.plugin_dirs);
    auto plugin = path ? loader.load(path.value()) : Result<std::shared_ptr<const LoadedPlugin>>(path.status());
    Result<std::vector<ConfigProblem>> config_problems =
        plugin ? validate_config(*plugin.value(), app.config_json)
               : Result<std::vector<ConfigProblem>>(plugin.status());
    if (config_problems && !config_problems.value().empty()) {
      std::string text = "mini-app '" + app.id + "': config is invalid:";
      for (const auto& p : config_problems.value()) {
        text += "\n    /mini_apps/" + app.id + "/config" + p.path + ": " + p.message;
      }
      config_problems = Status::error(text);
    }
    if (!config_problems) {
      std::fprintf(stderr, "machi: %s\n", config_problems.error().c_str());
      ok = false;
      continue;
    }
    InstanceOptions instance_options;
    instance_options.municipality_id = m.municipality_id;
    instance_options.mount_id = app.id;
    instance_options.config_json = app.config_json;
    instance_options.database_file = options.data_dir / m.municipality_id / "apps" / (app.id + ".db");
    auto instance = PluginInstance::create(plugin.value(), instance_options);
    if (!instance) {
      std::fprintf(stderr, "machi: %s\n", instance.error().c_str());
      ok = false;
      continue;
    }
    const LoadedPlugin& p = instance.value()->plugin();
    std::printf("  %-20s %s %s (ABI %u.%u, %s)\n", app.id.c_str(), p.id.c_str(),
                p.version.c_str(), p.abi_major, p.abi_minor,
                p.nonblocking() ? "non-blocking" : "worker pool");
    instances.push_back(std::move(instance).value());
  }
  return ok;
}

}  // namespace

int serve(const Args& args) {
  ServeOptions options;
  if (!parse(args, options)) return 2;
  // Block the stop signals before any thread exists, then wait for them synchronously.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  PluginLoader loader(plugin_cache_dir(options.data_dir.string()));
  std::vector<std::unique_ptr<PluginInstance>> instances;
  bool ok = true;
  for (const fs::path& file : options.manifests) {
    ok = load_municipality(file, options, loader, instances) && ok;
  }
  std::fflush(stdout);
  if (!ok) return 1;
  if (options.once) return 0;
  log_line(LogLevel::kInfo, "serve", "running; stop with Ctrl-C",
           {{"instances", std::to_string(instances.size())}});
  int signal = 0;
  sigwait(&stop, &signal);
  log_line(LogLevel::kInfo, "serve", "stopping", {{"signal", std::to_string(signal)}});
  instances.clear();  // destroys each instance: pending requests answered, then on_destroy
  return 0;
}

}  // namespace machi::cli
