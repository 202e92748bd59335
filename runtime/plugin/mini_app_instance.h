// MiniAppInstance: what the runtime asks of one mounted mini-app, wherever its plugin runs —
// in the runtime's own process (PluginInstance) or in a separate plugin-host process
// (RemoteInstance). The router, scheduler, notifier and resident-data routes use only this.
// Thread-safety: every method may be called from several threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/plugin/plugin_loader.h"
#include "runtime/plugin/plugin_types.h"
#include "runtime/status.h"
#include "runtime/storage/plugin_store.h"

namespace machi {

struct HealthReport {
  bool healthy = true;
  std::string reason;       // why not, for operators
  std::string detail_json;  // the plugin's own detail, may be empty
};

struct ConfigProblem {
  std::string path;  // JSON pointer inside the mount's config
  std::string message;
};

class MiniAppInstance {
 public:
  using Done = std::function<void(PluginResponse)>;
  using Deliver = std::function<bool(const std::vector<storage::OutboxItem>&)>;

  virtual ~MiniAppInstance() = default;

  // Hands one request to the plugin. `done` is called exactly once: before this returns, or
  // later from another thread — unless the caller abandons the returned token (0: not pending).
  virtual uint64_t handle_request(const PluginRequest& request, Done done) = 0;
  // The caller answered already (deadline, client gone): `done` will not be called.
  virtual void abandon(uint64_t token) = 0;

  // Optional hooks; a plugin without the hook answers as documented per call.
  virtual Result<std::string> info_card(const Claims& claims, std::string_view locale) = 0;
  virtual HealthReport health() = 0;
  virtual Result<std::string> export_subject(std::string_view subject) = 0;  // "null" if no hook
  virtual Status erase_subject(std::string_view subject) = 0;                // ok if no hook
  // Delivers scheduled events due at `now_unix_ms`; returns how many the plugin accepted.
  virtual size_t deliver_due_events(int64_t now_unix_ms) = 0;
  // Hands up to `limit` outbox notifications, oldest first, to `deliver` together and removes
  // them when it returns true. Delivery must be idempotent: a crash between the two repeats it.
  virtual size_t drain_outbox_batch(const Deliver& deliver, size_t limit) = 0;

  virtual bool healthy() const = 0;
  // Why healthy() is false, without calling into the plugin (empty when healthy).
  virtual std::string unhealthy_reason() const = 0;
  // The plugin's identity (id, version, ABI, flags, sha256). For an out-of-process instance the
  // hook table is empty: its hooks run in the other process.
  virtual const LoadedPlugin& plugin() const = 0;
  // handle_request never blocks, so the router may call it on an I/O thread.
  virtual bool runs_inline() const = 0;
  // "in_process" or "process" (the manifest's isolation).
  virtual const char* isolation() const = 0;
  // A reload with an unchanged entry may keep serving on this instance (false once an
  // out-of-process instance gave up after a crash loop: a reload starts it afresh).
  virtual bool reusable() const { return true; }
};

}  // namespace machi
