#include "runtime/routing/router.h"

#include "runtime/notify/broadcast_api.h"
#include "runtime/notify/inbox_api.h"
#include "runtime/notify/push_api.h"
#include "runtime/notify/web_push.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <openssl/rand.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "runtime/identity/citizen_card.h"
#include "runtime/log/log.h"
#include "runtime/routing/resident_data.h"

namespace machi {
namespace {

namespace json = boost::json;

HttpResponse json_ok(const json::value& value, unsigned status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(value);
  r.headers.emplace_back("cache-control", "no-store");
  return r;
}

// A plugin's health details (JSON text) as a value for a report; nothing when empty or not JSON.
std::optional<json::value> detail_value(const std::string& text) {
  if (text.empty()) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

// The answer of a mini-app that could not start. Residents get "temporarily unavailable" (its
// screens a small page in Japanese and English); the reason is for staff (/readyz, the status
// page), since it names files and plugins.
HttpResponse failed_mini_app(const FailedMount& failed, std::string_view rest) {
  HttpResponse r;
  if (rest.starts_with("/ui/") || rest == "/ui") {  // the remainder keeps its leading slash
    std::string name;
    for (char c : failed.entry.name) {
      if (c == '<') name += "&lt;";
      else if (c == '>') name += "&gt;";
      else if (c == '&') name += "&amp;";
      else if (c == '"') name += "&quot;";
      else name += c;
    }
    r.status = 503;
    r.content_type = "text/html; charset=utf-8";
    r.body = "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><meta name=\"viewport\" "
             "content=\"width=device-width, initial-scale=1\"><title>" + name +
             "</title><main><h1>" + name +
             "</h1><p>ただいまご利用いただけません。しばらくしてからもう一度お試しください。</p>"
             "<p lang=\"en\">This service is temporarily unavailable. Please try again later.</p></main></html>";
    r.headers.emplace_back("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'");
  } else {
    r = json_error(503, "mini_app_failed",
                   "the mini-app '" + failed.entry.id + "' is temporarily unavailable; please try again later");
  }
  r.headers.emplace_back("retry-after", "30");
  r.headers.emplace_back("cache-control", "no-store");
  return r;
}

// Every answer from a mini-app is a sandboxed document to the browser: an opaque origin, so its
// requests are cross-site and never carry the resident's SameSite=Strict session — its screens act
// as the resident only through the shell's bridge (docs/web-app.md) — no inline script, and framed
// only by this origin. Sent as an extra header: a plugin's own policy is enforced as well.
constexpr const char* kMiniAppPolicy =
    "sandbox allow-scripts allow-forms allow-popups allow-downloads; default-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

// `anonymous`: the request carried no credentials, so its answer is public — readable from any
// origin (a sandboxed page is one: the hall display reads its counters so). An answer to a
// signed-in request never is.
HttpResponse from_plugin(PluginResponse p, const std::string& request_id, bool anonymous) {
  HttpResponse r;
  r.status = p.status;
  r.content_type = p.content_type.empty() ? "application/octet-stream" : std::move(p.content_type);
  r.body = std::move(p.body);
  r.headers = std::move(p.headers);
  r.headers.emplace_back("x-request-id", request_id);
  r.headers.emplace_back("content-security-policy", kMiniAppPolicy);
  r.headers.emplace_back("x-content-type-options", "nosniff");
  if (anonymous) r.headers.emplace_back("access-control-allow-origin", "*");
  return r;
}

// One call into a mini-app: answered once (by the plugin or by the deadline); its concurrency
// slot is given back only when the answer is out *and* the hook has returned. The answer is
// counted in the mini-app's metrics and its outcome in the mini-app's circuit breaker.
class Call {
 public:
  // Where an answer comes from: the plugin, the runtime's deadline, or a refusal before the
  // plugin was called (no outcome for the breaker).
  enum class Origin { kPlugin, kDeadline, kRefused };

  Call(std::shared_ptr<const MountedApp> app, HttpReply reply, std::string request_id,
       std::chrono::steady_clock::time_point start, CircuitBreaker::Ticket ticket)
      : app_(std::move(app)), reply_(std::move(reply)), request_id_(std::move(request_id)),
        start_(start), ticket_(ticket) {}

  void answer(HttpResponse response, Origin origin = Origin::kPlugin) {
    HttpReply reply;
    CancelTask cancel;
    {
      std::lock_guard lock(mutex_);
      if (answered_) return;
      answered_ = true;
      reply = std::move(reply_);  // the reply holds the connection: let go of it once used
      cancel = std::move(cancel_deadline_);
    }
    auto now = std::chrono::steady_clock::now();
    metrics::AppMetrics& metrics = *app_->metrics;
    metrics.responses.count(response.status);
    metrics.duration.observe(now - start_);
    if (origin == Origin::kRefused) {
      app_->breaker->release(ticket_);
    } else {
      bool failed = origin == Origin::kDeadline || response.status >= 500;
      if (failed) metrics.failures.fetch_add(1, std::memory_order_relaxed);
      if (origin == Origin::kDeadline) metrics.deadline_hits.fetch_add(1, std::memory_order_relaxed);
      app_->breaker->record(ticket_, !failed, now);
    }
    reply(std::move(response));
    if (cancel) cancel();
    release_if_done();
  }
  // Arms the deadline unless the call was answered already.
  void arm_deadline(const ScheduleAfter& schedule_after, std::shared_ptr<Call> self) {
    std::lock_guard lock(mutex_);
    if (answered_) return;
    cancel_deadline_ = schedule_after(app_->entry.deadline, [self] { self->deadline_passed(); });
  }
  // The hook returned; `token` is its pending token (0: answered or failed).
  void hook_returned(uint64_t token) {
    bool abandon = false;
    {
      std::lock_guard lock(mutex_);
      hook_returned_ = true;
      token_ = token;
      abandon = answered_ && token != 0;  // the deadline passed while the hook ran
    }
    if (abandon) app_->instance->abandon(token);
    release_if_done();
  }
  void deadline_passed() {
    uint64_t token;
    {
      std::lock_guard lock(mutex_);
      if (answered_) return;
      token = token_;
    }
    if (token != 0) app_->instance->abandon(token);
    answer(json_error(504, "deadline_exceeded", "the mini-app '" + app_->entry.id +
                                                    "' did not answer within " +
                                                    std::to_string(app_->entry.deadline.count()) +
                                                    " ms (request " + request_id_ + ")"),
           Origin::kDeadline);
  }
  const std::string& request_id() const { return request_id_; }
  const MountedApp& app() const { return *app_; }
  bool anonymous() const { return anonymous_; }
  void set_anonymous(bool anonymous) { anonymous_ = anonymous; }  // before the plugin is called

 private:
  void release_if_done() {
    std::lock_guard lock(mutex_);
    if (answered_ && hook_returned_ && !released_) {
      released_ = true;
      app_->in_flight->fetch_sub(1);
    }
  }

  std::shared_ptr<const MountedApp> app_;  // keeps the instance alive until the call is over
  HttpReply reply_;
  std::string request_id_;
  std::chrono::steady_clock::time_point start_;
  CircuitBreaker::Ticket ticket_;
  std::mutex mutex_;
  bool answered_ = false;
  bool hook_returned_ = false;
  bool released_ = false;
  uint64_t token_ = 0;
  CancelTask cancel_deadline_;
  bool anonymous_ = false;
};

// Answers a request for a mini-app that never reaches its plugin, counted in its metrics.
void answer_unsent(const MountedApp& app, std::chrono::steady_clock::time_point start, HttpReply& reply,
                   HttpResponse response) {
  app.metrics->responses.count(response.status);
  app.metrics->duration.observe(std::chrono::steady_clock::now() - start);
  reply(std::move(response));
}

}  // namespace

// Key derivations at once: leave a core for serving (scrypt costs ~32 MiB and ~0.1 s each).
int derivation_slots() {
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) - 1);
}

