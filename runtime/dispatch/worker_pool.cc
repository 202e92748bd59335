#include "runtime/dispatch/worker_pool.h"

#include "runtime/log/log.h"

#include <algorithm>

namespace machi {

WorkerPool::WorkerPool(size_t workers, size_t queue_limit, std::chrono::milliseconds stuck_after)
    : workers_(workers == 0 ? 1 : workers),
      reserved_(workers_.size() >= 2 ? std::max<size_t>(1, workers_.size() / 4) : 0),
      queue_limit_(queue_limit),
      stuck_after_(stuck_after) {
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

size_t WorkerPool::queue_share(Priority priority) const {
  switch (priority) {
    case Priority::kLow: return std::max<size_t>(1, queue_limit_ / 4);
    case Priority::kNormal: return std::max<size_t>(1, queue_limit_ / 2);
    case Priority::kHigh: return std::max<size_t>(1, queue_limit_ * 9 / 10);
    case Priority::kCritical: return queue_limit_;
  }
  return queue_limit_;
}

WorkerPool::Priority WorkerPool::parse_priority(std::string_view name, bool& ok) {
  ok = true;
  if (name == "low") return Priority::kLow;
  if (name == "normal") return Priority::kNormal;
  if (name == "high") return Priority::kHigh;
  if (name == "critical") return Priority::kCritical;
  ok = false;
  return Priority::kNormal;
}

std::string_view WorkerPool::priority_name(Priority priority) {
  switch (priority) {
    case Priority::kLow: return "low";
    case Priority::kNormal: return "normal";
    case Priority::kHigh: return "high";
    case Priority::kCritical: return "critical";
  }
  return "normal";
}

bool WorkerPool::try_post(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queued_ >= queue_share(task.priority)) return false;
    queues_[static_cast<size_t>(task.priority)].push_back(std::move(task));
    ++queued_;
  }
  wake_.notify_one();
  return true;
}

int WorkerPool::next_queue() const {
  for (int p = 3; p >= 0; --p) {
    if (queues_[p].empty()) continue;
    // Low and normal tasks leave the reserved workers free (unless draining at shutdown).
    if (p < static_cast<int>(Priority::kHigh) && !stopping_ && busy_ + reserved_ >= workers_.size()) {
      return -1;
    }
    return p;
  }
  return -1;
}

void WorkerPool::run(size_t index) {
  std::unique_lock lock(mutex_);
  for (;;) {
    int q = -1;
    wake_.wait(lock, [&] { return (q = next_queue()) >= 0 || (stopping_ && queued_ == 0); });
    if (q < 0) return;  // stopping and drained
    Task task = std::move(queues_[q].front());
    queues_[q].pop_front();
    --queued_;
    ++busy_;
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
    --busy_;
    // A worker came free: a task waiting for an unreserved worker may go now.
    if (queued_ > 0) wake_.notify_one();
  }
}

WorkerPool::Stats WorkerPool::stats() const {
  std::lock_guard lock(mutex_);
  Stats s;
  s.workers = workers_.size();
  s.queued = queued_;
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
