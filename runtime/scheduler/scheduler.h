// Scheduler: the runtime's clock-driven work. The libuv loop's timer calls tick() every second
// (a monotonic timer, but each pass reads the wall clock again, so due times — UTC instants,
// computed from the municipality's zone — stay right after the system clock is changed). A pass
// runs on the worker pool (plugin event hooks may block): for every municipality and every
// enabled mini-app, it delivers the jobs that are due (a job that came due while the runtime was
// down runs once at start-up; one past its own expiry is dropped), then moves the mini-app's
// committed outbox into residents' inboxes. Disabled mini-apps are not mounted, so their jobs wait
// in their database and run when the mini-app is enabled again.
// Thread-safety: every method is thread-safe; passes never overlap.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "runtime/dispatch/worker_pool.h"
#include "runtime/notify/notifier.h"
#include "runtime/notify/push_sender.h"
#include "runtime/routing/municipalities.h"

namespace machi {

class Scheduler {
 public:
  Scheduler(Municipalities& municipalities, WorkerPool& pool, notify::Notifier& notifier,
            notify::PushSender* push = nullptr)
      : municipalities_(municipalities), pool_(pool), notifier_(notifier), push_(push) {}

  // Posts one pass to the worker pool, unless a pass is still running or the pool is full.
  void tick();

  struct Pass {
    size_t events = 0;         // jobs delivered
    size_t notifications = 0;  // outbox items moved into inboxes
  };
  // One pass on the calling thread (the pool's job; tests call it directly).
  Pass run_once();
  // The same pass as if the wall clock read `at_unix_ms` (tests: reminders at local times).
  Pass run_once(int64_t at_unix_ms);
  // One Web Push pass on the calling thread: every municipality's due push queue. Runs as its
  // own pool task, so a slow push service never delays reminders.
  notify::PushSender::Stats push_once();
  // Returns once no pass is running (shutdown: call after the ticks have stopped).
  void wait_idle() const;
  ~Scheduler() { wait_idle(); }

 private:
  Municipalities& municipalities_;
  WorkerPool& pool_;
  notify::Notifier& notifier_;
  notify::PushSender* push_;
  Pass run_once(const std::function<int64_t()>& clock);

  std::atomic<bool> running_{false};
  std::atomic<bool> pushing_{false};
};

}  // namespace machi
