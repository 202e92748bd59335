// CircuitBreaker and the metrics registry: state changes on an explicit clock.
#include "runtime/routing/circuit_breaker.h"

#include <doctest/doctest.h>

#include "runtime/metrics/metrics.h"

using machi::CircuitBreaker;
using State = CircuitBreaker::State;
using Ticket = CircuitBreaker::Ticket;
using namespace std::chrono_literals;

TEST_CASE("breaker: opens after failures in a row, refuses while open, one trial decides") {
  CircuitBreaker b(3, 1000ms);
  auto t = CircuitBreaker::Clock::time_point{} + 1h;
  for (int i = 0; i < 2; ++i) b.record(b.admit(t), false, t);
  b.record(b.admit(t), true, t);  // a success resets the run
  CHECK(b.failures_in_a_row() == 0);
  for (int i = 0; i < 2; ++i) b.record(b.admit(t), false, t);
  CHECK(b.state(t) == State::kClosed);
  Ticket third = b.admit(t);
  Ticket straggler = b.admit(t);  // let through before the breaker opened
  b.record(third, false, t);
  CHECK(b.state(t) == State::kOpen);
  CHECK(b.times_opened() == 1);
  CHECK(b.admit(t + 999ms) == Ticket::kRefused);
  CHECK(b.retry_after(t + 400ms) == 600ms);
  b.record(straggler, true, t + 10ms);  // does not close an open breaker
  CHECK(b.state(t + 10ms) == State::kOpen);

  // After open_for: exactly one trial at a time.
  auto later = t + 1000ms;
  CHECK(b.state(later) == State::kHalfOpen);
  Ticket trial = b.admit(later);
  CHECK(trial == Ticket::kTrial);
  CHECK(b.admit(later) == Ticket::kRefused);
  b.record(trial, false, later);  // the trial fails: open again for another second
  CHECK(b.state(later + 500ms) == State::kOpen);
  CHECK(b.times_opened() == 2);
  CHECK(b.admit(later + 999ms) == Ticket::kRefused);

  // A trial refused elsewhere (the mini-app was busy) passes its turn on.
  Ticket passed = b.admit(later + 1000ms);
  REQUIRE(passed == Ticket::kTrial);
  b.release(passed);
  Ticket next = b.admit(later + 1001ms);
  CHECK(next == Ticket::kTrial);
  b.record(next, true, later + 1002ms);
  CHECK(b.state(later + 1002ms) == State::kClosed);
  CHECK(b.admit(later + 1003ms) == Ticket::kCall);
}

TEST_CASE("breaker: failures = 0 never opens") {
  CircuitBreaker b(0, 1000ms);
  auto t = CircuitBreaker::Clock::time_point{} + 1h;
  for (int i = 0; i < 100; ++i) b.record(b.admit(t), false, t);
  CHECK(b.state(t) == State::kClosed);
  CHECK(b.admit(t) == Ticket::kCall);
}

TEST_CASE("metrics: histogram buckets are cumulative, series are stable per mini-app") {
  machi::metrics::Registry r;
  auto a = r.app("saga", "notes");
  CHECK(r.app("saga", "notes") == a);
  CHECK(r.app("takeo", "notes") != a);
  a->duration.observe(300us);   // ≤ 0.0005
  a->duration.observe(3ms);     // ≤ 0.005
  a->duration.observe(30s);     // +Inf only
  a->responses.count(200);
  a->responses.count(503);
  a->responses.count(999);      // out of range: counted as 5xx
  std::string text = r.render();
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  const std::string l = R"(municipality="saga",mini_app="notes")";
  CHECK(has("machi_mini_app_request_duration_seconds_bucket{" + l + R"(,le="0.0005"} 1)"));
  CHECK(has("machi_mini_app_request_duration_seconds_bucket{" + l + R"(,le="0.001"} 1)"));
  CHECK(has("machi_mini_app_request_duration_seconds_bucket{" + l + R"(,le="0.005"} 2)"));
  CHECK(has("machi_mini_app_request_duration_seconds_bucket{" + l + R"(,le="10"} 2)"));
  CHECK(has("machi_mini_app_request_duration_seconds_bucket{" + l + R"(,le="+Inf"} 3)"));
  CHECK(has("machi_mini_app_request_duration_seconds_count{" + l + "} 3"));
  CHECK(has("machi_mini_app_responses_total{" + l + R"(,code="2xx"} 1)"));
  CHECK(has("machi_mini_app_responses_total{" + l + R"(,code="5xx"} 2)"));
  CHECK(machi::metrics::label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}
