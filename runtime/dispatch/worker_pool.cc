#include "runtime/dispatch/worker_pool.h"

#include "runtime/log/log.h"

namespace machi {

WorkerPool::WorkerPool(size_t workers, size_t queue_limit, std::chrono::milliseconds stuck_after)
    : workers_(workers == 0 ? 1 : workers), queue_limit_(queue_limit), stuck_after_(stuck_after) {
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < workers_.size(); ++i) {
    workers_[i].thread = std::thread([this, i] { run(i); });
  }
}

WorkerPool::~WorkerPool() {
  std::vector<std::thread> joinable;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    auto now = Clock::now();
    for (Worker& w : workers_) {
      // A worker stuck in a hook that never returns cannot be joined; leave it to process exit.
      if (w.busy && now - w.since > stuck_after_) {
        log_line(LogLevel::kWarn, "worker_pool", "abandoning a stuck worker", {{"task", w.label}});
        w.thread.detach();
      } else {
        joinable.push_back(std::move(w.thread));
      }
    }
  }
  wake_.notify_all();
  for (auto& t : joinable) t.join();
}

bool WorkerPool::try_post(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_limit_) return false;
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void WorkerPool::run(size_t index) {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    Task task = std::move(queue_.front());
    queue_.pop_front();
    Worker& me = workers_[index];
    me.busy = true;
    me.since = Clock::now();
    me.label = task.label;
    lock.unlock();
    task.run();  // tasks never throw: plugin calls go through PluginInstance's checks
    task.run = nullptr;
    lock.lock();
    me.busy = false;
    me.label.clear();
  }
}

WorkerPool::Stats WorkerPool::stats() const {
  std::lock_guard lock(mutex_);
  Stats s;
  s.workers = workers_.size();
  s.queued = queue_.size();
  s.queue_limit = queue_limit_;
  auto now = Clock::now();
  for (const Worker& w : workers_) {
    if (!w.busy) continue;
    ++s.busy;
    auto busy_for = std::chrono::duration_cast<std::chrono::milliseconds>(now - w.since);
    if (busy_for > stuck_after_) s.stuck.push_back({w.label, busy_for});
  }
  return s;
}

}  // namespace machi
