#include "runtime/routing/municipalities.h"

#include <boost/json/parse.hpp>

#include <algorithm>

#include "runtime/log/log.h"
#include "runtime/plugin/remote_instance.h"

namespace machi {

std::shared_ptr<const MountedApp> MunicipalitySnapshot::find(std::string_view id) const {
  for (const auto& app : apps) {
    if (app->entry.id == id) return app;
  }
  return nullptr;
}

const FailedMount* MunicipalitySnapshot::find_failed(std::string_view id) const {
  for (const auto& f : failed) {
    if (f.entry.id == id) return &f;
  }
  return nullptr;
}

void HealthCache::store(HealthReport report) {
  std::lock_guard lock(mutex_);
  report_ = std::move(report);
}

HealthReport HealthCache::load() const {
  std::lock_guard lock(mutex_);
  return report_;
}

const char* app_state_name(AppState state) {
  switch (state) {
    case AppState::kOk: return "ok";
    case AppState::kDegraded: return "degraded";
    case AppState::kFailed: return "failed";
  }
  return "ok";
}

AppHealth app_health(const MountedApp& app) {
  AppHealth out;
  HealthReport last = app.health ? app.health->load() : HealthReport{};
  if (!app.instance->reusable()) {  // an out-of-process instance that gave up after a crash loop
    out.state = AppState::kFailed;
    out.reason = last.reason.empty() ? "the plugin host kept crashing" : last.reason;
    return out;
  }
  out.detail_json = last.detail_json;
  if (!app.instance->healthy()) {
    out.state = AppState::kDegraded;
    out.reason = app.instance->unhealthy_reason();
    if (out.reason.empty()) out.reason = "a hook failed internally (see the log)";
  } else if (!last.healthy) {
    out.state = AppState::kDegraded;
    out.reason = last.reason;
  } else if (app.breaker && app.breaker->state(std::chrono::steady_clock::now()) != CircuitBreaker::State::kClosed) {
    out.state = AppState::kDegraded;
    out.reason = "circuit breaker open after repeated failures";
  } else if (!last.detail_json.empty()) {
    boost::system::error_code ec;
    auto detail = boost::json::parse(last.detail_json, ec);
    if (!ec && detail.is_object()) {
      if (const auto* d = detail.as_object().if_contains("degraded"); d && d->is_string()) {
        out.state = AppState::kDegraded;
        out.reason = std::string(d->as_string());
      }
    }
  }
  return out;
}

std::string directory_fingerprint(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  if (dir.empty()) return "";
  std::vector<std::string> entries;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  for (size_t n = 0; !ec && it != end && n < 10'000; it.increment(ec), ++n) {
    std::error_code e;
    if (!it->is_regular_file(e)) continue;
    auto size = it->file_size(e);
    auto mtime = it->last_write_time(e).time_since_epoch().count();
    if (e) continue;
    entries.push_back(fs::relative(it->path(), dir, e).string() + "\t" + std::to_string(size) + "\t" +
                      std::to_string(mtime));
  }
  if (ec) return "error: " + ec.message();
  std::sort(entries.begin(), entries.end());
  std::string out;
  for (const auto& e : entries) out += e + "\n";
  return out;
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
  // One mount: its instance (new, or the previous one when nothing changed), or nullptr with
  // what went wrong in `entry_problems`.
  auto mount = [&](const MiniAppEntry& entry, const std::string& fingerprint,
                   std::vector<std::string>& entry_problems) -> std::shared_ptr<MountedApp> {
    std::string where = "/mini_apps/" + std::to_string(entry.index) + " ('" + entry.id + "'): ";
    auto path = resolve_plugin(manifest, entry, options_.plugin_dirs);
    if (!path) {
      entry_problems.push_back(where + path.error());
      return nullptr;
    }
    const bool remote = entry.isolation == "process";
    // Out of process, the runtime never maps the plugin's code: the host loads it and checks
    // the config; in process, both happen here.
    auto plugin = remote ? loader_.stage(path.value()) : loader_.load(path.value());
    if (!plugin) {
      entry_problems.push_back(where + plugin.error());
      return nullptr;
    }
    auto report_config = [&](const std::vector<ConfigProblem>& found) {
      for (const ConfigProblem& p : found) {
        entry_problems.push_back("/mini_apps/" + std::to_string(entry.index) + "/config" + p.path + ": " +
                           p.message);
      }
    };
    if (!remote) {
      auto config_problems = validate_config(*plugin.value(), entry.config_json);
      if (!config_problems) {
        entry_problems.push_back(where + config_problems.error());
        return nullptr;
      }
      report_config(config_problems.value());
      if (!config_problems.value().empty()) return nullptr;
    }

    auto mounted = std::make_shared<MountedApp>();
    mounted->entry = entry;
    mounted->metrics = metrics_.app(manifest.municipality_id, entry.id);
    std::shared_ptr<const MountedApp> old = previous ? previous->find(entry.id) : nullptr;
    if (old && old->instance->reusable() && old->instance->healthy() &&
        old->data_fingerprint == fingerprint && old->entry.isolation == entry.isolation &&
        old->instance->plugin().sha256 == plugin.value()->sha256 &&
        old->entry.config_json == entry.config_json &&
        old->entry.deadline == entry.deadline && old->entry.job_quota == entry.job_quota &&
        old->entry.data_dir == entry.data_dir &&
        old->entry.process_workers == entry.process_workers &&
        old->entry.crash_limit == entry.crash_limit &&
        old->entry.crash_window == entry.crash_window &&
        previous->manifest.timezone == manifest.timezone) {
      mounted->instance = old->instance;  // unchanged: keep serving on the same instance
      mounted->health = old->health;
      mounted->data_fingerprint = old->data_fingerprint;
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
        return id && id->consents().account_for_subject(mount, subject).has_value();
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
          if (config_problems.empty()) entry_problems.push_back(where + instance.error());
          report_config(config_problems);
          return nullptr;
        }
        mounted->instance = std::shared_ptr<RemoteInstance>(std::move(instance).value());
      } else {
        auto instance = PluginInstance::create(plugin.value(), options);
        if (!instance) {
          entry_problems.push_back(where + instance.error());
          return nullptr;
        }
        mounted->instance = std::shared_ptr<PluginInstance>(std::move(instance).value());
      }
      mounted->in_flight = std::make_shared<std::atomic<int>>(0);
      mounted->breaker = std::make_shared<CircuitBreaker>(entry.breaker_failures, entry.breaker_open);
      mounted->health = std::make_shared<HealthCache>();
      mounted->health->store(mounted->instance->health());
      mounted->data_fingerprint = fingerprint;
    }
    return mounted;
  };
  for (const MiniAppEntry& entry : manifest.mini_apps) {
    if (!entry.enabled) continue;
    const std::string fingerprint = directory_fingerprint(entry.data_dir);
    std::vector<std::string> entry_problems;
    if (auto mounted = mount(entry, fingerprint, entry_problems)) {
      snapshot->apps.push_back(std::move(mounted));
      continue;
    }
    // Start with what works: on a first load, and for a mount that was failed already, the
    // failure is this mount's alone; otherwise the change is kept out (the last good state).
    if (!previous || previous->find_failed(entry.id)) {
      std::string reason;
      for (const auto& p : entry_problems) reason += (reason.empty() ? "" : "; ") + p;
      log_line(LogLevel::kError, "manifest", "mini-app could not start; the others serve",
               {{"municipality", manifest.municipality_id}, {"mini_app", entry.id}, {"reason", reason}});
      snapshot->failed.push_back({entry, std::move(reason), fingerprint});
    } else {
      problems.insert(problems.end(), entry_problems.begin(), entry_problems.end());
    }
  }
  if (!problems.empty()) return nullptr;
  return snapshot;
}

