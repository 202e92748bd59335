// PendingTable: requests a plugin answered with MACHI_PENDING. A token is (generation << 32 |
// slot): completing after the deadline, after the client left, or twice finds a newer
// generation and answers MACHI_ERR_EXPIRED — it never touches freed memory.
// Thread-safety: all methods are thread-safe; callbacks run on the completing thread, outside
// the lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "machi/plugin_api.h"
#include "runtime/plugin/plugin_types.h"

namespace machi {

class PendingTable {
 public:
  using Clock = std::chrono::steady_clock;
  using Callback = std::function<void(PluginResponse)>;

  uint64_t add(Callback done, Clock::time_point deadline);
  // Delivers the plugin's answer. MACHI_ERR_EXPIRED for a stale token.
  machi_status complete(uint64_t token, PluginResponse response);
  // The client left: forget the request without answering.
  // Returns false when the token was no longer pending (already completed or expired).
  bool abandon(uint64_t token);
  // Answers every request whose deadline passed with `timeout_response`; returns how many.
  size_t expire_overdue(Clock::time_point now, const PluginResponse& timeout_response);
  // Answers every outstanding request (instance shutting down).
  size_t expire_all(const PluginResponse& response);
  size_t outstanding() const;

 private:
  struct Slot {
    uint32_t generation = 1;
    bool active = false;
    Callback done;
    Clock::time_point deadline;
  };
  std::optional<Callback> take(uint64_t token);

  mutable std::mutex mutex_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  size_t outstanding_ = 0;
};

}  // namespace machi
