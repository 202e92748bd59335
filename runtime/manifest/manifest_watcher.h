// ManifestWatcher: a libuv loop on its own thread that watches directories (the manifests' and
// the plugins') with uv_fs_event. Editors and deploy tools replace files by rename, so watching
// the directory — not the file — sees every version. Events for *.json and *.so files are
// debounced and then reported through `on_change`, on the watcher's thread; the callback hands
// the work to the serving side (it never serves requests itself). Only uv_async_send crosses
// into the loop from other threads (to stop it).
// Thread-safety: construct, start and destroy from one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "runtime/status.h"

namespace machi {

class ManifestWatcher {
 public:
  using OnChange = std::function<void()>;

  ManifestWatcher(std::vector<std::filesystem::path> directories,
                  std::chrono::milliseconds debounce, OnChange on_change);
  ~ManifestWatcher();  // stops the loop and joins its thread
  ManifestWatcher(const ManifestWatcher&) = delete;
  ManifestWatcher& operator=(const ManifestWatcher&) = delete;

  // A repeating timer on the same loop (time is the loop's other job: the scheduler, key
  // rotation). Each call adds one. Call before start(); `on_tick` runs on the watcher's thread
  // and must hand work elsewhere.
  void every(std::chrono::milliseconds interval, std::function<void()> on_tick);

  // Starts the loop. An error names directories that cannot be watched (no live reload for
  // them); the loop, the other watches and the timers run all the same.
  Status start();

  struct Loop;  // libuv state (manifest_watcher.cc)

 private:
  std::unique_ptr<Loop> loop_;
};

}  // namespace machi
