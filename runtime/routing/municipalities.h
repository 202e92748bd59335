// Municipalities: every manifest this process serves, each as an immutable snapshot of its
// mounted mini-apps that a reload replaces atomically. A reload validates everything first
// (manifest, plugin files, each plugin's config check, instance creation) and only then swaps;
// on any problem the last good snapshot keeps serving and the problems are kept for /readyz.
// An unchanged mount (same plugin bytes, same config) keeps its instance across reloads; a
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

struct MountedApp {
  MiniAppEntry entry;
  std::shared_ptr<MiniAppInstance> instance;
  std::shared_ptr<std::atomic<int>> in_flight;  // shared by snapshots that keep the instance
  std::shared_ptr<CircuitBreaker> breaker;      // likewise (a new instance starts closed)
  std::shared_ptr<metrics::AppMetrics> metrics;  // kept for the mount id for good
};

struct MunicipalitySnapshot {
  Manifest manifest;
  std::vector<std::shared_ptr<const MountedApp>> apps;  // enabled ones, manifest order
  std::shared_ptr<identity::MunicipalityIdentity> identity;  // kept across reloads
  uint64_t generation = 0;

  std::shared_ptr<const MountedApp> find(std::string_view id) const;
};

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
  std::mutex reload_mutex_;  // one reload at a time
  mutable std::mutex mutex_;  // guards entries_ and hosts_
  std::map<std::filesystem::path, Entry> entries_;
  std::map<std::string, std::shared_ptr<const MunicipalitySnapshot>, std::less<>> hosts_;
  std::map<std::string, std::shared_ptr<identity::MunicipalityIdentity>> identities_;
  uint64_t next_generation_ = 1;
  metrics::Registry metrics_;
};

}  // namespace machi
