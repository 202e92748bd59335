// The waiting-count plugin through the real loader: kiosk and remote tickets, the queue (call
// next, served, absent, transfer, cancel), closed counters, daily limits, wait estimates,
// statistics as JSON and CSV, and precise errors that change nothing.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <date/date.h>
#include <sqlite3.h>

#include "runtime/plugin/plugin_instance.h"
#include "tests/support/plugin_harness.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

const char* kConfig = R"({"offices": [
  {"id": "honcho", "name": "本庁舎", "counters": [
    {"id": "shimin", "name": "市民課", "services": ["住民票"], "remote_tickets": true, "daily_limit": 1},
    {"id": "zeimu", "name": "税務課", "desks": 2}]},
  {"id": "branch", "name": "支所", "counters": [{"id": "madoguchi", "name": "総合窓口"}]}],
  "service_minutes": 5, "notify_ahead": 2, "staff_roles": ["counter"]})";

struct Hall {
  Harness h;
  std::unique_ptr<PluginInstance> app = h.instance(std::filesystem::path(MACHI_PLUGIN_DIR) / "waiting_count.so", "counter", kConfig);

  PluginResponse send(const std::string& method, const std::string& path, const std::string& body = "",
                      const std::string& subject = "", bool staff = false, const std::string& query = "") {
    PluginRequest r = make_request(method, path, query, body);
    if (!subject.empty()) r.claims.values[MACHI_CLAIM_SUBJECT] = subject;
    if (staff) r.claims.values[MACHI_CLAIM_ROLES] = R"(["counter"])";
    return call(*app, r);
  }
  json::value ok(const PluginResponse& r, unsigned status = 200) {
    REQUIRE_MESSAGE(r.status == status, r.body);
    return r.body.empty() ? json::value() : json::parse(r.body);
  }
  int64_t kiosk(const std::string& counter) {
    return ok(send("POST", "/staff/counters/" + counter + "/tickets", "", "staff", true), 201).at("ticket").as_int64();
  }
  json::value counter(const std::string& id) { return ok(send("GET", "/counters/" + id)); }
};

}  // namespace

TEST_CASE("kiosk tickets queue in order; call next, served and absent move the queue") {
  Hall hall;
  int64_t a = hall.kiosk("shimin"), b = hall.kiosk("shimin"), c = hall.kiosk("zeimu");
  // Numbers count per office and day: 1, 2 at 市民課, 3 at 税務課.
  auto first = hall.ok(hall.send("POST", "/staff/counters/shimin/call-next", "", "staff", true));
  CHECK(first.at("ticket").as_int64() == a);
  CHECK(first.at("number").as_int64() == 1);
  CHECK(first.at("waiting").as_int64() == 1);
  auto status = hall.counter("shimin");
  CHECK(status.at("waiting").as_int64() == 1);
  CHECK(status.at("now_serving").as_array().size() == 1);
  CHECK(status.at("estimated_wait_minutes").as_int64() == 5);  // 1 waiting × the 5-minute default
  CHECK(hall.counter("zeimu").at("estimated_wait_minutes").as_int64() == 3);  // 1 × 5 / 2 desks, rounded up

  // Served a waiting ticket, twice, or an unknown one: precise errors, nothing changes.
  auto not_called = hall.send("POST", "/staff/tickets/" + std::to_string(b) + "/served", "", "staff", true);
  CHECK(not_called.status == 409);
  CHECK(not_called.body.find("is waiting, not called") != std::string::npos);
  hall.ok(hall.send("POST", "/staff/tickets/" + std::to_string(a) + "/served", "", "staff", true));
  auto twice = hall.send("POST", "/staff/tickets/" + std::to_string(a) + "/served", "", "staff", true);
  CHECK(twice.status == 409);
  CHECK(twice.body.find("is served") != std::string::npos);
  CHECK(hall.send("POST", "/staff/tickets/999/served", "", "staff", true).status == 404);
  CHECK(hall.send("POST", "/staff/tickets/abc/served", "", "staff", true).status == 404);
  CHECK(hall.counter("shimin").at("waiting").as_int64() == 1);

  CHECK(hall.ok(hall.send("POST", "/staff/counters/shimin/call-next", "", "staff", true)).at("ticket").as_int64() == b);
  hall.ok(hall.send("POST", "/staff/tickets/" + std::to_string(b) + "/absent", "", "staff", true));
  auto empty = hall.send("POST", "/staff/counters/shimin/call-next", "", "staff", true);
  CHECK(empty.status == 404);
  CHECK(empty.body.find("nobody is waiting at 市民課") != std::string::npos);
  CHECK(hall.counter("zeimu").at("waiting").as_int64() == 1);
  (void)c;

  // Not staff, unknown counter, wrong method.
  CHECK(hall.send("POST", "/staff/counters/shimin/call-next", "", "resident").status == 403);
  CHECK(hall.send("POST", "/staff/counters/nowhere/call-next", "", "staff", true).status == 404);
  CHECK(hall.send("GET", "/counters/nowhere").status == 404);
  CHECK(hall.send("PUT", "/").status == 405);
}

