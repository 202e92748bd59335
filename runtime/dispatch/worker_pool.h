// WorkerPool: a fixed set of threads for plugin hooks that may block. Bounded queue: when it is
// full, try_post refuses (the caller answers 503) instead of queueing without limit.
// Load shedding by priority: each task carries its mini-app's priority. Lower priorities get a
// smaller share of the queue (low ¼, normal ½, high 9⁄10, critical all of it), so a flood of
// low-priority requests is refused while there is still room for critical ones; workers always
// take the highest priority queued first; and low and normal tasks never occupy the last
// workers (a quarter of them, at least one, when there are two or more), so a critical task
// finds a free worker even while slow low-priority hooks hold the rest. A hook that
// never returns keeps its worker: the pool does not replace it, it reports it (stuck_workers),
// so /readyz and the log say which mini-app holds it instead of capacity silently shrinking.
// Thread-safety: every method is thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace machi {

class WorkerPool {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Priority { kLow = 0, kNormal = 1, kHigh = 2, kCritical = 3 };
  struct Task {
    std::function<void()> run;
    std::string label;  // e.g. "demo/library on_request", for stuck reports
    Priority priority = Priority::kNormal;
  };
  struct StuckWorker {
    std::string label;
    std::chrono::milliseconds busy_for;
  };
  struct Stats {
    size_t workers = 0;
    size_t busy = 0;
    size_t queued = 0;
    size_t queue_limit = 0;
    std::vector<StuckWorker> stuck;  // busy longer than the stuck threshold
  };

  WorkerPool(size_t workers, size_t queue_limit, std::chrono::milliseconds stuck_after);
  ~WorkerPool();  // stops taking tasks, runs what is queued, joins every worker
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the task's share of the queue is full (or the pool is stopping).
  bool try_post(Task task);
  Stats stats() const;
  // How many tasks of `priority` may wait at once.
  size_t queue_share(Priority priority) const;
  static Priority parse_priority(std::string_view name, bool& ok);
  static std::string_view priority_name(Priority priority);

 private:
  struct Worker {
    std::thread thread;
    bool busy = false;
    Clock::time_point since;
    std::string label;
  };
  void run(size_t index);
  // The queue a free worker should take from now, or -1 (caller holds the mutex).
  int next_queue() const;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::array<std::deque<Task>, 4> queues_;  // by priority
  size_t queued_ = 0;
  size_t busy_ = 0;
  std::vector<Worker> workers_;
  size_t reserved_;  // workers low and normal tasks leave free
  size_t queue_limit_;
  std::chrono::milliseconds stuck_after_;
  bool stopping_ = false;
};

}  // namespace machi
