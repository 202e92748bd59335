#include "runtime/routing/municipalities.h"

#include "runtime/log/log.h"
#include "runtime/plugin/remote_instance.h"

namespace machi {

std::shared_ptr<const MountedApp> MunicipalitySnapshot::find(std::string_view id) const {
  for (const auto& app : apps) {
    if (app->entry.id == id) return app;
  }
  return nullptr;
}

Municipalities::Municipalities(PluginLoader& loader, MunicipalitiesOptions options)
    : loader_(loader), options_(std::move(options)) {}

std::string Municipalities::hostname_owner(const std::string& host,
                                           const std::filesystem::path& except) const {
  for (const auto& [file, entry] : entries_) {
    if (file == except || !entry.snapshot) continue;
    const auto& names = entry.snapshot->manifest.hostnames;
    if (std::find(names.begin(), names.end(), host) != names.end()) return file.string();
  }
  return "";
}

std::shared_ptr<const MunicipalitySnapshot> Municipalities::build(
    const Manifest& manifest, const MunicipalitySnapshot* previous,
    const std::shared_ptr<identity::MunicipalityIdentity>& identity,
    std::vector<std::string>& problems) {
  auto snapshot = std::make_shared<MunicipalitySnapshot>();
  snapshot->manifest = manifest;
  for (const MiniAppEntry& entry : manifest.mini_apps) {
    if (!entry.enabled) continue;
    std::string where = "/mini_apps/" + std::to_string(entry.index) + " ('" + entry.id + "'): ";
    auto path = resolve_plugin(manifest, entry, options_.plugin_dirs);
    if (!path) {
      problems.push_back(where + path.error());
      continue;
    }
    const bool remote = entry.isolation == "process";
    // Out of process, the runtime never maps the plugin's code: the host loads it and checks
    // the config; in process, both happen here.
    auto plugin = remote ? loader_.stage(path.value()) : loader_.load(path.value());
    if (!plugin) {
      problems.push_back(where + plugin.error());
      continue;
    }
    auto report_config = [&](const std::vector<ConfigProblem>& found) {
      for (const ConfigProblem& p : found) {
        problems.push_back("/mini_apps/" + std::to_string(entry.index) + "/config" + p.path + ": " +
                           p.message);
      }
    };
    if (!remote) {
      auto config_problems = validate_config(*plugin.value(), entry.config_json);
      if (!config_problems) {
        problems.push_back(where + config_problems.error());
        continue;
      }
      report_config(config_problems.value());
      if (!config_problems.value().empty()) continue;
    }

    auto mounted = std::make_shared<MountedApp>();
    mounted->entry = entry;
    mounted->metrics = metrics_.app(manifest.municipality_id, entry.id);
    std::shared_ptr<const MountedApp> old = previous ? previous->find(entry.id) : nullptr;
    if (old && old->instance->reusable() && old->entry.isolation == entry.isolation &&
        old->instance->plugin().sha256 == plugin.value()->sha256 &&
        old->entry.config_json == entry.config_json &&
        old->entry.deadline == entry.deadline && old->entry.job_quota == entry.job_quota &&
        old->entry.data_dir == entry.data_dir &&
        old->entry.process_workers == entry.process_workers &&
        old->entry.crash_limit == entry.crash_limit &&
        old->entry.crash_window == entry.crash_window &&
        previous->manifest.timezone == manifest.timezone) {
      mounted->instance = old->instance;  // unchanged: keep serving on the same instance
      mounted->in_flight = old->in_flight;
      bool same_breaker = old->entry.breaker_failures == entry.breaker_failures &&
                          old->entry.breaker_open == entry.breaker_open;
      mounted->breaker = same_breaker ? old->breaker
                                      : std::make_shared<CircuitBreaker>(entry.breaker_failures, entry.breaker_open);
    } else {
      InstanceOptions options;
      options.municipality_id = manifest.municipality_id;
      options.mount_id = entry.id;
      options.config_json = entry.config_json;
      options.database_file =
          options_.data_dir / manifest.municipality_id / "apps" / (entry.id + ".db");
      options.live = options_.live;
      options.deadline = entry.deadline;
      options.timezone = manifest.timezone;
      options.job_quota = entry.job_quota;
      options.data_dir = entry.data_dir;
      options.known_subject = [identity = std::weak_ptr(identity), mount = entry.id](std::string_view subject) {
        auto id = identity.lock();
        return id && id->accounts().account_for_subject(mount, subject).has_value();
      };
      if (remote) {
        RemoteOptions remote_options;
        remote_options.instance = std::move(options);
        remote_options.executable = options_.plugin_host;
        remote_options.staged = plugin.value();
        remote_options.cache_dir = loader_.cache_dir();
        remote_options.workers = entry.process_workers;
        remote_options.crash_limit = entry.crash_limit;
        remote_options.crash_window = entry.crash_window;
        remote_options.on_restart = [metrics = mounted->metrics] {
          metrics->host_restarts.fetch_add(1, std::memory_order_relaxed);
        };
        std::vector<ConfigProblem> config_problems;
        auto instance = RemoteInstance::create(std::move(remote_options), config_problems);
        if (!instance) {
          if (config_problems.empty()) problems.push_back(where + instance.error());
          report_config(config_problems);
          continue;
        }
        mounted->instance = std::shared_ptr<RemoteInstance>(std::move(instance).value());
      } else {
        auto instance = PluginInstance::create(plugin.value(), options);
        if (!instance) {
          problems.push_back(where + instance.error());
          continue;
        }
        mounted->instance = std::shared_ptr<PluginInstance>(std::move(instance).value());
      }
      mounted->in_flight = std::make_shared<std::atomic<int>>(0);
      mounted->breaker = std::make_shared<CircuitBreaker>(entry.breaker_failures, entry.breaker_open);
    }
    snapshot->apps.push_back(std::move(mounted));
  }
  if (!problems.empty()) return nullptr;
  return snapshot;
}

std::vector<std::string> Municipalities::load(const std::filesystem::path& given) {
  const std::filesystem::path file = std::filesystem::absolute(given).lexically_normal();
  std::lock_guard reload(reload_mutex_);
  std::vector<std::string> problems;
  std::vector<ManifestProblem> manifest_problems;
  auto manifest = load_manifest(file, manifest_problems);
  std::shared_ptr<const MunicipalitySnapshot> previous;
  {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(file); it != entries_.end()) previous = it->second.snapshot;
  }
  if (!manifest) {
    if (manifest_problems.empty()) problems.push_back(manifest.error());
    for (const auto& p : manifest_problems) problems.push_back(p.pointer + ": " + p.message);
  } else {
    std::lock_guard lock(mutex_);
    for (const std::string& host : manifest->hostnames) {
      std::string owner = hostname_owner(host, file);
      if (!owner.empty()) problems.push_back("/hostnames: '" + host + "' is already served by " + owner);
    }
    for (const auto& [other, entry] : entries_) {
      if (other != file && entry.snapshot &&
          entry.snapshot->manifest.municipality_id == manifest->municipality_id) {
        problems.push_back("/municipality: '" + manifest->municipality_id +
                           "' is already served by " + other.string());
      }
    }
  }
  std::shared_ptr<const MunicipalitySnapshot> next;
  std::shared_ptr<identity::MunicipalityIdentity> identity;
  if (problems.empty()) {
    std::lock_guard lock(mutex_);
    auto& slot = identities_[manifest->municipality_id];
    if (!slot) {
      auto opened = identity::MunicipalityIdentity::open(
          options_.data_dir / manifest->municipality_id, manifest->municipality_id);
      if (opened) slot = opened.value();
      else problems.push_back("identity: " + opened.error());
    }
    identity = slot;
  }
  if (problems.empty()) {
    next = build(manifest.value(), previous.get(), identity, problems);
  }
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[file];
  entry.problems = problems;
  if (!problems.empty()) {
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    log_line(LogLevel::kError, "manifest",
             previous ? "invalid change kept out; the last good manifest keeps serving"
                      : "manifest not loaded",
             {{"file", file.string()}, {"problems", text}});
    return problems;
  }
  auto snapshot = std::const_pointer_cast<MunicipalitySnapshot>(next);
  snapshot->generation = next_generation_++;
  snapshot->identity = identity;
  entry.snapshot = next;
  for (auto it = hosts_.begin(); it != hosts_.end();) {
    it = (it->second->manifest.file == file) ? hosts_.erase(it) : std::next(it);
  }
  for (const std::string& host : next->manifest.hostnames) hosts_[host] = next;
  // Erasures owed since a resident deleted their account while a mini-app was disabled.
  for (const auto& app : next->apps) {
    for (const std::string& subject : identity->accounts().pending_erasures(app->entry.id)) {
      if (app->instance->erase_subject(subject)) {
        identity->accounts().remove_pending_erasure(app->entry.id, subject);
      } else {
        log_line(LogLevel::kError, "identity", "pending erasure failed; retried at the next load",
                 {{"mini_app", app->entry.id}});
      }
    }
  }
  log_line(LogLevel::kInfo, "manifest", previous ? "reloaded" : "loaded",
           {{"file", file.string()}, {"municipality", next->manifest.municipality_id},
            {"mini_apps", std::to_string(next->apps.size())},
            {"generation", std::to_string(next->generation)}});
  return problems;
}

void Municipalities::reload_all() {
  for (const auto& file : manifest_files()) load(file);
}

std::shared_ptr<const MunicipalitySnapshot> Municipalities::by_host(std::string_view host) const {
  std::lock_guard lock(mutex_);
  auto it = hosts_.find(host);
  return it == hosts_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const MunicipalitySnapshot>> Municipalities::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const MunicipalitySnapshot>> out;
  for (const auto& [file, entry] : entries_) {
    if (entry.snapshot) out.push_back(entry.snapshot);
  }
  return out;
}

std::vector<MunicipalityStatus> Municipalities::status() const {
  std::lock_guard lock(mutex_);
  std::vector<MunicipalityStatus> out;
  for (const auto& [file, entry] : entries_) {
    MunicipalityStatus s;
    s.manifest_file = file;
    if (entry.snapshot) {
      s.municipality_id = entry.snapshot->manifest.municipality_id;
      s.generation = entry.snapshot->generation;
    }
    s.problems = entry.problems;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::filesystem::path> Municipalities::manifest_files() const {
  std::lock_guard lock(mutex_);
  std::vector<std::filesystem::path> files;
  for (const auto& [file, entry] : entries_) files.push_back(file);
  return files;
}

}  // namespace machi
