#include "runtime/metrics/metrics.h"

#include <charconv>

namespace machi::metrics {
namespace {

// The shortest text that reads back as the same double ("0.0005", not "0.00050000000000000001").
std::string number(double v) {
  char buffer[32];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::general).ptr;
  return std::string(buffer, end);
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view labels, std::string_view value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(value).append("\n");
}

std::string join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return std::string(a) + "," + std::string(b);
}

}  // namespace

void Histogram::observe(std::chrono::steady_clock::duration d) {
  double seconds = std::chrono::duration<double>(d).count();
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  sum_ns_.fetch_add(ns > 0 ? static_cast<uint64_t>(ns) : 0, std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  // Read the buckets first and derive the count from them, so one scrape is self-consistent
  // (cumulative buckets never exceed the count) even while requests are being observed.
  uint64_t cumulative = 0;
  const std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::string le = i < kBounds.size() ? number(kBounds[i]) : "+Inf";
    sample(out, bucket, join(labels, "le=\"" + le + "\""), std::to_string(cumulative));
  }
  double sum = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  sample(out, std::string(name) + "_sum", labels, number(sum));
  sample(out, std::string(name) + "_count", labels, std::to_string(cumulative));
}

void ResponseCounters::count(unsigned status) {
  unsigned c = status / 100;
  if (c < 1 || c > 5) c = 5;
  by_class_[c - 1].fetch_add(1, std::memory_order_relaxed);
}

uint64_t ResponseCounters::of_class(int hundreds) const {
  return hundreds >= 1 && hundreds <= 5 ? by_class_[hundreds - 1].load(std::memory_order_relaxed) : 0;
}

void ResponseCounters::render(std::string& out, std::string_view name, std::string_view labels) const {
  for (int c = 1; c <= 5; ++c) {
    sample(out, name, join(labels, "code=\"" + std::to_string(c) + "xx\""), std::to_string(of_class(c)));
  }
}

std::string_view route_class_name(RouteClass c) {
  switch (c) {
    case RouteClass::kHealth: return "health";
    case RouteClass::kAuth: return "auth";
    case RouteClass::kMe: return "me";
    case RouteClass::kStaff: return "staff";
    case RouteClass::kWellKnown: return "well_known";
    case RouteClass::kEvents: return "events";
    case RouteClass::kMetrics: return "metrics";
    default: return "other";
  }
}

RouteClass classify_route(std::string_view path) {
  if (path == "/healthz" || path == "/readyz") return RouteClass::kHealth;
  if (path == "/metrics") return RouteClass::kMetrics;
  if (path.starts_with("/api/v1/auth/")) return RouteClass::kAuth;
  if (path.starts_with("/api/v1/me/events") || path.starts_with("/api/v1/events")) return RouteClass::kEvents;
  if (path == "/api/v1/me" || path.starts_with("/api/v1/me/")) return RouteClass::kMe;
  if (path.starts_with("/api/v1/staff/")) return RouteClass::kStaff;
  if (path.starts_with("/.well-known/")) return RouteClass::kWellKnown;
  return RouteClass::kOther;
}

std::shared_ptr<AppMetrics> Registry::app(const std::string& municipality, const std::string& mount) {
  std::lock_guard lock(mutex_);
  auto& slot = apps_[{municipality, mount}];
  if (!slot) slot = std::make_shared<AppMetrics>();
  return slot;
}

std::string label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void render_single(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, double value) {
  header(out, name, type, help);
  sample(out, name, "", number(value));
}

