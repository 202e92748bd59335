// The garbage calendar through the real server: visitors browse without an account, the
// iCalendar feed parses with an independent parser (ical.js) and agrees with the dates route,
// and reminders fire at the right local times (an injected scheduler clock), skip a day staff
// cancelled, and reach the resident's inbox once.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <date/date.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "runtime/scheduler/local_time.h"
#include "tests/support/http_client.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

std::string enc(const std::string& s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }
json::value parse(const Reply& r) { return json::parse(r.body); }

struct City {
  TestServer s;
  std::unique_ptr<HttpClient> c;

  City() {
    std::filesystem::copy(MACHI_5374_SAGA, s.dir / "saga");
    std::string manifest = manifest_json("demo", "localhost", R"({"id": "garbage", "name": "ごみ", "plugin": "garbage_calendar.so",
      "audience": ["residents", "visitors"], "data_dir": "saga",
      "config": {"layout": {"group": 0, "area": 1, "center": 2, "first_category": 3},
                 "holidays": {"categories": {"燃えるごみ": "move"}}, "staff_roles": ["operator"]}})");
    manifest.insert(1, R"("staff_roles": ["operator"], )");
    auto problems = s.load("m.json", manifest);
    REQUIRE_MESSAGE(problems.empty(), problems.front());
    c = std::make_unique<HttpClient>(s.port());
  }
  json::value get(const std::string& path, const std::string& token = "") {
    Reply r = call(*c, "GET", path, token);
    REQUIRE_MESSAGE(r.status == 200, (path + " -> " + r.body));
    return parse(r);
  }
  std::string sign_up(const std::string& login) {
    Reply r = call(*c, "POST", "/api/v1/auth/register", "",
                   json::serialize(json::object{{"login", login}, {"password", "correct horse battery"}, {"display_name", "Hanako"}}));
    REQUIRE_MESSAGE(r.status == 201, r.body);
    return std::string(parse(r).at("access_token").as_string());
  }
};

const std::string kArea = "1:今宿町";

using Day = date::sys_days;
Day day_of(std::string_view iso) {
  int y = 0;
  unsigned m = 0, d = 0;
  REQUIRE(std::sscanf(std::string(iso).c_str(), "%d-%u-%u", &y, &m, &d) == 3);
  date::year_month_day ymd{date::year{y}, date::month{m}, date::day{d}};
  REQUIRE(ymd.ok());
  return Day(ymd);
}
std::string iso(Day d) { return date::format("%F", d); }
int64_t ms(date::sys_time<std::chrono::minutes> t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
// Asia/Tokyo is UTC+9 all year: 19:00 the evening before, 06:30 the morning of.
int64_t evening_before(Day d) { return ms(d - date::days(1) + std::chrono::hours(19 - 9)); }
int64_t morning_of(Day d) { return ms(d + std::chrono::minutes(6 * 60 + 30) - std::chrono::hours(9)); }

}  // namespace

TEST_CASE("visitors browse the calendar without an account; the iCalendar feed parses and agrees") {
  City city;
  auto next = city.get("/apps/garbage/next?area=" + enc(kArea) + "&from=2026-11-23");
  CHECK(next.at("next").at(0).at("date").as_string() == "2026-11-24");

  Reply feed = call(*city.c, "GET", "/apps/garbage/calendar.ics?area=" + enc(kArea), "");
  REQUIRE(feed.status == 200);
  CHECK(feed.headers["content-type"] == "text/calendar; charset=utf-8");
  CHECK(feed.body.starts_with("BEGIN:VCALENDAR\r\n"));
  auto file = city.s.dir / "feed.ics";
  std::ofstream(file, std::ios::binary) << feed.body;
  std::string command = std::string(MACHI_NODE) + " " + MACHI_JS_DIR + "/parse_ical.mjs " + file.string();
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  REQUIRE(pclose(pipe) == 0);
  auto parsed = json::parse(out);
  CHECK(parsed.at("version").as_string() == "2.0");
  CHECK(parsed.at("name").as_string() == "ごみ収集日（今宿町）");

  // The feed covers the current month and the next eleven; compare with the dates route.
  std::string month = std::string(city.get("/apps/garbage/month?area=" + enc(kArea)).at("month").as_string());
  Day from = day_of(month + "-01");
  date::year_month_day f(from);
  Day to = Day((f.year() / f.month() + date::months(12)) / date::last);
  auto dates = city.get("/apps/garbage/dates?area=" + enc(kArea) + "&from=" + iso(from) + "&to=" + iso(to));
  std::multiset<std::pair<std::string, std::string>> expected, got;  // (date, category)
  for (const auto& cat : dates.at("categories").as_array()) {
    for (const auto& d : cat.at("dates").as_array()) {
      expected.emplace(std::string(d.as_string()), std::string(cat.at("category").as_string()));
    }
  }
  std::set<std::string> uids;
  for (const auto& e : parsed.at("events").as_array()) {
    CHECK(e.at("all_day").as_bool());
    std::string start(e.at("start").as_string());
    CHECK(iso(day_of(start) + date::days(1)) == e.at("end").as_string());
    got.emplace(start, std::string(e.at("summary").as_string()));
    uids.emplace(e.at("uid").as_string());
  }
  CHECK(expected.size() > 150);  // 燃えるごみ alone is twice a week
  CHECK(got == expected);
  CHECK(uids.size() == got.size());
  // A second fetch is byte-identical: stable UIDs and DTSTAMP, so calendar apps see no churn.
  CHECK(call(*city.c, "GET", "/apps/garbage/calendar.ics?area=" + enc(kArea), "").body == feed.body);
}