Router::Router(Municipalities& municipalities, WorkerPool& pool, ScheduleAfter schedule_after)
    : municipalities_(municipalities),
      pool_(pool),
      schedule_after_(std::move(schedule_after)),
      hasher_(derivation_slots(), std::chrono::seconds(2)),
      auth_(hasher_),
      streams_(municipalities.live()) {
  unsigned char random[6];
  RAND_bytes(random, sizeof random);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char b : random) {
    id_prefix_.push_back(kHex[b >> 4]);
    id_prefix_.push_back(kHex[b & 0xf]);
  }
}

std::string Router::next_request_id() {
  return id_prefix_ + "-" + std::to_string(next_id_.fetch_add(1, std::memory_order_relaxed));
}

void Router::handle(HttpRequest request, HttpReply reply) {
  const std::string& path = request.path;
  if (!path.starts_with("/apps/")) {
    // Requests for a mini-app are measured per mini-app (to_mini_app); the rest by route class.
    auto& route = municipalities_.metrics().route(metrics::classify_route(path));
    reply = [inner = std::move(reply), &route, start = std::chrono::steady_clock::now()](HttpResponse r) {
      route.responses.count(r.status);
      route.duration.observe(std::chrono::steady_clock::now() - start);
      inner(std::move(r));
    };
  }
  if (path == "/metrics") return metrics_endpoint(request, reply);
  if (path == "/healthz") {
    return reply(json_ok(json::object{{"status", "ok"}}));
  }
  if (path == "/readyz") return readiness(reply);
  auto municipality = municipalities_.by_host(request.host);
  if (!municipality) {
    return reply(json_error(404, "unknown_host",
                            "no municipality is served at host '" + request.host + "'"));
  }
  // A municipality served over https (its public_url) tells browsers never to use plain http
  // for it again (RFC 6797); not includeSubDomains: a city's other hosts are not ours to decide.
  if (municipality->manifest.public_url.starts_with("https://")) {
    reply = [inner = std::move(reply)](HttpResponse r) {
      r.headers.emplace_back("strict-transport-security", "max-age=31536000");
      inner(std::move(r));
    };
  }
  // A mini-app request's token is looked up in the identity's cache after the mini-app is found;
  // start fetching its cache slot now.
  if (path.starts_with("/apps/")) municipality->identity->prefetch(request.header("authorization"));
  if (path == "/api/v1/apps") {
    if (request.method != "GET") return reply(json_error(405, "method_not_allowed", "use GET"));
    return list_apps(*municipality, reply);
  }
  constexpr std::string_view kApi = "/api/v1/";
  if (path.starts_with("/api/v1/auth/") || path == "/api/v1/me" || path.starts_with("/api/v1/me/") ||
      path.starts_with("/api/v1/staff/")) {
    std::string rest = path.substr(kApi.size());
    return to_auth_api(std::move(municipality), std::move(request), std::move(rest),
                       std::move(reply));
  }
  if (path == "/api/v1/push/vapid-public-key") {
    HttpResponse key;
    key.body = json::serialize(json::object{
        {"public_key", notify::vapid_public_key(municipality->identity->vapid_key())}});
    key.headers.emplace_back("cache-control", "public, max-age=3600");
    return reply(std::move(key));
  }
  if (path == "/.well-known/jwks.json") {
    HttpResponse jwks;
    jwks.body = municipality->identity->keys().jwks_json();
    jwks.headers.emplace_back("cache-control", "public, max-age=300");
    return reply(std::move(jwks));
  }
  if (path == "/.well-known/oauth-authorization-server") {
    return authorization_server_metadata(*municipality, reply);
  }
  constexpr std::string_view kApps = "/apps/";
  if (path.starts_with(kApps)) {
    std::string_view rest = std::string_view(path).substr(kApps.size());
    auto slash = rest.find('/');
    std::string_view id = rest.substr(0, slash);
    std::string_view remainder = slash == std::string_view::npos ? "/" : rest.substr(slash);
    if (remainder.starts_with("/live/")) {  // a mini-app's public live channel (SSE)
      if (request.method != "GET") return reply(json_error(405, "method_not_allowed", "use GET"));
      HttpResponse stream = streams_.channel_stream(*municipality, id, remainder.substr(6));
      stream.headers.emplace_back("access-control-allow-origin", "*");  // public, like the channel
      return reply(std::move(stream));
    }
    std::string id_copy(id), remainder_copy(remainder);
    return to_mini_app(std::move(municipality), std::move(request), id_copy, remainder_copy,
                       std::move(reply));
  }
  if (web_ && web_->has(path)) return reply(web_->answer(request));
  reply(json_error(404, "not_found", "no such endpoint: " + path));
}

