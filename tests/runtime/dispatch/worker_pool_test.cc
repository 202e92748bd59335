// WorkerPool: bounded queue shares by priority, highest priority first, reserved workers.
#include "runtime/dispatch/worker_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using machi::WorkerPool;
using P = WorkerPool::Priority;
using namespace std::chrono_literals;

namespace {

// A gate tasks wait at until the test opens it.
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard lock(m);
      open = true;
    }
    cv.notify_all();
  }
};

template <typename F>
bool eventually(F f) {
  for (int i = 0; i < 500; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

}  // namespace

TEST_CASE("worker pool: each priority has its share of the queue; critical gets all of it") {
  Gate gate;
  WorkerPool pool(1, 8, 30s);
  REQUIRE(pool.try_post({[&] { gate.wait(); }, "blocker", P::kCritical}));
  REQUIRE(eventually([&] { return pool.stats().busy == 1; }));
  auto post = [&](P p) { return pool.try_post({[] {}, "t", p}); };
  CHECK(pool.queue_share(P::kLow) == 2);
  CHECK(post(P::kLow));
  CHECK(post(P::kLow));
  CHECK_FALSE(post(P::kLow));  // 2 queued: low's share is full …
  CHECK(post(P::kNormal));     // … while normal (4), high (7) and critical (8) still get in
  CHECK(post(P::kNormal));
  CHECK_FALSE(post(P::kNormal));
  CHECK(post(P::kHigh));
  CHECK(post(P::kHigh));
  CHECK(post(P::kHigh));
  CHECK_FALSE(post(P::kHigh));
  CHECK(post(P::kCritical));
  CHECK_FALSE(post(P::kCritical));  // the queue limit itself
  CHECK(pool.stats().queued == 8);
  gate.release();
  CHECK(eventually([&] { return pool.stats().queued == 0 && pool.stats().busy == 0; }));
}

TEST_CASE("worker pool: the highest priority queued runs first") {
  Gate gate;
  std::mutex m;
  std::vector<std::string> order;
  {
    WorkerPool pool(1, 16, 30s);
    REQUIRE(pool.try_post({[&] { gate.wait(); }, "blocker", P::kNormal}));
    REQUIRE(eventually([&] { return pool.stats().busy == 1; }));
    auto post = [&](const std::string& name, P p) {
      REQUIRE(pool.try_post({[&, name] {
                               std::lock_guard lock(m);
                               order.push_back(name);
                             },
                             name, p}));
    };
    post("low-1", P::kLow);
    post("normal", P::kNormal);
    post("critical", P::kCritical);
    post("low-2", P::kLow);
    post("high", P::kHigh);
    gate.release();
  }  // the destructor runs what is queued and joins
  CHECK(order == std::vector<std::string>{"critical", "high", "normal", "low-1", "low-2"});
}

TEST_CASE("worker pool: slow low-priority tasks leave a worker free for a critical one") {
  Gate slow;
  WorkerPool pool(4, 64, 30s);  // one worker reserved
  std::atomic<int> low_running{0};
  for (int i = 0; i < 10; ++i) {
    REQUIRE(pool.try_post({[&] {
                             ++low_running;
                             slow.wait();
                           },
                           "low", P::kLow}));
  }
  REQUIRE(eventually([&] { return low_running.load() == 3; }));
  std::this_thread::sleep_for(50ms);
  CHECK(low_running.load() == 3);  // not 4: the last worker stays free
  std::atomic<bool> critical_ran{false};
  REQUIRE(pool.try_post({[&] { critical_ran = true; }, "critical", P::kCritical}));
  CHECK(eventually([&] { return critical_ran.load(); }));
  CHECK(pool.stats().queued == 7);  // the low ones still wait
  slow.release();
  CHECK(eventually([&] { return pool.stats().queued == 0 && pool.stats().busy == 0; }));
}

TEST_CASE("worker pool: priority names") {
  bool ok = false;
  CHECK(WorkerPool::parse_priority("critical", ok) == P::kCritical);
  CHECK(ok);
  WorkerPool::parse_priority("urgent", ok);
  CHECK_FALSE(ok);
  CHECK(WorkerPool::priority_name(P::kLow) == "low");
}
