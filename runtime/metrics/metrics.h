// Metrics: the runtime's counters and histograms, rendered in the Prometheus text exposition
// format (version 0.0.4) at GET /metrics. Hot paths only touch relaxed atomics: a mini-app's
// series are created once (when it is first mounted) and found through the MountedApp after
// that, never by name per request. Series are kept across manifest reloads, so counters only
// ever grow, as Prometheus expects. Gauges (worker pool, live clients, breakers) are read at
// scrape time by the /metrics endpoint (Router). No label value comes from a request: only municipality ids, mount
// ids and fixed route classes, so the number of series is bounded by the manifests.
// Thread-safety: every method is thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace machi::metrics {

// Durations in seconds, Prometheus style: cumulative buckets, a count and a sum.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,  0.1,    0.25,  0.5,
                                                      1,      2.5,   5,      10};
  void observe(std::chrono::steady_clock::duration d);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // Appends `name`_bucket/_sum/_count lines; `labels` is "a=\"x\",b=\"y\"" or "".
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};  // the last one is +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

// Answers by status class (1xx … 5xx).
class ResponseCounters {
 public:
  void count(unsigned status);
  uint64_t of_class(int hundreds) const;  // 1 … 5
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<uint64_t>, 5> by_class_{};
};

// One mini-app of one municipality.
struct AppMetrics {
  ResponseCounters responses;  // every answer for /apps/{id}/…, including the runtime's 503/504
  Histogram duration;          // request to answer, as the client waits
  Histogram plugin_call;       // time inside the plugin's request hook
  std::atomic<uint64_t> deadline_hits{0};     // answered 504 by the runtime
  std::atomic<uint64_t> busy_rejections{0};   // 503: its concurrency limit
  std::atomic<uint64_t> breaker_rejections{0};  // 503: its circuit breaker is open
  std::atomic<uint64_t> shed{0};              // 503: shed under overload (priority)
  std::atomic<uint64_t> failures{0};          // 5xx from the plugin or deadline hits
  std::atomic<uint64_t> host_restarts{0};     // out-of-process: plugin hosts started after a death
};

// Requests the runtime answers itself, by a fixed class of route.
enum class RouteClass { kHealth, kAuth, kMe, kStaff, kWellKnown, kEvents, kMetrics, kOther, kCount };
std::string_view route_class_name(RouteClass c);
RouteClass classify_route(std::string_view path);  // for paths not under /apps/

class Registry {
 public:
  // The series of one mini-app: the same object for the same ids for the registry's lifetime.
  std::shared_ptr<AppMetrics> app(const std::string& municipality, const std::string& mount);
  struct RouteMetrics {
    ResponseCounters responses;
    Histogram duration;
  };
  RouteMetrics& route(RouteClass c) { return routes_[static_cast<size_t>(c)]; }

  // Plain counters of the runtime's background work (notifications, push, scheduler).
  std::atomic<uint64_t> notifications_delivered{0};  // outbox items moved into inboxes
  std::atomic<uint64_t> scheduled_jobs_run{0};
  std::atomic<uint64_t> push_sent{0};
  std::atomic<uint64_t> push_failed{0};               // dropped after refusal or retries
  std::atomic<uint64_t> push_retried{0};
  std::atomic<int64_t> scheduler_lag_us{0};           // last pass: start minus the tick's due time
  std::atomic<uint64_t> scheduler_passes{0};

  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<AppMetrics>> apps_;
  std::array<RouteMetrics, static_cast<size_t>(RouteClass::kCount)> routes_{};
};

// Appends one gauge or counter block: # HELP, # TYPE and one sample without labels.
void render_single(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, double value);
// Escapes a label value (backslash, quote, newline).
std::string label_value(std::string_view v);

}  // namespace machi::metrics