std::string Router::client_address(const HttpRequest& request, const Manifest& manifest) {
  const auto& proxies = manifest.trusted_proxies;
  if (std::find(proxies.begin(), proxies.end(), request.remote_address) == proxies.end()) {
    return request.remote_address;
  }
  // The last hop the trusted proxy appended is the one it saw.
  std::string_view forwarded = request.header("x-forwarded-for");
  auto comma = forwarded.rfind(',');
  std::string_view last = comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1);
  while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
  while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
  return last.empty() ? request.remote_address : std::string(last);
}

void Router::to_auth_api(std::shared_ptr<const MunicipalitySnapshot> m, HttpRequest request,
                         std::string path, HttpReply reply) {
  auto shared_reply = std::make_shared<HttpReply>(std::move(reply));
  auto task = [this, m, request = std::move(request), path = std::move(path), shared_reply] {
    HttpReply& reply = *shared_reply;
    const std::string& issuer = m->manifest.public_url;
    bool exporting = path == "me/export" && request.method == "GET";
    bool deleting = path == "me" && request.method == "DELETE";
    bool consents = path == "me/consents" || path.starts_with("me/consents/");
    if (path == "me/cards") {
      HttpResponse error;
      auto account = auth_.authenticated_account(request, *m->identity, issuer, error);
      if (!account) return reply(std::move(error));
      return reply(handle_info_cards(*m, *account, request));
    }
    if (path == "me/apps") {
      HttpResponse error;
      auto account = auth_.authenticated_account(request, *m->identity, issuer, error);
      if (!account) return reply(std::move(error));
      return reply(handle_home_order(*m, *account, request));
    }
    if (path == "me/stream-tickets" || path == "me/stream") {
      bool ticketing = path == "me/stream-tickets";
      if (request.method != (ticketing ? "POST" : "GET")) {
        return reply(json_error(405, "method_not_allowed", ticketing ? "use POST" : "use GET"));
      }
      std::string public_id;
      if (auto ticket = query_param(request.query, "ticket"); ticket && !ticketing) {
        auto redeemed = streams_.redeem_ticket(*m, *ticket);
        if (!redeemed) return reply(json_error(401, "invalid_ticket", "unknown, used or expired stream ticket"));
        public_id = std::move(*redeemed);
      } else {
        HttpResponse error;
        auto account = auth_.authenticated_account(request, *m->identity, issuer, error);
        if (!account) return reply(std::move(error));
        public_id = account->public_id;
      }
      return reply(ticketing ? streams_.issue_ticket(*m, public_id)
                             : streams_.resident_stream(*m, public_id, request));
    }
    if (path == "me/push-subscriptions" || path.starts_with("me/push-subscriptions/")) {
      HttpResponse error;
      auto account = auth_.authenticated_account(request, *m->identity, issuer, error);
      if (!account) return reply(std::move(error));
      return reply(notify::handle_push_subscriptions(m->identity->notifications(),
                                                     m->manifest, *account, request,
                                                     std::string_view(path).substr(21)));
    }
    if (path == "staff/status") {
      HttpResponse error;
      auto staff = auth_.staff_account(request, *m->identity, issuer, error, {kOperatorRole});
      if (!staff) return reply(std::move(error));
      if (request.method != "GET") return reply(json_error(405, "method_not_allowed", "use GET"));
      return reply(status_report(*m));
    }
    if (path == "staff/broadcasts" || path.starts_with("staff/broadcasts/")) {
      HttpResponse error;
      auto staff = auth_.staff_account(request, *m->identity, issuer, error, {notify::kBroadcastRole});
      if (!staff) return reply(std::move(error));
      return reply(notify::handle_broadcasts(*m, staff->login, request, std::string_view(path).substr(16),
                                             municipalities_.live()));
    }
    if (path == "me/notification-preferences") {
      HttpResponse error;
      auto account = auth_.authenticated_account(request, *m->identity, issuer, error);
      if (!account) return reply(std::move(error));
      return reply(notify::handle_preferences(m->identity->notifications(), m->identity->accounts(), m->manifest, *account, request));
    }
    if (path == "me/notifications" || path.starts_with("me/notifications/")) {
      HttpResponse error;
      auto account = auth_.authenticated_account(request, *m->identity, issuer, error);
      if (!account) return reply(std::move(error));
      return reply(notify::handle_inbox(m->identity->notifications(), *account, request,
                                        std::string_view(path).substr(16)));
    }
    if (consents) {
      HttpResponse error;
      auto account = auth_.authenticated_account(request, *m->identity, issuer, error);
      if (!account) return reply(std::move(error));
      std::string_view mount = path == "me/consents" ? "" : std::string_view(path).substr(12);
      return reply(handle_consents(*m, *account, request, mount));
    }
    if (exporting || deleting) {
      HttpResponse error;
      std::string password;
      if (deleting) {
        boost::system::error_code ec;
        json::value body = json::parse(request.body, ec);
        const json::value* p = ec || !body.is_object() ? nullptr : body.as_object().if_contains("password");
        if (p && p->is_string()) password = std::string(p->as_string());
      }
      auto account = auth_.authenticated_account(request, *m->identity, issuer, error,
                                                 deleting ? &password : nullptr);
      if (!account) return reply(std::move(error));
      return reply(exporting ? export_resident_data(*m, *account) : delete_resident(*m, *account));
    }
    std::string client = client_address(request, m->manifest);
    reply(auth_.handle(request, path, *m->identity, m->manifest, client));
  };
  // Sign-in and the resident API rank high: they keep a share of the queue under overload.
  if (!pool_.try_post({std::move(task), m->manifest.municipality_id + "/auth", WorkerPool::Priority::kHigh})) {
    HttpResponse full = json_error(503, "overloaded", "all workers are busy; retry shortly");
    full.headers.emplace_back("retry-after", "1");
    (*shared_reply)(std::move(full));
  }
}

