// RemoteInstance: a mini-app whose plugin runs in its own `machi plugin-host` process (manifest
// "isolation": "process"). Requests, hook calls and the host functions the runtime serves cross
// one socketpair (host_wire.h), many in flight at once. A host that dies — segfault, abort,
// exit — costs only the requests in flight on it (answered 502); the host is started again
// after a back-off (doubling from 100 ms to 5 s); after `crash_limit` deaths within
// `crash_window` the mini-app is marked failed (503) until a manifest reload starts it afresh.
// Thread-safety: every method is thread-safe. One supervisor thread per instance reads the
// host's frames, answers its host calls and restarts it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/live/live_hub.h"
#include "runtime/plugin/host_wire.h"
#include "runtime/plugin/mini_app_instance.h"
#include "runtime/plugin/plugin_instance.h"

namespace machi {

struct RemoteOptions {
  InstanceOptions instance;          // as for an in-process instance (its `publish` is unused)
  std::filesystem::path executable;  // the `machi` binary that runs `plugin-host`
  std::shared_ptr<const LoadedPlugin> staged;  // PluginLoader::stage: file, copy and sha256
  std::filesystem::path cache_dir;   // the plugin cache the host loads through
  int workers = 4;                   // the host's worker threads
  int crash_limit = 5;
  std::chrono::milliseconds crash_window{60000};
  std::chrono::milliseconds first_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds start_timeout{10000};  // Init → Ready
  std::function<void()> on_restart;  // counted in the mini-app's metrics
};

class RemoteInstance final : public MiniAppInstance {
 public:
  // Starts the host and waits until it has loaded the plugin, checked the config and created
  // the instance. Config problems go to `config_problems` (and the result is an error).
  static Result<std::unique_ptr<RemoteInstance>> create(RemoteOptions options,
                                                        std::vector<ConfigProblem>& config_problems);
  // Closes the socket; the host then destroys its instance and exits (killed after 5 s). Safe
  // on any thread, the supervisor's own included (the last reference to a replaced instance
  // may go with an answer it delivers): its state lives on until the supervisor is done.
  ~RemoteInstance() override;

  uint64_t handle_request(const PluginRequest& request, Done done) override;
  void abandon(uint64_t token) override;
  Result<std::string> info_card(const Claims& claims, std::string_view locale) override;
  HealthReport health() override;
  Result<std::string> export_subject(std::string_view subject) override;
  Status erase_subject(std::string_view subject) override;
  size_t deliver_due_events(int64_t now_unix_ms) override;
  size_t drain_outbox_batch(const Deliver& deliver, size_t limit) override;
  bool healthy() const override;
  std::string unhealthy_reason() const override;
  const LoadedPlugin& plugin() const override;
  bool runs_inline() const override { return true; }  // a request is one frame sent
  const char* isolation() const override { return "process"; }
  bool reusable() const override { return !failed(); }

  pid_t host_pid() const;  // 0 while none runs
  bool failed() const;     // gave up after a crash loop
  uint64_t restarts() const;

  class Core;  // the state the supervisor thread shares (remote_instance.cc)

 private:
  explicit RemoteInstance(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  std::shared_ptr<Core> core_;
};

}  // namespace machi
