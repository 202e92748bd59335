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
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  // Joins every worker: a detached worker would go on running a hook against an instance that is
  // about to be destroyed. A hook that never returns therefore blocks here; `machi serve` checks
  // stats().stuck first and ends the process instead of destroying the pool.
  for (Worker& w : workers_) w.thread.join();
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