void Router::list_apps(const MunicipalitySnapshot& m, HttpReply& reply) {
  json::array apps;
  for (const auto& app : m.apps) {
    json::array audience;
    if (app->entry.for_residents) audience.emplace_back("residents");
    if (app->entry.for_visitors) audience.emplace_back("visitors");
    const LoadedPlugin& plugin = app->instance->plugin();
    apps.push_back(json::object{
        {"id", app->entry.id},
        {"name", app->entry.name},
        {"version", plugin.version},
        {"description", app->entry.description.empty() ? plugin.description
                                                        : app->entry.description},
        {"audience", std::move(audience)},
        {"url", m.manifest.public_url + "/apps/" + app->entry.id + "/"}});
  }
  reply(json_ok(json::object{{"municipality", m.manifest.municipality_id},
                             {"name", m.manifest.name},
                             {"apps", std::move(apps)}}));
}

// RFC 8414 metadata: what a standard client needs to verify Machi's tokens. The issuer is the
// manifest's public_url, never the request's Host.
void Router::authorization_server_metadata(const MunicipalitySnapshot& m, HttpReply& reply) {
  const std::string& issuer = m.manifest.public_url;
  HttpResponse r = json_ok(json::object{
      {"issuer", issuer},
      {"jwks_uri", issuer + "/.well-known/jwks.json"},
      {"response_types_supported", json::array{}},
      {"token_endpoint_auth_methods_supported", json::array{"none"}},
      {"access_token_signing_alg_values_supported", json::array{"ES256"}},
      {"service_documentation", issuer + "/docs/identity.md"}});
  r.headers = {{"cache-control", "public, max-age=300"}};
  reply(std::move(r));
}

