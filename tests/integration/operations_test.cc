// Operations: /metrics checked by the real promtool, the operator status endpoint, and the
// circuit breaker cutting off a failing mini-app while the others keep serving.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <cstdio>
#include <fstream>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/run_command.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

json::value parse(const Reply& r) { return json::parse(r.body); }

// The value of the sample line starting with `series` (name and labels), or -1.
double sample(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

const std::string kTwoApps = R"({"id": "flaky", "name": "F", "plugin": "notes.so", "breaker": {"failures": 3, "open_ms": 1500}},
  {"id": "steady", "name": "S", "plugin": "notes.so"})";

std::string operator_token(TestServer& s, HttpClient& c) {
  REQUIRE(staff_add(s, "ops@city.example", "operator") == 0);
  REQUIRE(staff_add(s, "desk@city.example", "counter") == 0);
  Reply signed_in = call(c, "POST", "/api/v1/auth/token", "",
                         R"({"grant_type": "password", "login": "ops@city.example", "password": "staff password 1"})");
  REQUIRE_MESSAGE(signed_in.status == 200, signed_in.body);
  return std::string(parse(signed_in).at("access_token").as_string());
}

std::string with_roles(const std::string& apps) {
  std::string manifest = manifest_json("demo", "localhost", apps);
  manifest.insert(1, R"("staff_roles": ["operator", "counter"], )");
  return manifest;
}

}  // namespace

TEST_CASE("metrics: GET /metrics counts what was served and passes promtool check metrics") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", kTwoApps)).empty());
  HttpClient c(s.port());
  for (int i = 0; i < 7; ++i) REQUIRE(c.get("/apps/steady/whoami", "localhost").status == 200);
  REQUIRE(c.get("/apps/steady/nowhere", "localhost").status == 404);
  REQUIRE(c.get("/apps/flaky/fail", "localhost").status == 500);
  REQUIRE(c.get("/healthz", "localhost").status == 200);
  REQUIRE(c.get("/api/v1/apps", "localhost").status == 200);

  // The plugin-call histogram is recorded when the hook has returned, which may be just after
  // the answer went out: wait for the last one.
  const std::string plugin_calls = R"(machi_plugin_call_duration_seconds_count{municipality="demo",mini_app="steady"})";
  Reply m = c.get("/metrics", "localhost");
  for (int i = 0; i < 100 && sample(m.body, plugin_calls) != 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    m = c.get("/metrics", "localhost");
  }
  REQUIRE(m.status == 200);
  CHECK(m.headers["content-type"].starts_with("text/plain; version=0.0.4"));
  const std::string steady = R"(municipality="demo",mini_app="steady")";
  CHECK(sample(m.body, "machi_mini_app_responses_total{" + steady + R"(,code="2xx"})") == 7);
  CHECK(sample(m.body, "machi_mini_app_responses_total{" + steady + R"(,code="4xx"})") == 1);
  CHECK(sample(m.body, "machi_mini_app_request_duration_seconds_count{" + steady + "}") == 8);
  CHECK(sample(m.body, "machi_plugin_call_duration_seconds_count{" + steady + "}") == 8);
  CHECK(sample(m.body, R"(machi_mini_app_failures_total{municipality="demo",mini_app="flaky"})") == 1);
  CHECK(sample(m.body, R"(machi_http_responses_total{route_class="health",code="2xx"})") == 1);
  CHECK(sample(m.body, R"(machi_http_responses_total{route_class="other",code="2xx"})") >= 1);
  CHECK(sample(m.body, "machi_worker_pool_workers") > 0);
  CHECK(sample(m.body, "machi_mini_app_breaker_state{" + steady + "}") == 0);
  // No request text ever becomes a label: the unknown path is not in the output.
  CHECK(m.body.find("nowhere") == std::string::npos);

  const auto file = s.dir / "metrics.txt";
  std::ofstream(file) << m.body;
  // Not a structured binding: clang 14 cannot capture one in doctest's message lambdas.
  auto promtool = run_command("promtool check metrics < " + file.string());
  CHECK_MESSAGE(promtool.first == 0, promtool.second);
  CHECK_MESSAGE(promtool.second.empty(), promtool.second);  // no lint findings either

  // Counters only grow, across a reload that keeps the mini-app.
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", kTwoApps + R"(, {"id": "third", "name": "T", "plugin": "notes.so"})")).empty());
  REQUIRE(c.get("/apps/steady/whoami", "localhost").status == 200);
  Reply again = c.get("/metrics", "localhost");
  CHECK(sample(again.body, "machi_mini_app_responses_total{" + steady + R"(,code="2xx"})") == 8);
  CHECK(c.request("POST", "/metrics", "localhost", {}, "").status == 405);
  // Through a reverse proxy on this host the peer is loopback too: refused.
  CHECK(c.request("GET", "/metrics", "localhost", {{"X-Forwarded-For", "203.0.113.7"}}).status == 403);
  CHECK(c.request("GET", "/metrics", "localhost", {{"Forwarded", "for=203.0.113.7"}}).status == 403);
}

