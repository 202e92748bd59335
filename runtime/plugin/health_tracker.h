// HealthTracker: whether a mini-app's hooks have been failing, and the evidence that they stopped.
// A hook that fails internally (an exception behind the SDK's barrier, MACHI_ERR_INTERNAL)
// makes the instance unhealthy; kRecoverAfter successful requests in a row make it healthy
// again, as does the plugin's own health hook answering OK (PluginInstance::health). Both
// isolation modes keep one of these on the runtime's side, fed the same way, so the same
// behaviour gives the same state. A reload that starts a new instance starts a new tracker.
// Thread-safety: thread-safe; success() on a healthy tracker is one relaxed load.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace machi {

class HealthTracker {
 public:
  static constexpr uint32_t kRecoverAfter = 10;

  void failure(std::string reason) {
    std::lock_guard lock(mutex_);
    reason_ = std::move(reason);
    streak_.store(0, std::memory_order_relaxed);
    unhealthy_.store(true, std::memory_order_release);
    ++failures_;
  }
  void success() {
    if (!unhealthy_.load(std::memory_order_relaxed)) return;
    if (streak_.fetch_add(1, std::memory_order_relaxed) + 1 >= kRecoverAfter) recover();
  }
  // Evidence other than requests: the plugin's health hook answered OK.
  void recover() {
    std::lock_guard lock(mutex_);
    unhealthy_.store(false, std::memory_order_release);
    streak_.store(0, std::memory_order_relaxed);
  }
  bool healthy() const { return !unhealthy_.load(std::memory_order_acquire); }
  // The last failure's reason while unhealthy, else empty.
  std::string reason() const {
    std::lock_guard lock(mutex_);
    return healthy() ? std::string() : reason_;
  }
  uint64_t failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
  }

 private:
  std::atomic<bool> unhealthy_{false};
  std::atomic<uint32_t> streak_{0};
  mutable std::mutex mutex_;
  std::string reason_;
  uint64_t failures_ = 0;
};

}  // namespace machi
