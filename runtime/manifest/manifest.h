// Manifest: one municipality's choice of mini-apps — which are on, in what order, for which
// audience, with what config, deadline, concurrency and identity grants — plus the
// municipality's public URL, hostnames, time zone and locales. docs/manifest.md is the reference;
// manifests/manifest.schema.json the JSON Schema. Every problem names the JSON pointer.
// Thread-safety: a parsed Manifest is an immutable value.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/status.h"

namespace machi {

struct MiniAppEntry {
  std::string id;           // mount id: /apps/{id}/
  std::string name;         // display name
  std::string description;  // may be empty: the plugin's own description is used
  std::string plugin;       // file name (searched in the plugin dirs) or absolute path
  bool enabled = true;
  int order = 0;
  bool for_residents = true;  // audience "residents": the registered residents' home screen
  bool for_visitors = false;  // audience "visitors": the visitor home, no account needed
  std::chrono::milliseconds deadline{5000};
  int concurrency = 64;       // in-flight requests to this mini-app at most (503 beyond)
  // Circuit breaker: after `breaker_failures` failed calls in a row (5xx from the plugin or a
  // missed deadline; 0 = never open) the mini-app is cut off (503) for `breaker_open`, then one
  // trial request decides whether it closes again.
  int breaker_failures = 5;
  // Load shedding: "low", "normal" (default), "high" or "critical" (docs/manifest.md).
  std::string priority = "normal";
  std::chrono::milliseconds breaker_open{10000};
  // Fault containment: "in_process" (default: the plugin runs in the runtime's process) or
  // "process" (its own `machi plugin-host` process; see docs/operations.md).
  std::string isolation = "in_process";
  int process_workers = 4;  // "process": {"workers", "crash_limit", "crash_window_ms"}
  int crash_limit = 5;      // deaths within crash_window that mark the mini-app failed
  std::chrono::milliseconds crash_window{60000};
  int64_t job_quota = 500000;  // scheduled jobs its instance may keep (host schedule refuses beyond)
  std::vector<std::string> grants;  // claim names this mini-app may receive
  std::string config_json = "{}";
  // The mini-app's data files (manifest "data_dir", relative to the manifest's directory), read
  // through the host's read_data_file; empty: none.
  std::filesystem::path data_dir;
  size_t index = 0;           // position in the file's mini_apps array, for pointers
};

// An eKYC verifier whose signed assertions raise a resident to "verified".
struct TrustedVerifier {
  std::string issuer;  // the assertion's `iss`
  struct Key {
    std::string kid, x, y;  // EC P-256 public JWK members
  };
  std::vector<Key> keys;
};

// Web Push: which push services Machi may call (resident-supplied subscription endpoints must be
// on them, so a subscription can never make the server call an arbitrary host), and the VAPID
// contact push services can reach the municipality's operators at.
struct PushSettings {
  // Origins ("https://fcm.googleapis.com"); "https://*.notify.windows.com" matches subdomains.
  std::vector<std::string> services;
  std::string contact;  // mailto: or https: URI; default: the public_url
};

// The push services the major browsers use (Chrome, Firefox, Safari, Edge).
std::vector<std::string> default_push_services();
// Whether `url`'s origin is one of `services` (https only, no user info).
bool push_endpoint_allowed(const std::vector<std::string>& services, std::string_view url);

struct Manifest {
  std::filesystem::path file;
  std::string municipality_id;
  std::string name;
  std::string public_url;
  std::vector<std::string> hostnames;  // lower case, no port
  std::string timezone;                // IANA name, e.g. Asia/Tokyo
  std::vector<std::string> locales;    // BCP 47, first is the default
  std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-For is believed
  std::vector<TrustedVerifier> verifiers;    // eKYC verifiers the municipality trusts
  std::vector<std::string> staff_roles;      // role names staff accounts may hold
  std::vector<std::pair<std::string, std::string>> districts;  // id → name (町名/地区)
  PushSettings push;
  int64_t broadcast_minimum_audience = 10;  // smaller audiences are refused (no singling out)
  std::vector<MiniAppEntry> mini_apps;  // sorted by order, then file position
};

struct ManifestProblem {
  std::string pointer;  // e.g. /mini_apps/2/plugin
  std::string message;
};

// Parses and checks the file. On failure, `problems` lists every problem found, and the error
// text lists them too.
Result<Manifest> load_manifest(const std::filesystem::path& file,
                               std::vector<ManifestProblem>& problems);

// The same for a manifest's text (`file` names it in messages and resolves relative paths).
inline constexpr size_t kManifestMaxBytes = 4 * 1024 * 1024;
Result<Manifest> parse_manifest(std::string_view text, const std::filesystem::path& file,
                                std::vector<ManifestProblem>& problems);

// Finds a mini-app's plugin file: an absolute path as is; otherwise in each of `plugin_dirs`,
// then beside the manifest.
Result<std::filesystem::path> resolve_plugin(const Manifest& manifest, const MiniAppEntry& app,
                                             const std::vector<std::filesystem::path>& dirs);

// Claims a manifest may grant to a mini-app (the subject, assurance, locale and audience are
// always given).
const std::vector<std::string>& grantable_claims();

}  // namespace machi
