// Manifest: a municipality's choice of mini-apps (which are on, in what order, with what config).
// This is the subset the plugin loader needs; the HTTP runtime adds hostnames, timezone,
// audiences, deadlines and grants. Every problem names the file and the JSON pointer.
// Thread-safety: a parsed Manifest is an immutable value.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/status.h"

namespace machi {

struct MiniAppEntry {
  std::string id;           // mount id: /apps/{id}/
  std::string plugin;       // file name or path of the .so
  bool enabled = true;
  int order = 0;
  std::string config_json = "{}";
};

struct Manifest {
  std::filesystem::path file;
  std::string municipality_id;
  std::string name;
  std::string public_url;
  std::vector<MiniAppEntry> mini_apps;  // sorted by order, then id
};

struct ManifestProblem {
  std::string pointer;  // e.g. /mini_apps/2/plugin
  std::string message;
};

// Parses and checks the file. On failure, `problems` lists every problem found.
Result<Manifest> load_manifest(const std::filesystem::path& file,
                               std::vector<ManifestProblem>& problems);

// Finds a mini-app's plugin file: an absolute path as is; otherwise in each of `plugin_dirs`,
// then beside the manifest.
Result<std::filesystem::path> resolve_plugin(const Manifest& manifest, const MiniAppEntry& app,
                                             const std::vector<std::filesystem::path>& dirs);

}  // namespace machi
