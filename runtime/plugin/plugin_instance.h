// PluginInstance: one plugin mounted once (municipality × mini-app id) with that mount's config
// and its own database file. Turns runtime values into ABI calls and checks what comes back.
//
// Thread-safety: handle_request and the optional-hook calls may run concurrently from several
// threads (the plugin's hooks are documented as such). Destruction must follow the last call:
// the owner (the router) holds a shared_ptr per in-flight request. The destructor answers every
// still-pending request with 503 before calling on_instance_destroy.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/http/http_message.h"
#include "runtime/live/live_hub.h"
#include "runtime/plugin/plugin_loader.h"
#include "runtime/storage/plugin_store.h"
#include "runtime/plugin/plugin_types.h"
#include "runtime/status.h"

struct machi_instance_ctx;

namespace machi {

struct InstanceOptions {
  std::string municipality_id;
  std::string mount_id;
  std::string config_json = "{}";
  std::filesystem::path database_file;
  LiveHub* live = nullptr;
  std::chrono::milliseconds deadline{5000};
  std::string timezone = "Asia/Tokyo";  // IANA name, from the manifest (checked there)
  int64_t job_quota = 500'000;            // scheduled jobs this instance may keep
  std::filesystem::path data_dir;         // read_data_file's root; empty: none
  // Whether a resident has this pairwise subject in this mount (for notify). Unset: nobody has.
  std::function<bool(std::string_view subject)> known_subject;
};

struct HealthReport {
  bool healthy = true;
  std::string reason;       // why not, for operators
  std::string detail_json;  // the plugin's own detail, may be empty
};

struct ConfigProblem {
  std::string path;  // JSON pointer inside the mount's config
  std::string message;
};

class PluginInstance {
 public:
  using Done = std::function<void(PluginResponse)>;

  static Result<std::unique_ptr<PluginInstance>> create(std::shared_ptr<const LoadedPlugin> plugin,
                                                        InstanceOptions options);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  // Runs on_request on the calling thread. `done` is called exactly once: before this returns,
  // or later from the thread that completes the pending request, or by expire_overdue (504) —
  // unless the caller abandons the pending token. Returns that token, or 0 when not pending.
  uint64_t handle_request(const PluginRequest& request, Done done);
  // The caller gave up on a pending request (deadline answered elsewhere, client gone): `done`
  // will not be called and the plugin's complete() answers MACHI_ERR_EXPIRED.
  void abandon(uint64_t token);
  size_t expire_overdue(std::chrono::steady_clock::time_point now);
  size_t pending_requests() const;

  // Optional hooks. A plugin without the hook answers as documented per call.
  Result<std::string> info_card(const Claims& claims, std::string_view locale);  // "" = none
  HealthReport health();
  Result<std::string> export_subject(std::string_view subject);  // "null" without the hook
  Status erase_subject(std::string_view subject);                 // ok without the hook
  // Delivers scheduled events due at `now_unix_ms`; returns how many the plugin accepted.
  size_t deliver_due_events(int64_t now_unix_ms);
  // Hands each notification waiting in the instance's outbox to `deliver`, oldest first, and
  // removes those it accepted (true). At most `limit` per call; returns how many were removed.
  // A crash between deliver and the removal delivers that item again: `deliver` must be
  // idempotent (the inbox is, by its key).
  // Up to `limit` items in order, handed over together; when `deliver` returns true they are all
  // removed at once (false: kept for the next pass). Delivery must be idempotent (the inbox is
  // unique per resident, source and key), since a crash between the two steps repeats it.
  size_t drain_outbox_batch(const std::function<bool(const std::vector<storage::OutboxItem>&)>& deliver,
                            size_t limit);

  bool healthy() const;
  const LoadedPlugin& plugin() const { return *plugin_; }
  const std::string& mount_id() const;
  const std::filesystem::path& database_file() const;

 private:
  PluginInstance(std::shared_ptr<const LoadedPlugin> plugin,
                 std::unique_ptr<machi_instance_ctx> ctx);
  void note_failure(const char* hook, machi_status status);
  Result<std::string> checked_output(const char* hook, machi_status status, std::string data,
                                     bool allow_empty);

  std::shared_ptr<const LoadedPlugin> plugin_;
  std::unique_ptr<machi_instance_ctx> ctx_;
  void* instance_ = nullptr;
};

// Runs the plugin's on_config_validate on `config_json`. Without the hook every config is valid.
// A failure status means the hook itself misbehaved (malformed problem list).
Result<std::vector<ConfigProblem>> validate_config(const LoadedPlugin& plugin,
                                                   std::string_view config_json);

}  // namespace machi