TEST_CASE("transfer moves a ticket to the end of another counter's queue in the same office") {
  Hall hall;
  int64_t t1 = hall.kiosk("shimin");
  hall.kiosk("zeimu");
  hall.ok(hall.send("POST", "/staff/counters/shimin/call-next", "", "staff", true));
  auto moved = hall.ok(hall.send("POST", "/staff/tickets/" + std::to_string(t1) + "/transfer", R"({"counter": "zeimu"})", "staff", true));
  CHECK(moved.at("counter").as_string() == "zeimu");
  CHECK(hall.counter("shimin").at("now_serving").as_array().empty());
  CHECK(hall.counter("zeimu").at("waiting").as_int64() == 2);
  auto next = hall.ok(hall.send("POST", "/staff/counters/zeimu/call-next", "", "staff", true));
  CHECK(next.at("ticket").as_int64() != t1);  // it joined at the end
  CHECK(hall.send("POST", "/staff/tickets/" + std::to_string(t1) + "/transfer", R"({"counter": "madoguchi"})", "staff", true).status == 409);
  CHECK(hall.send("POST", "/staff/tickets/" + std::to_string(t1) + "/transfer", R"({})", "staff", true).status == 400);
  CHECK(hall.send("POST", "/staff/tickets/" + std::to_string(t1) + "/transfer", "{", "staff", true).status == 400);
}

TEST_CASE("closed counters issue no tickets; remote tickets need sign-in, the option and the daily limit") {
  Hall hall;
  hall.ok(hall.send("POST", "/staff/counters/shimin/close", "", "staff", true));
  auto refused = hall.send("POST", "/staff/counters/shimin/tickets", "", "staff", true);
  CHECK(refused.status == 409);
  CHECK(refused.body.find("市民課 is closed") != std::string::npos);
  CHECK(hall.counter("shimin").at("closed").as_bool());
  CHECK(hall.counter("shimin").at("waiting").as_int64() == 0);
  hall.ok(hall.send("POST", "/staff/counters/shimin/open", "", "staff", true));

  CHECK(hall.send("POST", "/counters/shimin/tickets").status == 401);
  CHECK(hall.send("POST", "/counters/zeimu/tickets", "", "res-1").status == 403);  // kiosk only
  CHECK(hall.send("POST", "/counters/shimin/tickets", R"({"service": "パスポート"})", "res-1").status == 400);
  hall.kiosk("shimin");
  auto mine = hall.ok(hall.send("POST", "/counters/shimin/tickets", R"({"service": "住民票"})", "res-1"), 201);
  CHECK(mine.at("ahead").as_int64() == 1);
  auto limit = hall.send("POST", "/counters/shimin/tickets", "", "res-1");
  CHECK(limit.status == 429);
  CHECK(limit.body.find("already took 1 ticket(s) for 市民課 today") != std::string::npos);
  CHECK(hall.ok(hall.send("POST", "/counters/shimin/tickets", "", "res-2"), 201).at("ahead").as_int64() == 2);

  auto listed = hall.ok(hall.send("GET", "/me/tickets", "", "res-1")).at("tickets").as_array();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].at("ahead").as_int64() == 1);
  hall.ok(hall.send("POST", "/staff/counters/shimin/call-next", "", "staff", true));
  CHECK(hall.ok(hall.send("GET", "/me/tickets", "", "res-1")).at("tickets").at(0).at("ahead").as_int64() == 0);
  // Someone else's ticket cannot be cancelled; one's own can, once.
  int64_t id = mine.at("ticket").as_int64();
  CHECK(hall.send("DELETE", "/me/tickets/" + std::to_string(id), "", "res-2").status == 404);
  hall.ok(hall.send("DELETE", "/me/tickets/" + std::to_string(id), "", "res-1"), 204);
  CHECK(hall.send("DELETE", "/me/tickets/" + std::to_string(id), "", "res-1").status == 409);
  CHECK(hall.ok(hall.send("GET", "/me/tickets", "", "res-1")).at("tickets").as_array().empty());
  CHECK(hall.counter("shimin").at("waiting").as_int64() == 1);
}

