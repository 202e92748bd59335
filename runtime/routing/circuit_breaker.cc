#include "runtime/routing/circuit_breaker.h"

namespace machi {

CircuitBreaker::Ticket CircuitBreaker::admit(Clock::time_point now) {
  if (!tripped_.load(std::memory_order_acquire)) return Ticket::kCall;  // closed: no lock
  std::lock_guard lock(mutex_);
  switch (state_) {
    case State::kClosed:
      return Ticket::kCall;
    case State::kOpen:
      if (now < open_until_) return Ticket::kRefused;
      state_ = State::kHalfOpen;
      trial_out_ = true;
      return Ticket::kTrial;
    case State::kHalfOpen:
      if (trial_out_) return Ticket::kRefused;
      trial_out_ = true;
      return Ticket::kTrial;
  }
  return Ticket::kRefused;
}

void CircuitBreaker::record(Ticket ticket, bool success, Clock::time_point now) {
  if (ticket == Ticket::kRefused) return;
  if (ticket == Ticket::kCall && success && !tripped_.load(std::memory_order_acquire) &&
      failures_.load(std::memory_order_relaxed) == 0) {
    return;  // the common case: nothing to change
  }
  std::lock_guard lock(mutex_);
  if (ticket == Ticket::kTrial) {
    trial_out_ = false;
    if (success) {
      state_ = State::kClosed;
      failures_ = 0;
      tripped_ = false;
    } else {
      state_ = State::kOpen;
      open_until_ = now + open_for_;
      ++opened_;
    }
    return;
  }
  if (state_ != State::kClosed) return;  // a straggler from before the breaker opened
  if (success) {
    failures_ = 0;
    return;
  }
  if (threshold_ > 0 && ++failures_ >= threshold_) {
    state_ = State::kOpen;
    tripped_ = true;
    open_until_ = now + open_for_;
    ++opened_;
  }
}

void CircuitBreaker::release(Ticket ticket) {
  if (ticket != Ticket::kTrial) return;
  std::lock_guard lock(mutex_);
  trial_out_ = false;
}

CircuitBreaker::State CircuitBreaker::state(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (state_ == State::kOpen && now >= open_until_) return State::kHalfOpen;  // a trial may go
  return state_;
}

std::chrono::milliseconds CircuitBreaker::retry_after(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (state_ != State::kOpen || now >= open_until_) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(open_until_ - now);
}

int CircuitBreaker::failures_in_a_row() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

uint64_t CircuitBreaker::times_opened() const {
  std::lock_guard lock(mutex_);
  return opened_;
}

std::string_view CircuitBreaker::name(State s) {
  switch (s) {
    case State::kClosed: return "closed";
    case State::kOpen: return "open";
    case State::kHalfOpen: return "half_open";
  }
  return "closed";
}

}  // namespace machi
