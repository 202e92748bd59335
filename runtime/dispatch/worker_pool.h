// WorkerPool: a fixed set of threads for plugin hooks that may block. Bounded queue: when it is
// full, try_post refuses (the caller answers 503) instead of queueing without limit. A hook that
// never returns keeps its worker: the pool does not replace it, it reports it (stuck_workers),
// so /readyz and the log say which mini-app holds it instead of capacity silently shrinking.
// Thread-safety: every method is thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace machi {

class WorkerPool {
 public:
  using Clock = std::chrono::steady_clock;
  struct Task {
    std::function<void()> run;
    std::string label;  // e.g. "demo/library on_request", for stuck reports
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

  bool try_post(Task task);
  Stats stats() const;

 private:
  struct Worker {
    std::thread thread;
    bool busy = false;
    Clock::time_point since;
    std::string label;
  };
  void run(size_t index);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  std::vector<Worker> workers_;
  size_t queue_limit_;
  std::chrono::milliseconds stuck_after_;
  bool stopping_ = false;
};

}  // namespace machi