TEST_CASE("statistics per hour and counter, as JSON and CSV") {
  Hall hall;
  for (int i = 0; i < 3; ++i) hall.kiosk("shimin");
  hall.kiosk("zeimu");
  for (int i = 0; i < 2; ++i) {
    auto called = hall.ok(hall.send("POST", "/staff/counters/shimin/call-next", "", "staff", true));
    hall.ok(hall.send("POST", "/staff/tickets/" + std::to_string(called.at("ticket").as_int64()) + (i ? "/absent" : "/served"), "", "staff", true));
  }
  auto stats = hall.ok(hall.send("GET", "/staff/stats", "", "staff", true));
  std::map<std::string, json::object> by_counter;
  for (const auto& row : stats.at("rows").as_array()) by_counter[std::string(row.at("counter").as_string())] = row.as_object();
  REQUIRE(by_counter.size() == 2);
  CHECK(by_counter["shimin"].at("tickets").as_int64() == 3);
  CHECK(by_counter["shimin"].at("served").as_int64() == 1);
  CHECK(by_counter["shimin"].at("absent").as_int64() == 1);
  CHECK(by_counter["zeimu"].at("tickets").as_int64() == 1);
  int64_t hour = by_counter["shimin"].at("hour").as_int64();
  CHECK(hour >= 0);
  CHECK(hour < 24);
  auto csv = hall.send("GET", "/staff/stats.csv", "", "staff", true);
  REQUIRE(csv.status == 200);
  CHECK(csv.content_type == "text/csv; charset=utf-8");
  CHECK(csv.body.starts_with("day,hour,counter,tickets,served,absent,average_wait_seconds,average_service_seconds\r\n"));
  CHECK(csv.body.find("," + std::to_string(hour) + ",shimin,3,1,1,") != std::string::npos);
  CHECK(hall.send("GET", "/staff/stats", "", "staff", true, "from=2026-02-30").status == 400);
  CHECK(hall.send("GET", "/staff/stats", "", "", false).status == 403);
}

TEST_CASE("config problems name their JSON pointer") {
  Harness h;
  auto loaded = h.load(std::filesystem::path(MACHI_PLUGIN_DIR) / "waiting_count.so");
  auto problems = validate_config(*loaded, R"({"offices": [{"id": "Main Hall", "name": "x", "counters": [
     {"id": "a", "name": "A"}, {"id": "a", "name": "B", "daily_limit": 0}]}], "reset_time": "25:00"})");
  REQUIRE(problems.is_ok());
  std::vector<std::string> texts;
  for (const auto& p : problems.value()) texts.push_back(p.path + ": " + p.message);
  auto has = [&](const std::string& t) { return std::find(texts.begin(), texts.end(), t) != texts.end(); };
  CHECK(has("/offices/0/id: must be 1–32 of [a-z0-9_-]"));
  CHECK(has("/offices/0/counters/1/id: 'a' is used twice"));
  CHECK(has("/offices/0/counters/1/daily_limit: must be between 1 and 20"));
  CHECK(has("/reset_time: must be HH:MM (local time)"));
}

TEST_CASE("the service day changes at reset_time: earlier tickets leave the queue, the reset job expires them") {
  Hall hall;  // reset_time 03:00, Asia/Tokyo (UTC+9 all year)
  auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  auto service_day = date::floor<date::days>(now + std::chrono::hours(9) - std::chrono::hours(3));
  std::string today = date::format("%F", service_day), yesterday = date::format("%F", service_day - date::days(1));
  CHECK(hall.ok(hall.send("GET", "/")).at("day").as_string() == today);
  hall.kiosk("shimin");

  // A ticket left waiting from the day before, as the database holds it.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((hall.h.dir / "apps" / "counter.db").c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  std::string sql = "INSERT INTO tickets(id, day, office, number, source, created_ms) VALUES (900, '" + yesterday +
                    "', 'honcho', 1, 'kiosk', 0); INSERT INTO visits(ticket_id, counter, status, queued_ms) VALUES (900, 'shimin', 'waiting', 0);";
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  CHECK(hall.counter("shimin").at("waiting").as_int64() == 1);  // only today's

  // The reset job waits for the next 03:00 local time; delivered, it expires the old visit.
  int64_t due = 0;
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT due_ms FROM _machi_jobs WHERE key = 'reset'", -1, &q, nullptr);
  REQUIRE(sqlite3_step(q) == SQLITE_ROW);
  due = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  auto next_reset = std::chrono::sys_days(service_day + date::days(1)) + std::chrono::hours(3) - std::chrono::hours(9);
  CHECK(due == std::chrono::duration_cast<std::chrono::milliseconds>(next_reset.time_since_epoch()).count());
  CHECK(hall.app->deliver_due_events(due) == 1);
  sqlite3_prepare_v2(db, "SELECT status FROM visits WHERE ticket_id = 900", -1, &q, nullptr);
  REQUIRE(sqlite3_step(q) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, 0))) == "expired");
  sqlite3_finalize(q);
  sqlite3_close(db);
  CHECK(hall.counter("shimin").at("waiting").as_int64() == 1);  // today's ticket stays
}
