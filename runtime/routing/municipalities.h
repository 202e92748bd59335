// Municipalities: every manifest this process serves, each as an immutable snapshot of its
// mounted mini-apps that a reload replaces atomically. A reload validates everything first
// (manifest, plugin files, each plugin's config check, instance creation) and only then swaps.
// Start with what works: on a municipality's first load, a mount that cannot be created (its
// plugin missing or kept out, its config refused, its data not importing) becomes a failed
// mount — listed with its reason, answered 503 mini_app_failed — and the others serve. On a
// later reload the rule is the last good state: a serving or new mount that fails keeps the
// whole change out (problems kept for /readyz), but a mount that was failed already and still
// fails does not block the rest. Every reload retries failed mounts. An unchanged mount (same
// plugin bytes, same config, same data_dir contents, healthy) keeps its instance across
// reloads; an unhealthy one, or one whose data_dir files changed, is started afresh. A
// replaced instance is destroyed when its last in-flight request lets go of it.
// Thread-safety: every method is thread-safe; reloads are serialized.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/identity/municipality_identity.h"
#include "runtime/live/live_hub.h"
#include "runtime/manifest/manifest.h"
#include "runtime/plugin/mini_app_instance.h"
#include "runtime/plugin/plugin_instance.h"
#include "runtime/plugin/plugin_loader.h"
#include "runtime/metrics/metrics.h"
#include "runtime/routing/circuit_breaker.h"

namespace machi {

// The last health() report of an instance, refreshed off the I/O threads (refresh_health):
// /readyz, /metrics and the status page read it without calling into the plugin.
struct HealthCache {
  void store(HealthReport report);
  HealthReport load() const;

 private:
  mutable std::mutex mutex_;
  HealthReport report_;
};

struct MountedApp {
  MiniAppEntry entry;
  std::shared_ptr<MiniAppInstance> instance;
  std::shared_ptr<std::atomic<int>> in_flight;  // shared by snapshots that keep the instance
  std::shared_ptr<CircuitBreaker> breaker;      // likewise (a new instance starts closed)
  std::shared_ptr<metrics::AppMetrics> metrics;  // kept for the mount id for good
  std::shared_ptr<HealthCache> health;           // kept with the instance
  std::string data_fingerprint;                  // of entry.data_dir when the instance started
};

// A mount that could not be created: residents get 503 mini_app_failed, staff the reason.
struct FailedMount {
  MiniAppEntry entry;
  std::string reason;
  std::string data_fingerprint;  // a change of the data_dir retries it
};

// How a mini-app is doing, as /readyz, /metrics and the status page say it.
enum class AppState { kOk = 0, kDegraded = 1, kFailed = 2 };
const char* app_state_name(AppState state);
struct AppHealth {
  AppState state = AppState::kOk;
  std::string reason;       // empty when ok
  std::string detail_json;  // the plugin's own details (warnings), may be empty
};
// From the instance's own state (hook failures, a crash loop), its last health report and the
// circuit breaker; no call into the plugin.
AppHealth app_health(const MountedApp& app);

struct MunicipalitySnapshot {
  Manifest manifest;
  std::vector<std::shared_ptr<const MountedApp>> apps;  // enabled ones, manifest order
  std::vector<FailedMount> failed;                      // enabled ones that could not start
  std::shared_ptr<identity::MunicipalityIdentity> identity;  // kept across reloads
  uint64_t generation = 0;

  std::shared_ptr<const MountedApp> find(std::string_view id) const;
  const FailedMount* find_failed(std::string_view id) const;
};

// What is in a directory as far as a reload cares (names, sizes, modification times of the
// regular files below it); empty for an empty path.
std::string directory_fingerprint(const std::filesystem::path& dir);

struct MunicipalityStatus {
  std::filesystem::path manifest_file;
  std::string municipality_id;         // empty if it never loaded
  uint64_t generation = 0;             // of the snapshot serving now
  std::vector<std::string> problems;   // of the last load attempt; empty when it succeeded
};

struct MunicipalitiesOptions {
  std::vector<std::filesystem::path> plugin_dirs;
  std::filesystem::path data_dir = "data";
  LiveHub* live = nullptr;
  // The `machi` executable that runs `machi plugin-host` for "isolation": "process" mini-apps
  // (serve: its own /proc/self/exe). Empty: such mini-apps cannot be mounted.
  std::filesystem::path plugin_host;
};

class Municipalities {
 public:
  Municipalities(PluginLoader& loader, MunicipalitiesOptions options);

  // Loads or reloads the manifest at `file`. Returns the problems (empty: applied).
  std::vector<std::string> load(const std::filesystem::path& file);
  // Reloads every manifest already known.
  void reload_all();
  // Calls health() on every mounted instance and keeps the reports (worker pool, periodically).
  void refresh_health();
  // True when some mount's data_dir changed since its instance started and has stayed the
  // same since the previous call (so a copy in progress is not imported half-way): the
  // caller then reloads. Cheap: a stat of each file.
  bool data_dirs_settled_changed();

  std::shared_ptr<const MunicipalitySnapshot> by_host(std::string_view host) const;
  std::vector<std::shared_ptr<const MunicipalitySnapshot>> all() const;
  std::vector<MunicipalityStatus> status() const;
  std::vector<std::filesystem::path> manifest_files() const;
  const std::vector<std::filesystem::path>& plugin_dirs() const { return options_.plugin_dirs; }
  LiveHub* live() const { return options_.live; }
  metrics::Registry& metrics() { return metrics_; }

 private:
  struct Entry {
    std::shared_ptr<const MunicipalitySnapshot> snapshot;
    std::vector<std::string> problems;
  };
  std::shared_ptr<const MunicipalitySnapshot> build(
      const Manifest& manifest, const MunicipalitySnapshot* previous,
      const std::shared_ptr<identity::MunicipalityIdentity>& identity,
      std::vector<std::string>& problems);
  std::string hostname_owner(const std::string& host, const std::filesystem::path& except) const;

  PluginLoader& loader_;
  MunicipalitiesOptions options_;
  // One reload at a time. On the heap: see PluginLoader's mutex (lock-order checking by address).
  std::unique_ptr<std::mutex> reload_mutex_ = std::make_unique<std::mutex>();
  mutable std::mutex mutex_;  // guards entries_ and hosts_
  std::map<std::filesystem::path, Entry> entries_;
  std::map<std::string, std::shared_ptr<const MunicipalitySnapshot>, std::less<>> hosts_;
  std::map<std::string, std::shared_ptr<identity::MunicipalityIdentity>> identities_;
  std::mutex poll_mutex_;  // guards seen_fingerprints_
  std::map<std::filesystem::path, std::string> seen_fingerprints_;  // data_dir → last poll's
  uint64_t next_generation_ = 1;
  metrics::Registry metrics_;
};

}  // namespace machi