std::string Registry::render() const {
  std::vector<std::pair<std::string, std::shared_ptr<AppMetrics>>> apps;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, m] : apps_) {
      apps.emplace_back("municipality=\"" + label_value(key.first) + "\",mini_app=\"" +
                            label_value(key.second) + "\"",
                        m);
    }
  }
  std::string out;
  out.reserve(16384);

  header(out, "machi_http_responses_total", "counter",
         "Answers to requests the runtime serves itself, by route class and status class.");
  for (size_t i = 0; i < routes_.size(); ++i) {
    std::string labels = "route_class=\"" + std::string(route_class_name(static_cast<RouteClass>(i))) + "\"";
    routes_[i].responses.render(out, "machi_http_responses_total", labels);
  }
  header(out, "machi_http_request_duration_seconds", "histogram",
         "Time from request to answer for requests the runtime serves itself, by route class.");
  for (size_t i = 0; i < routes_.size(); ++i) {
    std::string labels = "route_class=\"" + std::string(route_class_name(static_cast<RouteClass>(i))) + "\"";
    routes_[i].duration.render(out, "machi_http_request_duration_seconds", labels);
  }

  header(out, "machi_mini_app_responses_total", "counter",
         "Answers to requests for a mini-app (/apps/{id}/), by status class.");
  for (const auto& [labels, m] : apps) m->responses.render(out, "machi_mini_app_responses_total", labels);
  header(out, "machi_mini_app_request_duration_seconds", "histogram",
         "Time from request to answer for a mini-app's requests.");
  for (const auto& [labels, m] : apps) m->duration.render(out, "machi_mini_app_request_duration_seconds", labels);
  header(out, "machi_plugin_call_duration_seconds", "histogram",
         "Time spent inside a plugin's request hook.");
  for (const auto& [labels, m] : apps) m->plugin_call.render(out, "machi_plugin_call_duration_seconds", labels);
  header(out, "machi_mini_app_deadline_hits_total", "counter",
         "Requests the runtime answered 504 because the mini-app missed its deadline.");
  for (const auto& [labels, m] : apps) {
    sample(out, "machi_mini_app_deadline_hits_total", labels, std::to_string(m->deadline_hits.load()));
  }
  header(out, "machi_mini_app_failures_total", "counter",
         "Failed calls (5xx from the plugin, deadline hits), as the circuit breaker counts them.");
  for (const auto& [labels, m] : apps) {
    sample(out, "machi_mini_app_failures_total", labels, std::to_string(m->failures.load()));
  }
  header(out, "machi_mini_app_host_restarts_total", "counter",
         "Out-of-process mini-apps: plugin-host processes started again after one died.");
  for (const auto& [labels, m] : apps) {
    sample(out, "machi_mini_app_host_restarts_total", labels, std::to_string(m->host_restarts.load()));
  }
  header(out, "machi_mini_app_rejected_total", "counter",
         "Requests refused before reaching the plugin: busy (concurrency limit), breaker (open "
         "circuit), shed (overload, by priority).");
  for (const auto& [labels, m] : apps) {
    sample(out, "machi_mini_app_rejected_total", labels + ",reason=\"busy\"", std::to_string(m->busy_rejections.load()));
    sample(out, "machi_mini_app_rejected_total", labels + ",reason=\"breaker\"", std::to_string(m->breaker_rejections.load()));
    sample(out, "machi_mini_app_rejected_total", labels + ",reason=\"shed\"", std::to_string(m->shed.load()));
  }

  render_single(out, "machi_notifications_delivered_total", "counter",
                "Mini-app outbox items moved into residents' inboxes.", notifications_delivered.load());
  render_single(out, "machi_scheduled_jobs_run_total", "counter",
                "Scheduled jobs delivered to mini-apps.", scheduled_jobs_run.load());
  render_single(out, "machi_push_sent_total", "counter", "Web Push messages accepted by a push service.",
                push_sent.load());
  render_single(out, "machi_push_failed_total", "counter",
                "Web Push messages given up (refused, expired or out of attempts).", push_failed.load());
  render_single(out, "machi_push_retried_total", "counter", "Web Push attempts to be retried.",
                push_retried.load());
  render_single(out, "machi_scheduler_passes_total", "counter", "Scheduler passes run.",
                scheduler_passes.load());
  render_single(out, "machi_scheduler_lag_seconds", "gauge",
                "How late the last scheduler pass started after its tick.",
                static_cast<double>(scheduler_lag_us.load()) / 1e6);
  return out;
}

}  // namespace machi::metrics