TEST_CASE("circuit breaker: a failing mini-app is cut off and tried again; the others keep serving") {
  TestServer s;
  REQUIRE(s.load("m.json", with_roles(kTwoApps)).empty());
  HttpClient c(s.port());
  std::string token = operator_token(s, c);  // first: staff add hashes a password (slow)
  for (int i = 0; i < 3; ++i) REQUIRE(c.get("/apps/flaky/fail", "localhost").status == 500);
  // Open: refused at once, even for a route that would work, with a Retry-After.
  Reply refused = c.get("/apps/flaky/whoami", "localhost");
  CHECK(refused.status == 503);
  CHECK(parse(refused).at("error").at("code").as_string() == "mini_app_unavailable");
  CHECK(refused.headers.count("retry-after") == 1);
  for (int i = 0; i < 20; ++i) REQUIRE(c.get("/apps/steady/whoami", "localhost").status == 200);
  auto flaky_status = [&] {
    Reply r = call(c, "GET", "/api/v1/staff/status", token);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    json::value body = parse(r);  // named: a range-for over a temporary's member dangles
    for (const auto& app : body.at("mini_apps").as_array()) {
      if (app.at("id").as_string() == "flaky") return app.as_object();
    }
    FAIL("flaky is not listed");
    return json::object{};
  };
  auto st = flaky_status();
  CHECK(st.at("breaker").at("state").as_string() == "open");
  CHECK(st.at("breaker").at("times_opened").as_int64() == 1);
  CHECK(st.at("failures").as_int64() == 3);
  CHECK(st.at("rejected").at("breaker").as_int64() == 1);
  CHECK(st.at("responses").at("5xx").as_int64() == 4);
  CHECK(st.at("version").as_string() != "");

  // Half-open after 1.5 s: a failing trial opens it again …
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  CHECK(c.get("/apps/flaky/fail", "localhost").status == 500);
  CHECK(c.get("/apps/flaky/whoami", "localhost").status == 503);
  CHECK(flaky_status().at("breaker").at("times_opened").as_int64() == 2);
  // … and a good trial closes it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  CHECK(c.get("/apps/flaky/whoami", "localhost").status == 200);
  CHECK(c.get("/apps/flaky/whoami", "localhost").status == 200);
  CHECK(flaky_status().at("breaker").at("state").as_string() == "closed");
  Reply metrics = c.get("/metrics", "localhost");
  CHECK(sample(metrics.body, R"(machi_mini_app_rejected_total{municipality="demo",mini_app="flaky",reason="breaker"})") == 2);
}

TEST_CASE("status endpoint: operators only") {
  TestServer s;
  REQUIRE(s.load("m.json", with_roles(kTwoApps)).empty());
  HttpClient c(s.port());
  std::string ops = operator_token(s, c);
  CHECK(call(c, "GET", "/api/v1/staff/status", "").status == 401);
  Reply desk_in = call(c, "POST", "/api/v1/auth/token", "",
                       R"({"grant_type": "password", "login": "desk@city.example", "password": "staff password 1"})");
  REQUIRE(desk_in.status == 200);
  CHECK(call(c, "GET", "/api/v1/staff/status", std::string(parse(desk_in).at("access_token").as_string())).status == 403);
  Reply ok = call(c, "GET", "/api/v1/staff/status", ops);
  REQUIRE(ok.status == 200);
  auto body = parse(ok).as_object();
  CHECK(body.at("municipality").as_string() == "demo");
  CHECK(body.at("mini_apps").as_array().size() == 2);
  CHECK(body.at("mini_apps").as_array()[0].at("healthy").as_bool());
  CHECK(call(c, "POST", "/api/v1/staff/status", ops).status == 405);
}

TEST_CASE("load shedding: a flooded low-priority mini-app is shed while a critical one keeps answering") {
  TestServer s({}, 4, std::chrono::seconds(30), 64);  // 4 workers (one kept for high and critical work)
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", R"(
    {"id": "coupons", "name": "Coupons", "plugin": "notes.so", "priority": "low", "concurrency": 1000},
    {"id": "shelters", "name": "Shelters", "plugin": "notes.so", "priority": "critical"})")).empty());
  std::atomic<bool> stop{false};
  std::atomic<int> low_ok{0}, low_shed{0}, low_other{0};
  std::vector<std::thread> flood;
  for (int t = 0; t < 40; ++t) {
    flood.emplace_back([&] {
      HttpClient c(s.port());
      while (!stop) {
        Reply r = c.get("/apps/coupons/sleep?ms=100", "localhost");
        if (r.status == 200) ++low_ok;
        else if (r.status == 503 && r.body.find("\"shed\"") != std::string::npos && r.headers.count("retry-after")) ++low_shed;
        else ++low_other;
        if (!r.keep_alive) c.close();
      }
    });
  }
  // While the flood runs, every critical request is answered, and quickly.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  HttpClient c(s.port());
  int critical_ok = 0;
  auto slowest = std::chrono::steady_clock::duration::zero();
  for (int i = 0; i < 30; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    Reply r = c.get("/apps/shelters/sleep?ms=1", "localhost");
    slowest = std::max(slowest, std::chrono::steady_clock::now() - t0);
    if (r.status == 200) ++critical_ok;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  for (auto& t : flood) t.join();
  CHECK(critical_ok == 30);
  // Far below the 100 ms each low-priority call holds a worker: nothing queued ahead of it.
  CHECK(slowest < std::chrono::milliseconds(100));
  CHECK(low_ok > 0);
  CHECK(low_shed > 0);
  CHECK(low_other == 0);
  Reply m = c.get("/metrics", "localhost");
  CHECK(sample(m.body, R"(machi_mini_app_rejected_total{municipality="demo",mini_app="coupons",reason="shed"})") == low_shed.load());
  CHECK(sample(m.body, R"(machi_mini_app_rejected_total{municipality="demo",mini_app="shelters",reason="shed"})") == 0);
}
