// Notification benchmark (issue: notifications), in one process on loopback:
//  1. a broadcast to N synthetic residents (default 100,000) through the real HTTP API: time from
//     the request to its answer, which comes after every inbox row and push-queue entry is
//     committed (one transaction);
//  2. Web Push delivery of that broadcast to P subscriptions (default 2,000) on a local HTTPS sink,
//     against the sink's own measured request rate (4 parallel clients) as the ceiling;
//  3. reminders for N residents enqueued by a plugin (the notes fixture, one transaction through
//     the host's schedule_until), then delivered to completion (on_event + notify + relay).
// Synthetic residents are written straight into runtime.db (registering 100,000 through scrypt
// would take hours); everything measured goes through the runtime's own code paths.
// Usage: notify_bench [N] [P]   Prints Markdown to stdout.
#include <boost/json/parse.hpp>
#include <sqlite3.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "bench/bench_city.h"
#include "runtime/http/https_client.h"
#include "runtime/identity/password_hasher.h"
#include "runtime/scheduler/local_time.h"
#include "runtime/scheduler/scheduler.h"
#include "tests/support/http_client.h"
#include "tests/support/push_decrypt.h"
#include "tests/support/test_push_service.h"

using namespace machi;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::stoll(argv[1]) : 100'000;
  const int64_t p = argc > 2 ? std::stoll(argv[2]) : 2'000;
  test::ScratchDir dir;
  test::TestPushService sink(dir.path());

  bench::City city(dir.path(), R"({"municipality": "bench", "name": "Bench", "public_url": "https://localhost",
    "hostnames": ["localhost"], "timezone": "Asia/Tokyo", "staff_roles": ["operator"],
    "push": {"services": [")" + sink.origin() + R"("]}, "broadcasts": {"minimum_audience": 1},
    "mini_apps": [{"id": "notes", "name": "Notes", "plugin": "bench_notes.so", "job_quota": 1000000}]})",
                   {BENCH_PLUGIN_DIR});
  const auto& m = city.m;

  // Synthetic residents, their pairwise subjects in the notes mini-app, P push subscriptions.
  auto setup = Clock::now();
  sqlite3* db = bench::open_db(dir / "data" / "bench" / "runtime.db");
  bench::exec(db, "BEGIN");
  bench::add_residents(db, n, "notes");
  std::string p256dh = identity::base64url_decode(test::kUaPublic).value();
  std::string auth = identity::base64url_decode(test::kUaAuth).value();
  sqlite3_stmt* sub = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO push_subscriptions(account_id, endpoint, p256dh, auth, created_ms) "
                         "SELECT id, ?1 || id, ?2, ?3, 0 FROM accounts WHERE id <= ?4", -1, &sub, nullptr);
  std::string base = sink.origin() + "/push/";
  sqlite3_bind_text(sub, 1, base.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob(sub, 2, p256dh.data(), static_cast<int>(p256dh.size()), SQLITE_TRANSIENT);
  sqlite3_bind_blob(sub, 3, auth.data(), static_cast<int>(auth.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(sub, 4, p);
  sqlite3_step(sub);
  sqlite3_finalize(sub);
  bench::exec(db, "COMMIT");
  sqlite3_close(db);
  bench::add_operator(*m);
  double setup_s = seconds_since(setup);

  notify::Notifier notifier(&city.live);
  HttpsClientOptions tls{sink.ca_file().string(), std::chrono::milliseconds(10'000)};
  notify::PushSender push([&](const notify::PushRequest& r) { return https_post(r, tls); });
  Scheduler scheduler(city.municipalities, city.pool, notifier, &push);
  test::HttpClient c(city.server.port());
  auto token_reply = c.request("POST", "/api/v1/auth/token", "localhost", {{"Content-Type", "application/json"}},
                               bench::kOperatorSignIn);
  std::string token(json::parse(token_reply.body).at("access_token").as_string());
  std::vector<std::pair<std::string, std::string>> bearer = {{"Authorization", "Bearer " + token},
                                                              {"Content-Type", "application/json"}};

  // 1. Broadcast: request → all committed.
  auto t0 = Clock::now();
  auto sent = c.request("POST", "/api/v1/staff/broadcasts", "localhost", bearer,
                        R"({"audience": null, "notification": {"key": "b1", "category": "notice", "title": "断水のお知らせ", "body": "明日 9時〜12時"}})");
  double commit_s = seconds_since(t0);
  auto state = json::parse(sent.body);
  int64_t recipients = state.as_object().contains("recipients") ? state.at("recipients").as_int64() : -1;
  int64_t queued = m->identity->notifications().queued_pushes();

  // 2. The sink's ceiling: 4 parallel clients for 3 s.
  std::atomic<int64_t> ceiling_count{0};
  auto ceiling_start = Clock::now();
  {
    std::vector<std::thread> clients;
    for (int i = 0; i < 4; ++i) {
      clients.emplace_back([&] {
        notify::PushRequest r{sink.origin() + "/ceiling", {{"ttl", "60"}}, std::string(200, 'x')};
        while (seconds_since(ceiling_start) < 3.0) {
          if (https_post(r, tls).status == 201) ++ceiling_count;
        }
      });
    }
    for (auto& t : clients) t.join();
  }
  double ceiling_rps = static_cast<double>(ceiling_count) / seconds_since(ceiling_start);
  auto p0 = Clock::now();
  int64_t pushed = 0;
  while (m->identity->notifications().queued_pushes() > 0) pushed += static_cast<int64_t>(push.run(*m, unix_now_ms()).sent);
  double push_s = seconds_since(p0);
  double push_rps = static_cast<double>(pushed) / push_s;
  double delivered_s = commit_s + push_s;

  // 3. Reminders: the plugin schedules N jobs in one transaction.
  auto r0 = Clock::now();
  auto reminded = c.request("POST", "/apps/notes/remind-many?n=" + std::to_string(n) + "&due=" +
                                        std::to_string(unix_now_ms()), "localhost", bearer, "");
  double enqueue_s = seconds_since(r0);
  auto d0 = Clock::now();
  size_t events = 0, relayed = 0;
  for (;;) {  // to completion: one pass delivers every due job, then relays
    auto pass = scheduler.run_once();
    events += pass.events;
    relayed += pass.notifications;
    if (pass.events == 0 && pass.notifications == 0) break;
  }
  double deliver_s = seconds_since(d0);

  std::printf("# Notifications benchmark (bench/run_notify.sh)\n\n");
  std::printf("Synthetic residents: %lld (setup %.1f s, written straight into runtime.db); push subscriptions: %lld.\n\n",
              static_cast<long long>(n), setup_s, static_cast<long long>(p));
  std::printf("| measure | result |\n| --- | ---: |\n");
  std::printf("| broadcast to every resident: request → all committed (HTTP %u, %lld inbox rows, %lld push entries) | **%.3f s** (target ≤ 2 s) |\n",
              sent.status, static_cast<long long>(recipients), static_cast<long long>(queued), commit_s);
  std::printf("| push sink ceiling (4 parallel TLS clients, new connection each) | %.0f req/s |\n", ceiling_rps);
  std::printf("| push delivery of the broadcast: %lld messages | %.2f s, %.0f msg/s = **%.2f× the sink ceiling** |\n",
              static_cast<long long>(pushed), push_s, push_rps, push_rps / ceiling_rps);
  std::printf("| request → all %lld pushes delivered | %.2f s |\n", static_cast<long long>(pushed), delivered_s);
  std::printf("| plugin enqueues %lld reminders (one transaction, HTTP %u) | **%.3f s** |\n",
              static_cast<long long>(n), reminded.status, enqueue_s);
  std::printf("| reminder delivery to completion (on_event + notify, then relay into inboxes): %.1f s | %zu events (%.0f/s), %zu into inboxes (%.0f/s) |\n",
              deliver_s, events, static_cast<double>(events) / deliver_s, relayed, static_cast<double>(relayed) / deliver_s);
  std::printf("\nSink requests received: %zu.\n", sink.calls().size());
  return sent.status == 201 ? 0 : 1;
}