TEST_CASE("reminders fire the evening before at 19:00 local time, once, and not for a cancelled day") {
  City city;
  std::string token = city.sign_up("gomi@example.jp");
  Reply chosen = call(*city.c, "PUT", "/apps/garbage/me", token,
                      R"({"area": "1:今宿町", "morning_reminder": false})");
  REQUIRE_MESSAGE(chosen.status == 200, chosen.body);

  // The area's collection days over the next three weeks (any category).
  int64_t now = unix_now_ms();
  auto today = std::string(city.get("/apps/garbage/next?area=" + enc(kArea)).at("from").as_string());
  auto dates = city.get("/apps/garbage/dates?area=" + enc(kArea) + "&from=" + today + "&to=" + iso(day_of(today) + date::days(21)));
  std::map<Day, std::vector<std::string>> days;
  for (const auto& cat : dates.at("categories").as_array()) {
    for (const auto& d : cat.at("dates").as_array()) days[day_of(d.as_string())].emplace_back(cat.at("category").as_string());
  }
  std::vector<Day> upcoming;
  for (const auto& [d, labels] : days) {
    if (evening_before(d) > now + 60'000) upcoming.push_back(d);
  }
  REQUIRE(upcoming.size() >= 3);
  Day first = upcoming[0], second = upcoming[1];

  // Staff cancel the first day for every category: its reminder must not fire.
  REQUIRE(staff_add(city.s, "ops@city.example", "operator") == 0);
  Reply staff = call(*city.c, "POST", "/api/v1/auth/token", "",
               R"({"grant_type": "password", "login": "ops@city.example", "password": "staff password 1"})");
  REQUIRE_MESSAGE(staff.status == 200, staff.body);
  std::string staff_token(parse(staff).at("access_token").as_string());
  Reply cancel = call(*city.c, "POST", "/apps/garbage/staff/changes", staff_token,
                      R"({"date": ")" + iso(first) + R"(", "action": "cancel", "area": "1:今宿町", "note": "臨時休止"})");
  REQUIRE_MESSAGE(cancel.status == 201, cancel.body);

  CHECK(city.s.scheduler.run_once(evening_before(first)).events == 0);
  CHECK(city.s.scheduler.run_once(evening_before(second) - 1).events == 0);
  auto pass = city.s.scheduler.run_once(evening_before(second));
  CHECK(pass.events == 1);
  CHECK(pass.notifications == 1);
  CHECK(city.s.scheduler.run_once(evening_before(second)).events == 0);  // once

  auto inbox = city.get("/api/v1/me/notifications", token).at("items").as_array();
  REQUIRE(inbox.size() == 1);
  std::string labels;
  for (const auto& l : days[second]) labels += (labels.empty() ? "" : "・") + l;
  CHECK(inbox[0].at("title").as_string() == "明日は" + labels + "の日です");
  CHECK(inbox[0].at("body").as_string() == "今宿町（" + iso(second) + "）");

  // The next job is the third day's evening; a morning reminder never fires (turned off).
  CHECK(city.s.scheduler.run_once(morning_of(second)).events == 0);
  CHECK(city.s.scheduler.run_once(evening_before(upcoming[2])).events == 1);
}

TEST_CASE("morning reminders fire at 06:30 local time for the resident's chosen categories only") {
  City city;
  std::string token = city.sign_up("asa@example.jp");
  // 1:鬼丸町: 燃えるごみ 火 金, 燃えないごみ 木2 木4.
  Reply chosen = call(*city.c, "PUT", "/apps/garbage/me", token,
                      R"({"area": "1:鬼丸町", "categories": ["燃えないごみ"], "evening_reminder": false})");
  REQUIRE_MESSAGE(chosen.status == 200, chosen.body);
  int64_t now = unix_now_ms();
  auto today = std::string(city.get("/apps/garbage/next?area=" + enc("1:鬼丸町")).at("from").as_string());
  auto all = city.get("/apps/garbage/dates?area=" + enc("1:鬼丸町") + "&from=" + today + "&to=" + iso(day_of(today) + date::days(40)));
  std::set<Day> any_day, non_burnable;
  for (const auto& cat : all.at("categories").as_array()) {
    for (const auto& d : cat.at("dates").as_array()) {
      Day day = day_of(d.as_string());
      if (morning_of(day) <= now + 60'000) continue;
      any_day.insert(day);
      if (cat.at("category").as_string() == "燃えないごみ") non_burnable.insert(day);
    }
  }
  REQUIRE(!non_burnable.empty());
  // Every collection day's morning runs the area's job; only 燃えないごみ days notify.
  size_t events = 0;
  for (Day d : any_day) {
    if (d > *non_burnable.begin()) break;
    CHECK(city.s.scheduler.run_once(morning_of(d) - 1).events == 0);
    events += city.s.scheduler.run_once(morning_of(d)).events;
  }
  CHECK(events == static_cast<size_t>(std::distance(any_day.begin(), any_day.upper_bound(*non_burnable.begin()))));
  auto inbox = city.get("/api/v1/me/notifications", token).at("items").as_array();
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0].at("title").as_string() == "今日は燃えないごみの日です");
}
