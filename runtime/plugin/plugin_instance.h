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
#include "runtime/plugin/mini_app_instance.h"
#include "runtime/plugin/plugin_loader.h"
#include "runtime/plugin/plugin_types.h"
#include "runtime/status.h"
#include "runtime/storage/plugin_store.h"

struct machi_instance_ctx;

namespace machi {

struct InstanceOptions {
  std::string municipality_id;
  std::string mount_id;
  std::string config_json = "{}";
  std::filesystem::path database_file;
  LiveHub* live = nullptr;
  // Where the plugin's publish goes when set (an out-of-process host forwards it to the
  // runtime); otherwise to `live`. Returns how many subscribers were reached.
  std::function<uint32_t(std::string_view channel, std::string_view message)> publish;
  std::chrono::milliseconds deadline{5000};
  std::string timezone = "Asia/Tokyo";  // IANA name, from the manifest (checked there)
  int64_t job_quota = 500'000;            // scheduled jobs this instance may keep
  std::filesystem::path data_dir;         // read_data_file's root; empty: none
  // Whether a resident has this pairwise subject in this mount (for notify). Unset: nobody has.
  std::function<bool(std::string_view subject)> known_subject;
};

class PluginInstance final : public MiniAppInstance {
 public:

  static Result<std::unique_ptr<PluginInstance>> create(std::shared_ptr<const LoadedPlugin> plugin,
                                                        InstanceOptions options);
  ~PluginInstance() override;
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  // Runs on_request on the calling thread. `done` is called exactly once: before this returns,
  // or later from the thread that completes the pending request, or by expire_overdue (504) —
  // unless the caller abandons the pending token. Returns that token, or 0 when not pending.
  uint64_t handle_request(const PluginRequest& request, Done done) override;
  // The caller gave up on a pending request (deadline answered elsewhere, client gone): `done`
  // will not be called and the plugin's complete() answers MACHI_ERR_EXPIRED.
  void abandon(uint64_t token) override;
  size_t expire_overdue(std::chrono::steady_clock::time_point now);
  size_t pending_requests() const;

  // Optional hooks. A plugin without the hook answers as documented per call.
  Result<std::string> info_card(const Claims& claims, std::string_view locale) override;  // "" = none
  HealthReport health() override;
  Result<std::string> export_subject(std::string_view subject) override;
  Status erase_subject(std::string_view subject) override;
  size_t deliver_due_events(int64_t now_unix_ms) override;
  // Up to `limit` outbox items in order, handed over together; when `deliver` returns true they
  // are all removed at once (false: kept for the next pass).
  size_t drain_outbox_batch(const Deliver& deliver, size_t limit) override;
  // The two halves of drain_outbox_batch, for a plugin host that delivers through the runtime.
  Result<std::vector<storage::OutboxItem>> outbox(size_t limit);
  Status remove_outbox_through(int64_t seq);

  bool healthy() const override;
  std::string unhealthy_reason() const override;
  const LoadedPlugin& plugin() const override { return *plugin_; }
  bool runs_inline() const override { return plugin_->nonblocking(); }
  const char* isolation() const override { return "in_process"; }
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
