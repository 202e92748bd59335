// Garbage calendar benchmark (issue: garbage calendar), in one process on loopback, with Saga
// City's published 5374 files (314 areas, 4 categories) and the demo city's rules:
//  1. next-collection queries: GET /apps/garbage/next?area=… for random areas through the real
//     HTTP server, T keep-alive clients for D seconds; requests/s and p50/p99 latency, against a
//     trivial blocking plugin (bench_pool: fixed answer, same worker pool) measured in the same
//     run — the ratio is what the calendar's own work costs; plus the engine alone (no HTTP).
//  2. reminders for N residents (default 100,000): synthetic residents (written straight into
//     runtime.db and the plugin's database; registering 100,000 through scrypt would take hours)
//     spread over the areas whose next collection is the same day D; a staff change reschedules
//     every area's jobs; then one scheduler pass at 19:00 the evening before D (injected clock)
//     delivers the jobs: on_event notifies every resident in one transaction per area, and the
//     runtime relays the outbox into the inboxes.
// Usage: garbage_bench [N] [SECONDS] [CLIENTS]   Prints Markdown to stdout.
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "bench/bench_city.h"
#include "calendar.h"
#include "dataset.h"
#include "runtime/scheduler/local_time.h"
#include "runtime/scheduler/scheduler.h"
#include "settings.h"
#include "tests/support/http_client.h"
#include "tests/support/scratch_dir.h"

using namespace machi;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

const char* kConfig = R"({"layout": {"group": 0, "area": 1, "center": 2, "first_category": 3},
  "suspension": "skip", "holidays": {"default": "collect"}, "closures": [{"from": "12/31", "to": "01/03"}],
  "staff_roles": ["operator"]})";

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Load {
  double rps = 0, p50_ms = 0, p99_ms = 0;
  size_t requests = 0, failures = 0;
};