namespace {

bool is_loopback(std::string_view address) {
  return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

}  // namespace

void Router::metrics_endpoint(const HttpRequest& request, HttpReply& reply) {
  if (request.method != "GET") return reply(json_error(405, "method_not_allowed", "use GET"));
  // A request a proxy forwarded comes from loopback too when the proxy runs on this host: it
  // is refused, so a public proxy cannot expose the metrics.
  bool forwarded = !request.header("x-forwarded-for").empty() || !request.header("forwarded").empty();
  if (!is_loopback(request.remote_address) || forwarded) {
    return reply(json_error(403, "forbidden",
                            "/metrics is served to loopback clients only, never through a proxy: "
                            "scrape it from the host (docs/operations.md)"));
  }
  std::string out = municipalities_.metrics().render();
  WorkerPool::Stats stats = pool_.stats();
  metrics::render_single(out, "machi_worker_pool_workers", "gauge", "Worker threads.", stats.workers);
  metrics::render_single(out, "machi_worker_pool_busy", "gauge", "Workers running a task.", stats.busy);
  metrics::render_single(out, "machi_worker_pool_queued", "gauge", "Tasks waiting for a worker.", stats.queued);
  metrics::render_single(out, "machi_worker_pool_stuck", "gauge",
                         "Workers busy past the stuck threshold.", static_cast<double>(stats.stuck.size()));
  if (LiveHub* live = municipalities_.live()) {
    metrics::render_single(out, "machi_live_subscribers", "gauge",
                           "Live clients (server-sent event streams) connected.",
                           static_cast<double>(live->subscribers()));
  }
  std::string in_flight, breaker, healthy, states;
  for (const auto& m : municipalities_.all()) {
    auto labels_of = [&](const std::string& id) {
      return "{municipality=\"" + metrics::label_value(m->manifest.municipality_id) + "\",mini_app=\"" +
             metrics::label_value(id) + "\"}";
    };
    for (const auto& app : m->apps) {
      std::string labels = labels_of(app->entry.id);
      in_flight += "machi_mini_app_in_flight" + labels + " " + std::to_string(app->in_flight->load()) + "\n";
      auto state = app->breaker->state(std::chrono::steady_clock::now());
      breaker += "machi_mini_app_breaker_state" + labels + " " + std::to_string(static_cast<int>(state)) + "\n";
      AppHealth health = app_health(*app);
      healthy += "machi_mini_app_healthy" + labels + " " + (health.state == AppState::kOk ? "1" : "0") + "\n";
      states += "machi_mini_app_state" + labels + " " + std::to_string(static_cast<int>(health.state)) + "\n";
    }
    for (const auto& failed : m->failed) {
      healthy += "machi_mini_app_healthy" + labels_of(failed.entry.id) + " 0\n";
      states += "machi_mini_app_state" + labels_of(failed.entry.id) + " 2\n";
    }
  }
  out += "# HELP machi_mini_app_in_flight Requests a mini-app is handling now.\n"
         "# TYPE machi_mini_app_in_flight gauge\n" + in_flight;
  out += "# HELP machi_mini_app_breaker_state Circuit breaker: 0 closed, 1 open, 2 half-open.\n"
         "# TYPE machi_mini_app_breaker_state gauge\n" + breaker;
  out += "# HELP machi_mini_app_healthy Whether the mini-app is ok (1) or degraded or failed (0).\n"
         "# TYPE machi_mini_app_healthy gauge\n" + healthy;
  out += "# HELP machi_mini_app_state The mini-app's health: 0 ok, 1 degraded, 2 failed (could not start).\n"
         "# TYPE machi_mini_app_state gauge\n" + states;
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(out);
  r.headers.emplace_back("cache-control", "no-store");
  reply(std::move(r));
}

HttpResponse Router::status_report(const MunicipalitySnapshot& m) {
  auto now = std::chrono::steady_clock::now();
  json::array apps;
  for (const auto& app : m.apps) {
    const metrics::AppMetrics& counts = *app->metrics;
    HealthReport health = app->instance->health();  // a fresh report for staff
    app->health->store(health);
    AppHealth now_health = app_health(*app);
    json::object responses;
    for (int c = 1; c <= 5; ++c) responses[std::to_string(c) + "xx"] = counts.responses.of_class(c);
    auto state = app->breaker->state(now);
    json::object breaker{{"state", CircuitBreaker::name(state)},
                         {"failures_in_a_row", app->breaker->failures_in_a_row()},
                         {"times_opened", app->breaker->times_opened()},
                         {"retry_after_ms", app->breaker->retry_after(now).count()}};
    json::object entry{{"id", app->entry.id},
                       {"plugin", app->instance->plugin().id},
                       {"version", app->instance->plugin().version},
                       {"isolation", app->instance->isolation()},
                       {"host_restarts", counts.host_restarts.load()},
                       {"healthy", now_health.state == AppState::kOk},
                       {"state", app_state_name(now_health.state)},
                       {"in_flight", app->in_flight->load()},
                       {"responses", std::move(responses)},
                       {"failures", counts.failures.load()},
                       {"deadline_hits", counts.deadline_hits.load()},
                       {"rejected", json::object{{"busy", counts.busy_rejections.load()},
                                                 {"breaker", counts.breaker_rejections.load()},
                                                 {"shed", counts.shed.load()}}},
                       {"breaker", std::move(breaker)}};
    if (!now_health.reason.empty()) entry["reason"] = now_health.reason;
    if (auto detail = detail_value(now_health.detail_json)) entry["detail"] = std::move(*detail);
    apps.push_back(std::move(entry));
  }
  for (const auto& failed : m.failed) {
    apps.push_back(json::object{{"id", failed.entry.id}, {"healthy", false}, {"state", "failed"},
                                {"reason", failed.reason}, {"isolation", failed.entry.isolation}});
  }
  WorkerPool::Stats stats = pool_.stats();
  return json_ok(json::object{{"municipality", m.manifest.municipality_id},
                              {"generation", m.generation},
                              {"mini_apps", std::move(apps)},
                              {"workers", json::object{{"total", stats.workers},
                                                       {"busy", stats.busy},
                                                       {"queued", stats.queued},
                                                       {"stuck", static_cast<uint64_t>(stats.stuck.size())}}}});
}

// Ready means "this node can serve": at least one municipality is loaded. One mini-app's state
// (degraded, failed) or a manifest change kept out is in the body, never a 503: a load balancer
// must not take a whole node out of rotation for one vendor's bug. (Draining closes the
// listener, so a probe then fails to connect.)
void Router::readiness(HttpReply& reply) {
  std::map<std::filesystem::path, std::shared_ptr<const MunicipalitySnapshot>> by_file;
  for (const auto& m : municipalities_.all()) by_file.emplace(m->manifest.file, m);
  bool ready = !by_file.empty();
  json::array municipalities;
  json::array unhealthy;
  for (const MunicipalityStatus& s : municipalities_.status()) {
    json::array problems;
    for (const auto& p : s.problems) problems.emplace_back(p);
    json::object entry{{"manifest", s.manifest_file.string()},
                       {"municipality", s.municipality_id},
                       {"generation", s.generation},
                       {"loaded", false},
                       {"problems", std::move(problems)}};
    auto it = by_file.find(s.manifest_file);
    if (it != by_file.end()) {
      const MunicipalitySnapshot& m = *it->second;
      AppState worst = AppState::kOk;
      json::array apps;
      auto add = [&](const std::string& id, const AppHealth& h) {
        json::object a{{"id", id}, {"state", app_state_name(h.state)}};
        if (!h.reason.empty()) a["reason"] = h.reason;
        if (auto detail = detail_value(h.detail_json)) a["detail"] = std::move(*detail);
        apps.push_back(std::move(a));
        if (h.state != AppState::kOk) unhealthy.emplace_back(m.manifest.municipality_id + "/" + id);
        worst = std::max(worst, h.state);
      };
      for (const auto& app : m.apps) add(app->entry.id, app_health(*app));
      for (const auto& failed : m.failed) add(failed.entry.id, AppHealth{AppState::kFailed, failed.reason, ""});
      entry["loaded"] = true;
      entry["state"] = worst == AppState::kOk && !s.problems.empty() ? "degraded" : app_state_name(std::min(worst, AppState::kDegraded));
      entry["mini_apps"] = std::move(apps);
    }
    municipalities.push_back(std::move(entry));
  }
  WorkerPool::Stats stats = pool_.stats();
  json::array stuck;
  for (const auto& w : stats.stuck) {
    stuck.push_back(json::object{{"task", w.label}, {"busy_ms", w.busy_for.count()}});
  }
  json::object body{{"ready", ready},
                    {"municipalities", std::move(municipalities)},
                    {"unhealthy_mini_apps", std::move(unhealthy)},
                    {"workers", json::object{{"total", stats.workers},
                                             {"busy", stats.busy},
                                             {"queued", stats.queued},
                                             {"stuck", std::move(stuck)}}}};
  reply(json_ok(body, ready ? 200 : 503));
}

void Router::to_mini_app(std::shared_ptr<const MunicipalitySnapshot> m, HttpRequest request,
                         std::string_view id, std::string_view rest, HttpReply reply) {
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const MountedApp> app = m->find(id);
  if (!app) {
    if (const FailedMount* failed = m->find_failed(id)) return reply(failed_mini_app(*failed, rest));
    return reply(json_error(404, "unknown_mini_app",
                            "no mini-app '" + std::string(id) + "' is enabled here"));
  }
  // Who is asking: a bearer token becomes a claims view; the token itself never goes further.
  bool staff = false;
  auto caller = m->identity->authenticate_request(request.header("authorization"),
                                                  request.header("cookie"),
                                                  request.header("x-csrf-token"), request.method,
                                                  m->manifest.public_url);
  if (caller.status == 401 || caller.status == 403) {
    log_line(LogLevel::kInfo, "identity", "credentials refused", {{"reason", caller.message}});
    HttpResponse refused = json_error(caller.status, caller.status == 401 ? "invalid_token" : "csrf",
                                      caller.message);
    if (caller.status == 401) refused.headers.emplace_back("www-authenticate", "Bearer error=\"invalid_token\"");
    return answer_unsent(*app, start, reply, std::move(refused));
  }
  if (caller.status == 200) {
    // The claims view is taken below, after other work, while its memo entry is fetched.
    caller.principal->claims_memo.prefetch(app.get());
    staff = !caller.principal->roles.empty();
  }
  // Staff may resolve a scanned citizen card to this mini-app's subject (ABI 1.1 card_resolve).
  CardResolver resolve_card;
  if (staff) {
    resolve_card = [identity = m->identity, issuer = m->manifest.public_url, mount = app->entry.id,
                    staff = caller.principal->public_id](std::string_view card, std::string& out) {
      auto resident = identity::redeem_citizen_card(*identity, card, issuer);
      if (!resident) {
        out = resident.error();
        return false;
      }
      auto reader = identity->accounts().by_public_id(staff);
      Status logged = identity->consents().add_disclosure(
          resident->id, {identity::unix_now() * 1000, reader ? reader->login : "staff", mount, "sub"});
      if (!logged) {
        out = "the disclosure could not be logged, so nothing was disclosed";
        return false;
      }
      out = identity->pairwise_subject(mount, resident->public_id);
      return true;
    };
  }
  // An open breaker refuses before anything is spent on the call.
  CircuitBreaker::Ticket ticket = app->breaker->admit(start);
  if (ticket == CircuitBreaker::Ticket::kRefused) {
    app->metrics->breaker_rejections.fetch_add(1, std::memory_order_relaxed);
    auto wait = app->breaker->retry_after(start);
    HttpResponse open = json_error(503, "mini_app_unavailable",
                                   "the mini-app '" + app->entry.id +
                                       "' is failing and has been cut off for a while; retry later");
    open.headers.emplace_back("retry-after", std::to_string(std::max<int64_t>(1, (wait.count() + 999) / 1000)));
    return answer_unsent(*app, start, reply, std::move(open));
  }
  if (app->in_flight->fetch_add(1) >= app->entry.concurrency) {
    app->in_flight->fetch_sub(1);
    HttpResponse busy = json_error(503, "mini_app_busy",
                                   "the mini-app '" + app->entry.id + "' is at its limit of " +
                                       std::to_string(app->entry.concurrency) +
                                       " concurrent requests");
    busy.headers.emplace_back("retry-after", "1");
    app->metrics->busy_rejections.fetch_add(1, std::memory_order_relaxed);
    app->breaker->release(ticket);
    return answer_unsent(*app, start, reply, std::move(busy));
  }
  auto call = std::make_shared<Call>(app, std::move(reply), next_request_id(), start, ticket);
  call->set_anonymous(caller.status == 0);
  PluginRequest plugin_request;
  plugin_request.method = std::move(request.method);
  plugin_request.path = std::string(rest);
  plugin_request.query = std::move(request.query);
  plugin_request.body = std::move(request.body);
  plugin_request.headers = std::move(request.headers);  // filtered again by the instance
  plugin_request.request_id = call->request_id();
  if (caller.principal) plugin_request.shared_claims = claims_for(*m, *app, *caller.principal);
  plugin_request.resolve_card = std::move(resolve_card);

  auto run = [](const std::shared_ptr<Call>& call, const PluginRequest& plugin_request) {
    auto entered = std::chrono::steady_clock::now();
    uint64_t token = call->app().instance->handle_request(
        plugin_request, [call](PluginResponse r) {
          call->answer(from_plugin(std::move(r), call->request_id(), call->anonymous()));
        });
    call->app().metrics->plugin_call.observe(std::chrono::steady_clock::now() - entered);
    call->hook_returned(token);
  };
  if (app->instance->runs_inline()) {
    run(call, plugin_request);  // the fast path: inline on this I/O thread
  } else {
    auto queued = std::make_shared<PluginRequest>(std::move(plugin_request));
    bool known = false;
    auto priority = WorkerPool::parse_priority(app->entry.priority, known);
    if (!pool_.try_post({[run, call, queued] { run(call, *queued); },
                         m->manifest.municipality_id + "/" + app->entry.id, priority})) {
      call->hook_returned(0);
      // Below critical, a refusal is load shedding: the queue keeps room for higher priorities.
      bool shed = priority != WorkerPool::Priority::kCritical;
      if (shed) app->metrics->shed.fetch_add(1, std::memory_order_relaxed);
      HttpResponse full = shed ? json_error(503, "shed", "the runtime is overloaded and serves more urgent "
                                                         "mini-apps first; retry shortly")
                               : json_error(503, "overloaded", "all workers are busy; retry shortly");
      full.headers.emplace_back("retry-after", shed ? "2" : "1");
      return call->answer(std::move(full), Call::Origin::kRefused);
    }
  }
  call->arm_deadline(schedule_after_, call);
}

}  // namespace machi
