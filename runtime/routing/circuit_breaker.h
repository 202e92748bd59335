// CircuitBreaker: cuts a mini-app off while its calls keep failing, so its callers get a quick
// 503 instead of waiting out deadlines, and its workers and concurrency slots are not spent on
// a plugin that cannot answer. Closed: calls go through and failures in a row are counted;
// `failures` in a row open it. Open: calls are refused until `open_for` has passed. Half-open:
// one trial call goes through (others are refused meanwhile); its success closes the breaker,
// its failure opens it again for another `open_for`. Outcomes of calls let through before the
// breaker opened do not count once it is open. failures = 0: never opens.
// Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

namespace machi {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kClosed, kOpen, kHalfOpen };
  enum class Ticket { kRefused, kCall, kTrial };

  CircuitBreaker(int failures, std::chrono::milliseconds open_for)
      : threshold_(failures), open_for_(open_for) {}

  // Whether a call may go through at `now`, and as what.
  Ticket admit(Clock::time_point now);
  // The outcome of a call admitted with `ticket`.
  void record(Ticket ticket, bool success, Clock::time_point now);
  // A call admitted with `ticket` that never reached the plugin (refused for another reason):
  // no outcome; a trial's turn passes to the next call.
  void release(Ticket ticket);

  State state(Clock::time_point now) const;
  // How long until a trial call may go through (0 unless open).
  std::chrono::milliseconds retry_after(Clock::time_point now) const;
  int failures_in_a_row() const;
  uint64_t times_opened() const;

  static std::string_view name(State s);

 private:
  mutable std::mutex mutex_;
  const int threshold_;
  const std::chrono::milliseconds open_for_;
  State state_ = State::kClosed;
  std::atomic<bool> tripped_{false};  // state_ != kClosed, readable without the lock
  std::atomic<int> failures_{0};      // in a row, while closed
  bool trial_out_ = false;
  Clock::time_point open_until_{};
  uint64_t opened_ = 0;
};

}  // namespace machi
