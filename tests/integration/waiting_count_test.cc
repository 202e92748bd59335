// The waiting count through the real server: a live client on the counter's SSE channel sees
// every change (ticket issued, call next), the hall display page is served, and a resident who
// took a ticket from the app gets the "few ahead" notification exactly once.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <fstream>

#include "tests/support/http_client.h"
#include "tests/support/sse_client.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

json::value parse_body(const std::string& s) { return json::parse(s); }
// A live event's data is {"channel", "message"}; the plugin's message is the counter's JSON.
json::value counter_state(const SseEvent& e) {
  CHECK(e.event == "live");
  return json::parse(json::parse(e.data).at("message").as_string());
}

struct Hall {
  TestServer s;
  std::unique_ptr<HttpClient> c;
  std::string staff;

  Hall() {
    std::string manifest = manifest_json("demo", "localhost", R"({"id": "counter", "name": "窓口", "plugin": "waiting_count.so",
      "audience": ["residents", "visitors"],
      "config": {"offices": [{"id": "honcho", "name": "本庁舎", "counters": [
        {"id": "shimin", "name": "市民課", "remote_tickets": true}]}], "notify_ahead": 1}})");
    manifest.insert(1, R"("staff_roles": ["counter"], )");
    REQUIRE(s.load("m.json", manifest).empty());
    c = std::make_unique<HttpClient>(s.port());
    REQUIRE(staff_add(s, "desk@city.example", "counter") == 0);
    Reply r = call(*c, "POST", "/api/v1/auth/token", "",
                   R"({"grant_type": "password", "login": "desk@city.example", "password": "staff password 1"})");
    REQUIRE_MESSAGE(r.status == 200, r.body);
    staff = std::string(parse_body(r.body).at("access_token").as_string());
  }
  json::value post(const std::string& path, const std::string& token, unsigned expected) {
    Reply r = call(*c, "POST", path, token);
    REQUIRE_MESSAGE(r.status == expected, (path + " -> " + r.body));
    return parse_body(r.body);
  }
};

}  // namespace

TEST_CASE("a live client sees every change; the ticket holder hears 'few ahead' once") {
  Hall hall;
  SseClient live(hall.s.port(), "/apps/counter/live/counter.shimin");
  REQUIRE(live.status == 200);
  REQUIRE(live.next());  // ready

  Reply reg = call(*hall.c, "POST", "/api/v1/auth/register", "",
                   R"({"login": "hanako@example.jp", "password": "correct horse battery", "display_name": "Hanako"})");
  REQUIRE(reg.status == 201);
  std::string resident(parse_body(reg.body).at("access_token").as_string());

  hall.post("/apps/counter/staff/counters/shimin/tickets", hall.staff, 201);  // number 1
  hall.post("/apps/counter/staff/counters/shimin/tickets", hall.staff, 201);  // number 2
  auto mine = hall.post("/apps/counter/counters/shimin/tickets", resident, 201);  // number 3
  CHECK(mine.at("number").as_int64() == 3);
  CHECK(mine.at("ahead").as_int64() == 2);
  for (int waiting = 1; waiting <= 3; ++waiting) {
    auto e = live.next();
    REQUIRE(e);
    CHECK(counter_state(*e).at("waiting").as_int64() == waiting);
  }

  // Call next: the client sees 2 waiting and number 1 being served; the resident is now one
  // behind the head of the queue (1 ahead = notify_ahead) and is told once.
  auto called = hall.post("/apps/counter/staff/counters/shimin/call-next", hall.staff, 200);
  CHECK(called.at("number").as_int64() == 1);
  auto seen = live.next();
  REQUIRE(seen);
  auto state = counter_state(*seen);
  CHECK(state.at("waiting").as_int64() == 2);
  CHECK(state.at("now_serving").as_array().at(0).as_int64() == 1);

  hall.post("/apps/counter/staff/counters/shimin/call-next", hall.staff, 200);  // 0 ahead now
  REQUIRE(live.next());
  CHECK(hall.s.scheduler.run_once().notifications == 1);
  Reply inbox = call(*hall.c, "GET", "/api/v1/me/notifications", resident);
  auto items = parse_body(inbox.body).at("items").as_array();
  REQUIRE(items.size() == 1);
  CHECK(items[0].at("title").as_string() == "まもなく順番です（市民課 3番）");
  CHECK(items[0].at("body").as_string() == "あと1人です。窓口の近くでお待ちください。");

  auto listed = parse_body(call(*hall.c, "GET", "/apps/counter/me/tickets", resident).body);
  CHECK(listed.at("tickets").at(0).at("ahead").as_int64() == 0);

  // The hall display page and the office view it starts from.
  Reply page = call(*hall.c, "GET", "/apps/counter/display/honcho", "");
  CHECK(page.status == 200);
  CHECK(page.headers["content-type"] == "text/html; charset=utf-8");
  CHECK(page.body.find("<script src=\"../../ui/display.js\">") != std::string::npos);
  CHECK(page.body.find("<script>") == std::string::npos);  // no inline script: the sandbox forbids it
  CHECK(page.headers["access-control-allow-origin"] == "*");  // public: its sandboxed page reads it
  Reply code = call(*hall.c, "GET", "/apps/counter/ui/display.js", "");
  REQUIRE(code.status == 200);
  CHECK(code.headers["content-type"] == "text/javascript; charset=utf-8");
  CHECK(code.body.find("EventSource") != std::string::npos);
  // Its script is valid JavaScript (node --check parses without running it).
  auto script = hall.s.dir / "display.js";
  std::ofstream(script) << code.body;
  CHECK(std::system((std::string(MACHI_NODE) + " --check " + script.string()).c_str()) == 0);
  Reply office = call(*hall.c, "GET", "/apps/counter/offices/honcho", "");
  CHECK(parse_body(office.body).at("counters").at(0).at("waiting").as_int64() == 1);
  CHECK(call(*hall.c, "GET", "/apps/counter/display/annex", "").status == 404);
}
