#include "runtime/scheduler/scheduler.h"

#include <chrono>
#include <thread>

#include "runtime/scheduler/local_time.h"

namespace machi {

void Scheduler::tick() {
  if (running_.exchange(true)) return;  // the last pass is still busy: skip this second
  auto due = std::chrono::steady_clock::now();
  bool posted = pool_.try_post({[this, due] {
                                  auto& m = municipalities_.metrics();
                                  auto lag = std::chrono::steady_clock::now() - due;
                                  m.scheduler_lag_us = std::chrono::duration_cast<std::chrono::microseconds>(lag).count();
                                  Pass pass = run_once();
                                  m.scheduler_passes.fetch_add(1, std::memory_order_relaxed);
                                  m.scheduled_jobs_run.fetch_add(pass.events, std::memory_order_relaxed);
                                  m.notifications_delivered.fetch_add(pass.notifications, std::memory_order_relaxed);
                                  running_ = false;
                                },
                                "scheduler pass"});
  if (!posted) running_ = false;  // pool full: the next tick tries again
  if (!push_ || pushing_.exchange(true)) return;
  if (!pool_.try_post({[this] {
                         push_once();
                         pushing_ = false;
                       },
                       "push pass"})) {
    pushing_ = false;
  }
}

notify::PushSender::Stats Scheduler::push_once() {
  notify::PushSender::Stats total;
  if (!push_) return total;
  for (const auto& m : municipalities_.all()) {
    auto s = push_->run(*m, unix_now_ms());
    total.sent += s.sent;
    total.retried += s.retried;
    total.dropped += s.dropped;
    total.gone += s.gone;
    total.deferred += s.deferred;
  }
  auto& m = municipalities_.metrics();
  m.push_sent.fetch_add(total.sent, std::memory_order_relaxed);
  m.push_failed.fetch_add(total.dropped, std::memory_order_relaxed);
  m.push_retried.fetch_add(total.retried, std::memory_order_relaxed);
  return total;
}

void Scheduler::wait_idle() const {
  while (running_.load() || pushing_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

Scheduler::Pass Scheduler::run_once() { return run_once(std::function<int64_t()>(unix_now_ms)); }

Scheduler::Pass Scheduler::run_once(int64_t at_unix_ms) {
  return run_once(std::function<int64_t()>([at_unix_ms] { return at_unix_ms; }));
}

Scheduler::Pass Scheduler::run_once(const std::function<int64_t()>& clock) {
  Pass pass;
  for (const auto& m : municipalities_.all()) {
    for (const auto& app : m->apps) {
      // Each batch reads the clock again: a long batch does not deliver later jobs early.
      for (;;) {
        size_t delivered = app->instance->deliver_due_events(clock());
        pass.events += delivered;
        if (delivered < 100) break;
      }
    }
    for (;;) {
      size_t moved = notifier_.relay(*m, clock());
      pass.notifications += moved;
      if (moved == 0) break;
    }
  }
  return pass;
}

}  // namespace machi