// `clients` keep-alive clients, each asking `path_of(random)` for `seconds`.
template <typename PathOf>
Load run_load(uint16_t port, int clients, double seconds, PathOf path_of) {
  std::vector<std::vector<double>> latencies(clients);
  std::atomic<size_t> failures{0};
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      test::HttpClient c(port);
      std::mt19937 rng(static_cast<unsigned>(i + 1));
      while (seconds_since(start) < seconds) {
        auto t = Clock::now();
        auto r = c.request("GET", path_of(rng), "localhost", {}, "");
        latencies[i].push_back(seconds_since(t) * 1000);
        if (r.status != 200) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  double elapsed = seconds_since(start);
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Load out;
  out.requests = all.size();
  out.failures = failures;
  out.rps = static_cast<double>(all.size()) / elapsed;
  if (!all.empty()) {
    out.p50_ms = all[all.size() / 2];
    out.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::stoll(argv[1]) : 100'000;
  const double seconds = argc > 2 ? std::stod(argv[2]) : 5.0;
  const int clients = argc > 3 ? std::stoi(argv[3]) : 4;
  test::ScratchDir dir;

  // The engine, loaded the way the plugin loads it, to pick areas and compute expectations.
  garbage::Files files;
  for (const auto& e : std::filesystem::directory_iterator(BENCH_5374_SAGA)) {
    if (!garbage::known_file(e.path().filename().string())) continue;
    std::ifstream in(e.path(), std::ios::binary);
    files[e.path().filename().string()] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::vector<machi::sdk::ConfigProblem> problems;
  garbage::Settings settings = garbage::read_settings(json::parse(kConfig), problems);
  std::vector<garbage::ImportError> errors;
  auto data = garbage::import_dataset(files, settings.layout, errors);
  if (!data) {
    std::fprintf(stderr, "import failed: %s\n", garbage::to_string(errors.front()).c_str());
    return 1;
  }

  HttpServerOptions options;
  bench::City city(dir.path(), R"({"municipality": "bench", "name": "Bench", "public_url": "https://localhost",
    "hostnames": ["localhost"], "timezone": "Asia/Tokyo", "staff_roles": ["operator"],
    "mini_apps": [{"id": "garbage", "name": "ごみ", "plugin": "garbage_calendar.so", "data_dir": ")" +
                                       std::string(BENCH_5374_SAGA) + R"(", "concurrency": 1024, "config": )" + kConfig + R"(},
                  {"id": "pool", "name": "Pool", "plugin": "bench_pool.so", "concurrency": 1024}]})",
                   {BENCH_PLUGIN_DIR, MAIN_PLUGIN_DIR}, options, 4096);
  const auto& m = city.m;
  notify::Notifier notifier(&city.live);
  Scheduler scheduler(city.municipalities, city.pool, notifier);
  const uint16_t port = city.server.port();

  // 1. Next-collection queries, against the trivial plugin in the same run.
  std::vector<std::string> area_paths;
  for (const auto& a : data->areas) {
    area_paths.push_back("/apps/garbage/next?area=" + boost::urls::encode(a.id, boost::urls::unreserved_chars));
  }
  std::uniform_int_distribution<size_t> pick(0, area_paths.size() - 1);
  run_load(port, clients, 1.0, [&](std::mt19937& rng) { return area_paths[pick(rng)]; });  // warm-up
  Load baseline = run_load(port, clients, seconds, [](std::mt19937&) { return std::string("/apps/pool/"); });
  Load next = run_load(port, clients, seconds, [&](std::mt19937& rng) { return area_paths[pick(rng)]; });
  // The engine alone: next date of every category for every area, repeatedly.
  garbage::Day today = date::floor<date::days>(std::chrono::system_clock::now());
  size_t engine_queries = 0;
  auto e0 = Clock::now();
  while (seconds_since(e0) < 2.0) {
    for (const auto& a : data->areas) {
      for (size_t c = 0; c < data->categories.size(); ++c) garbage::next_date(*data, settings.rules, a, c, today);
      ++engine_queries;
    }
  }
  double engine_qps = static_cast<double>(engine_queries) / seconds_since(e0);

  // 2. Reminders: the areas whose next collection (evening reminder still ahead) is day D.
  int64_t now = unix_now_ms();
  auto evening_before = [](garbage::Day d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>((d - date::days(1) + std::chrono::hours(10)).time_since_epoch()).count();
  };
  std::map<garbage::Day, std::vector<std::string>> by_day;
  for (const auto& a : data->areas) {
    for (const auto& c : garbage::collections(*data, settings.rules, a, today, today + date::days(30))) {
      if (evening_before(c.day) > now + 120'000) {
        by_day[c.day].push_back(a.id);
        break;
      }
    }
  }
  auto busiest = std::max_element(by_day.begin(), by_day.end(),
                                  [](const auto& x, const auto& y) { return x.second.size() < y.second.size(); });
  garbage::Day day = busiest->first;
  const std::vector<std::string>& areas = busiest->second;

  auto setup = Clock::now();
  sqlite3* db = bench::open_db(dir / "data" / "bench" / "runtime.db");
  bench::exec(db, "BEGIN");
  bench::add_residents(db, n, "garbage");
  bench::exec(db, "COMMIT");
  sqlite3_close(db);
  db = bench::open_db(dir / "data" / "bench" / "apps" / "garbage.db");
  bench::exec(db, "BEGIN");
  sqlite3_stmt* put = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO residents(subject, area_id, categories, evening, morning, updated_ms) VALUES (?1, ?2, '[]', 1, 0, 0)",
                     -1, &put, nullptr);
  for (int64_t i = 0; i < n; ++i) {
    std::string subject = "s" + std::to_string(i);
    const std::string& area = areas[static_cast<size_t>(i) % areas.size()];
    sqlite3_bind_text(put, 1, subject.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(put, 2, area.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(put);
    sqlite3_reset(put);
  }
  sqlite3_finalize(put);
  bench::exec(db, "COMMIT");
  sqlite3_close(db);
  bench::add_operator(*m);
  double setup_s = seconds_since(setup);

  test::HttpClient c(port);
  auto token_reply = c.request("POST", "/api/v1/auth/token", "localhost", {{"Content-Type", "application/json"}},
                               bench::kOperatorSignIn);
  std::string token(json::parse(token_reply.body).at("access_token").as_string());
  auto r0 = Clock::now();
  auto change = c.request("POST", "/apps/garbage/staff/changes", "localhost",
                          {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                          R"({"date": "2099-01-01", "action": "cancel", "note": "bench"})");
  double reschedule_s = seconds_since(r0);

  auto d0 = Clock::now();
  auto pass = scheduler.run_once(evening_before(day));
  double deliver_s = seconds_since(d0);
  int64_t in_inboxes = 0;
  db = bench::open_db(dir / "data" / "bench" / "runtime.db");
  sqlite3_stmt* count = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM notifications", -1, &count, nullptr);
  if (sqlite3_step(count) == SQLITE_ROW) in_inboxes = sqlite3_column_int64(count, 0);
  sqlite3_finalize(count);
  sqlite3_close(db);

  std::printf("# Garbage calendar benchmark (bench/run_garbage.sh)\n\n");
  std::printf("Saga City's 5374 files: %zu areas, %zu categories. %d keep-alive clients, %.0f s per measure, "
              "4 worker threads, 2-core machine, one process (clients included).\n\n",
              data->areas.size(), data->categories.size(), clients, seconds);
  std::printf("| measure | requests/s | p50 | p99 | failures |\n| --- | ---: | ---: | ---: | ---: |\n");
  std::printf("| baseline: trivial blocking plugin `GET /apps/pool/` | %.0f | %.2f ms | %.2f ms | %zu |\n",
              baseline.rps, baseline.p50_ms, baseline.p99_ms, baseline.failures);
  std::printf("| `GET /apps/garbage/next?area=…` (random of %zu areas) | **%.0f** | %.2f ms | %.2f ms | %zu |\n",
              area_paths.size(), next.rps, next.p50_ms, next.p99_ms, next.failures);
  std::printf("| ratio next / baseline (same run) | **%.2f×** | %.2f× | %.2f× | |\n\n", next.rps / baseline.rps,
              next.p50_ms / baseline.p50_ms, next.p99_ms / baseline.p99_ms);
  std::printf("Engine alone (no HTTP, one thread): %.0f next-collection queries/s (all %zu categories of one area each).\n\n",
              engine_qps, data->categories.size());
  std::printf("| reminders | result |\n| --- | ---: |\n");
  std::printf("| synthetic residents (setup %.1f s) | %lld over the %zu areas whose next collection is %s |\n", setup_s,
              static_cast<long long>(n), areas.size(), garbage::iso(day).c_str());
  std::printf("| staff change → every area's jobs rescheduled (HTTP %u) | %.3f s |\n", change.status, reschedule_s);
  std::printf("| one scheduler pass at 19:00 the evening before: %zu jobs, %zu notifications relayed | **%.2f s** (%.0f reminders/s) |\n",
              pass.events, pass.notifications, deliver_s, static_cast<double>(pass.notifications) / deliver_s);
  std::printf("| notifications in inboxes afterwards | %lld |\n", static_cast<long long>(in_inboxes));
  return change.status == 201 && in_inboxes == n ? 0 : 1;
}
