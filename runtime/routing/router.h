// Router: the runtime's HTTP endpoints. Picks the municipality by Host, answers the runtime's own
// routes (/healthz, /readyz, /api/v1/apps) and sends /apps/{id}/… to that mini-app's instance:
// inline on the I/O thread when the plugin declared its request hook non-blocking, otherwise on
// the worker pool; 504 past the mini-app's deadline, 503 when its concurrency limit or the pool
// is full. A hook that never returns holds one of its mini-app's concurrency slots (and one
// worker) for good, so one hung plugin cannot take every worker.
// Thread-safety: handle() is called concurrently from I/O threads.
#pragma once

#include <atomic>
#include <string>

#include "runtime/dispatch/worker_pool.h"
#include "runtime/identity/auth_api.h"
#include "runtime/notify/stream_api.h"
#include "runtime/identity/password_hasher.h"
#include "runtime/http/http_message.h"
#include "runtime/routing/municipalities.h"
#include "runtime/routing/web_files.h"

namespace machi {

inline constexpr const char* kOperatorRole = "operator";

class Router {
 public:
  Router(Municipalities& municipalities, WorkerPool& pool, ScheduleAfter schedule_after);
  void handle(HttpRequest request, HttpReply reply);
  // The resident web app's files, served at the site root (set before serving; none: 404).
  void set_web(std::shared_ptr<const WebFiles> web) { web_ = std::move(web); }

 private:
  void list_apps(const MunicipalitySnapshot& m, HttpReply& reply);
  void readiness(HttpReply& reply);
  // GET /metrics (Prometheus text format), answered to loopback peers only.
  void metrics_endpoint(const HttpRequest& request, HttpReply& reply);
  // GET /api/v1/staff/status (role operator): each mini-app's health, version, counts, breaker.
  HttpResponse status_report(const MunicipalitySnapshot& m);
  void authorization_server_metadata(const MunicipalitySnapshot& m, HttpReply& reply);
  void to_mini_app(std::shared_ptr<const MunicipalitySnapshot> m, HttpRequest request,
                   std::string_view id, std::string_view rest, HttpReply reply);
  std::string next_request_id();
  void to_auth_api(std::shared_ptr<const MunicipalitySnapshot> m, HttpRequest request,
                   std::string path, HttpReply reply);
  static std::string client_address(const HttpRequest& request, const Manifest& manifest);

  Municipalities& municipalities_;
  WorkerPool& pool_;
  ScheduleAfter schedule_after_;
  identity::PasswordHasher hasher_;
  identity::AuthApi auth_;
  notify::StreamApi streams_;
  std::string id_prefix_;
  std::atomic<uint64_t> next_id_{1};
  std::shared_ptr<const WebFiles> web_;
};

}  // namespace machi