std::vector<std::string> Municipalities::load(const std::filesystem::path& given) {
  const std::filesystem::path file = std::filesystem::absolute(given).lexically_normal();
  std::lock_guard reload(*reload_mutex_);
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
    for (const std::string& subject : identity->consents().pending_erasures(app->entry.id)) {
      if (app->instance->erase_subject(subject)) {
        identity->consents().remove_pending_erasure(app->entry.id, subject);
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

void Municipalities::refresh_health() {
  for (const auto& m : all()) {
    for (const auto& app : m->apps) app->health->store(app->instance->health());
  }
}

bool Municipalities::data_dirs_settled_changed() {
  std::lock_guard poll(poll_mutex_);
  // data_dir → the fingerprint its mounts started with (a failed mount: its last try).
  std::map<std::filesystem::path, std::string> started;
  for (const auto& m : all()) {
    for (const auto& app : m->apps) {
      if (!app->entry.data_dir.empty()) started.emplace(app->entry.data_dir, app->data_fingerprint);
    }
    for (const auto& f : m->failed) {
      if (!f.entry.data_dir.empty()) started.emplace(f.entry.data_dir, f.data_fingerprint);
    }
  }
  bool reload = false;
  std::map<std::filesystem::path, std::string> now;
  for (const auto& [dir, at_start] : started) {
    std::string current = directory_fingerprint(dir);
    auto seen = seen_fingerprints_.find(dir);
    // Changed since the mount started, and the same as one poll ago: the files have settled.
    if (current != at_start && seen != seen_fingerprints_.end() && seen->second == current) reload = true;
    now.emplace(dir, std::move(current));
  }
  seen_fingerprints_ = std::move(now);
  return reload;
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
