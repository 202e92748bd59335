// The childcare plugin through the real loader with the demo city's data_dir: children only from
// the household claim, schedules and recorded doses (flagged ones kept), reminders consistent
// with the schedule and sent once, nursery filters, vacancy alerts once per opening, uploads
// refused whole (422, nothing changed), a bad data file that keeps the last good rules, the info
// card, information by age, export and erase.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <fstream>
#include <set>

#include "runtime/plugin/plugin_instance.h"
#include "tests/support/plugin_harness.h"
#include "tests/support/test_files.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

// Today in the city (the plugin's clock is the real one; the demo city is in Asia/Tokyo).
date::sys_days tokyo_today() {
  auto local = date::make_zoned("Asia/Tokyo", std::chrono::system_clock::now()).get_local_time();
  return date::sys_days(date::floor<date::days>(local).time_since_epoch());
}
std::string iso(date::sys_days d) { return date::format("%F", d); }

struct Nursery {
  Harness h;
  std::unique_ptr<PluginInstance> app;
  date::sys_days today = tokyo_today();
  std::string hanako_birth = iso(today - date::days(60));
  std::string taro_birth = iso(today - date::days(3 * 365 + 20));

  explicit Nursery(std::filesystem::path data = MACHI_CHILDCARE_DEMO) {
    h.data_dir = std::filesystem::canonical(data);
    h.known_subject = [](std::string_view s) { return s.starts_with("sub-"); };
    start();
  }
  void start() { app = h.instance(std::filesystem::path(MACHI_PLUGIN_DIR) / "childcare.so", "childcare", "{}"); }

  std::string household() const {
    return json::serialize(json::array{{{"name", "はなこ"}, {"birthdate", hanako_birth}, {"relation", "child"}},
                                       {{"name", "たろう"}, {"birthdate", taro_birth}, {"relation", "child"}},
                                       {{"name", "ははおや"}, {"birthdate", "1990-01-01"}, {"relation", "parent"}}});
  }
  PluginResponse send(const std::string& method, const std::string& path, const std::string& body = "",
                      const std::string& subject = "", const std::string& query = "", bool with_household = true) {
    PluginRequest r = make_request(method, path, query, body);
    if (!subject.empty()) r.claims.values[MACHI_CLAIM_SUBJECT] = subject;
    if (!subject.empty() && with_household) r.claims.values[MACHI_CLAIM_HOUSEHOLD] = household();
    return call(*app, r);
  }
  PluginResponse staff(const std::string& method, const std::string& path, const std::string& body) {
    PluginRequest r = make_request(method, path, "", body);
    r.claims.values[MACHI_CLAIM_ROLES] = R"(["childcare"])";
    return call(*app, r);
  }
  json::value ok(const PluginResponse& r, unsigned status = 200) {
    REQUIRE_MESSAGE(r.status == status, r.body);
    return r.body.empty() ? json::value() : json::parse(r.body);
  }
  std::vector<json::object> drain() { return drain_notifications(*app); }
  int64_t job_due(const std::string& key) { return machi::test::job_due(h.dir / "apps" / "childcare.db", key); }
  json::object child(const json::value& schedule, const std::string& name) {
    for (const auto& c : schedule.at("children").as_array()) {
      if (c.at("name").as_string() == name) return c.as_object();
    }
    FAIL("no child " << name);
    return {};
  }
  static json::object vaccine(const json::object& child, const std::string& id) {
    for (const auto& v : child.at("vaccines").as_array()) {
      if (v.at("vaccine").as_string() == id) return v.as_object();
    }
    FAIL("no vaccine " << id);
    return {};
  }
};

}  // namespace

TEST_CASE("children come only from the household claim; doses are recorded, flagged and removed") {
  Nursery n;
  auto children = n.ok(n.send("GET", "/me/children", "", "sub-1")).at("children").as_array();
  REQUIRE(children.size() == 2);  // the parent is not a child
  CHECK(children[0].at("name").as_string() == "はなこ");
  CHECK(children[0].at("age").at("months").as_int64() >= 1);
  std::string hanako(children[0].at("id").as_string());
  CHECK(hanako.size() == 16);

  CHECK(n.send("GET", "/me/schedule").status == 401);
  auto refused = n.send("GET", "/me/schedule", "", "sub-1", "", false);
  CHECK(refused.status == 403);
  CHECK(refused.body.find("household_not_shared") != std::string::npos);

  auto schedule = n.ok(n.send("GET", "/me/schedule", "", "sub-1"));
  CHECK(schedule.at("rules_version").as_string() == "2024-04-01");
  auto hepb = Nursery::vaccine(n.child(schedule, "はなこ"), "hepb");
  CHECK(hepb.at("doses").at(0).at("state").as_string() == "due");
  CHECK(hepb.at("doses").at(0).at("earliest").as_string() == n.hanako_birth);
  CHECK(hepb.at("doses").at(1).at("projected").as_bool());
  auto taro_mr = Nursery::vaccine(n.child(schedule, "たろう"), "mr");
  CHECK(taro_mr.at("doses").at(0).at("state").as_string() == "missed");  // past the 2nd birthday

  std::string doses = "/me/children/" + hanako + "/doses";
  std::string ten_days_ago = iso(n.today - date::days(10)), five_days_ago = iso(n.today - date::days(5));
  auto first = n.ok(n.send("POST", doses, R"({"vaccine": "hepb", "date": ")" + ten_days_ago + R"("})", "sub-1"), 201);
  CHECK(first.at("vaccine").at("doses").at(0).at("state").as_string() == "done");
  CHECK(first.at("vaccine").at("doses").at(1).at("earliest").as_string() == iso(n.today + date::days(18)));
  CHECK_FALSE(first.at("vaccine").at("doses").at(1).at("projected").as_bool());
  // Five days after the first: too soon — kept as history, flagged, the slot still open.
  auto soon = n.ok(n.send("POST", doses, R"({"vaccine": "hepb", "date": ")" + five_days_ago + R"(", "note": "クリニックA"})", "sub-1"), 201);
  auto flagged = soon.at("vaccine").at("flagged").as_array();
  REQUIRE(flagged.size() == 1);
  CHECK(flagged[0].at("code").as_string() == "too_soon");
  CHECK(flagged[0].at("reason").as_string().find("1回目から5日後") != std::string::npos);
  CHECK(soon.at("vaccine").at("doses").at(1).at("state").as_string() == "upcoming");

  auto error = [&](const std::string& body, unsigned status, const char* code) {
    auto r = n.send("POST", doses, body, "sub-1");
    CHECK_MESSAGE(r.status == status, body);
    CHECK_MESSAGE(r.body.find(code) != std::string::npos, r.body);
  };
  error(R"({"vaccine": "polio", "date": "2026-01-01"})", 400, "unknown_vaccine");
  error(R"({"vaccine": "hepb", "date": ")" + iso(n.today + date::days(1)) + R"("})", 400, "date_in_future");
  error(R"({"vaccine": "hepb", "date": ")" + iso(n.today - date::days(61)) + R"("})", 400, "date_before_birth");
  error(R"({"vaccine": "hepb", "date": "2026-02-30"})", 400, "invalid_date");
  error(R"({"vaccine": "rota", "date": ")" + five_days_ago + R"(", "series": "trivalent"})", 400, "unknown_series");
  error(R"([1])", 400, "invalid_body");
  CHECK(n.send("POST", "/me/children/0123456789abcdef/doses", R"({"vaccine": "hepb", "date": "2026-01-01"})", "sub-1").status == 404);
  // Another resident cannot see or remove these doses.
  CHECK(n.send("DELETE", doses + "/" + std::to_string(soon.at("id").as_int64()), "", "sub-2").status == 404);
  CHECK(n.send("DELETE", doses + "/" + std::to_string(soon.at("id").as_int64()), "", "sub-1").status == 204);
  auto after = Nursery::vaccine(n.child(n.ok(n.send("GET", "/me/schedule", "", "sub-1", "child=" + hanako)), "はなこ"), "hepb");
  CHECK(after.at("flagged").as_array().empty());
  CHECK(n.send("GET", "/me/schedule", "", "sub-1", "child=ffffffffffffffff").status == 404);

  // The resident's data: exported, then erased.
  auto exported = json::parse(n.app->export_subject("sub-1").value());
  CHECK(exported.at("children").as_array().size() == 2);
  REQUIRE(exported.at("doses").as_array().size() == 1);
  CHECK(exported.at("doses").at(0).at("date").as_string() == ten_days_ago);
  REQUIRE(n.app->erase_subject("sub-1").is_ok());
  auto erased = json::parse(n.app->export_subject("sub-1").value());
  CHECK(erased.at("children").as_array().empty());
  CHECK(erased.at("doses").as_array().empty());
}

TEST_CASE("reminders go out before each window opens, once, consistent with the schedule; the info card names the next dose") {
  Nursery n;
  auto schedule = n.ok(n.send("GET", "/me/schedule", "", "sub-1"));  // remembers the children
  int64_t sweep = n.job_due("reminder-sweep");
  REQUIRE(sweep > 0);
  // The sweep's day in the city (Asia/Tokyo is UTC+9): today, or tomorrow when 09:00 has passed.
  date::sys_days sweep_day = date::floor<date::days>(date::sys_time<std::chrono::milliseconds>(
      std::chrono::milliseconds(sweep + 9 * 3'600'000)));
  // What the schedule says should be reminded that day (reminder_days 7): open doses whose dates
  // do not wait on another dose, once the first recommended (or allowed) day is a week away.
  std::set<std::string> expected;
  for (const auto& c : schedule.at("children").as_array()) {
    for (const auto& v : c.at("vaccines").as_array()) {
      for (const auto& d : v.at("doses").as_array()) {
        std::string state(d.at("state").as_string());
        if (d.at("projected").as_bool() || (state != "due" && state != "upcoming")) continue;
        std::string opens(d.at("earliest").as_string());
        if (!d.at("recommended").is_null() && d.at("recommended").at("from").as_string() > opens) {
          opens = d.at("recommended").at("from").as_string();
        }
        if (iso(sweep_day + date::days(7)) < opens || iso(sweep_day) > d.at("last").as_string()) continue;
        expected.insert("vac:" + std::string(c.at("id").as_string()) + ":" + std::string(v.at("vaccine").as_string()) + ":" +
                        std::to_string(d.at("dose").as_int64()) + ":" + opens);
      }
    }
  }
  std::string hanako(n.child(schedule, "はなこ").at("id").as_string());
  // At 60 days old the rotavirus series is open (from 6 weeks): it is certainly among them.
  CHECK(std::any_of(expected.begin(), expected.end(), [&](const std::string& k) { return k.starts_with("vac:" + hanako + ":rota:1:"); }));

  CHECK(n.app->deliver_due_events(sweep) == 1);
  std::set<std::string> sent;
  for (const auto& m : n.drain()) {
    CHECK(m.at("to").as_string() == "sub-1");
    CHECK(m.at("category").as_string() == "vaccination");
    CHECK(sent.insert(std::string(m.at("key").as_string())).second);
  }
  CHECK(sent == expected);
  // The next day's sweep is scheduled; delivering it again sends nothing twice.
  int64_t next = n.job_due("reminder-sweep");
  CHECK(next > sweep);
  n.app->deliver_due_events(next);
  for (const auto& m : n.drain()) CHECK_FALSE(sent.count(std::string(m.at("key").as_string())));

  Claims claims;
  claims.values[MACHI_CLAIM_SUBJECT] = "sub-1";
  claims.values[MACHI_CLAIM_HOUSEHOLD] = n.household();
  auto card = json::parse(n.app->info_card(claims, "ja").value());
  CHECK(card.at("title").as_string() == "子育て");
  std::string body(card.at("body").as_string());
  CHECK((body.starts_with("接種できます: ") || body.starts_with("次の予防接種: ")));
  auto english = json::parse(n.app->info_card(claims, "en").value());
  std::string en(english.at("body").as_string());
  CHECK((en.starts_with("Vaccination due: ") || en.starts_with("Next vaccination: ")));
  claims.values.erase(MACHI_CLAIM_HOUSEHOLD);
  CHECK(n.app->info_card(claims, "ja").value().empty());  // no children shared, no alerts: no card
}

TEST_CASE("nurseries: filters by district and class; a vacancy alert is delivered once per opening") {
  Nursery n;
  CHECK(n.ok(n.send("GET", "/nurseries")).at("facilities").as_array().size() == 5);
  CHECK(n.ok(n.send("GET", "/nurseries", "", "", "district=%E5%8C%97%E9%83%A8")).at("facilities").as_array().size() == 2);  // 北部
  auto open3 = n.ok(n.send("GET", "/nurseries", "", "", "class=3&available=true")).at("facilities").as_array();
  REQUIRE(open3.size() == 1);
  CHECK(open3[0].at("id").as_string() == "midori");
  CHECK(open3[0].at("vacancies").at("3").as_int64() == 2);
  CHECK(n.ok(n.send("GET", "/nurseries", "", "", "class=3")).at("facilities").as_array().size() == 4);  // umi has no class 3
  CHECK(n.send("GET", "/nurseries", "", "", "class=9").status == 400);
  // By the resident's child: たろう (3 years 20 days) is in class 2 or 3 this school year, 3 or 4 next.
  auto children = n.ok(n.send("GET", "/me/children", "", "sub-1")).at("children").as_array();
  std::string taro(children[1].at("id").as_string());
  int64_t taro_class = children[1].at("age_class").at("class").as_int64();
  CHECK(children[1].at("next_age_class").at("class").as_int64() == taro_class + 1);
  auto by_child = n.ok(n.send("GET", "/nurseries", "", "sub-1", "child=" + taro + "&year=next"));
  CHECK(by_child.at("class").as_int64() == taro_class + 1);
  CHECK(n.send("GET", "/nurseries", "", "", "child=" + taro).status == 401);
  CHECK(n.send("GET", "/nurseries", "", "sub-1", "child=0000000000000000").status == 404);
  CHECK(n.send("GET", "/nurseries/nowhere").status == 404);

  auto alert = n.ok(n.send("POST", "/me/alerts", R"({"facility": "nagomi", "class": 1})", "sub-1"), 201);
  CHECK(alert.at("vacancies").as_int64() == 0);
  CHECK(n.ok(n.send("POST", "/me/alerts", R"({"facility": "nagomi", "class": 1})", "sub-1"), 201).at("id") == alert.at("id"));
  n.ok(n.send("POST", "/me/alerts", R"({"facility": "nagomi", "class": 1})", "sub-2"), 201);
  CHECK(n.send("POST", "/me/alerts", R"({"facility": "umi", "class": 3})", "sub-1").status == 409);
  CHECK(n.send("POST", "/me/alerts", R"({"facility": "nowhere", "class": 1})", "sub-1").status == 404);
  CHECK(n.send("POST", "/me/alerts", R"({"facility": "nagomi", "class": 6})", "sub-1").status == 400);
  CHECK(n.send("POST", "/me/alerts", R"({"facility": "nagomi", "class": 1})").status == 401);

  CHECK(n.send("PUT", "/staff/nurseries/nagomi/vacancies", R"({"vacancies": {"1": 2}})", "sub-1").status == 403);
  auto set = [&](const std::string& body) { return n.ok(n.staff("PUT", "/staff/nurseries/nagomi/vacancies", body)); };
  CHECK(set(R"({"vacancies": {"1": 2}})").at("vacancies").at("1").as_int64() == 2);
  auto sent = n.drain();
  REQUIRE(sent.size() == 2);  // both subscribers, once
  CHECK(sent[0].at("key").as_string() == "vacancy:nagomi:1:1");
  CHECK(sent[0].at("title").as_string() == "保育施設に空きが出ました: なごみ保育園 1歳児クラス");
  set(R"({"vacancies": {"1": 1, "0": 0}})");  // still open: no news
  CHECK(n.drain().empty());
  set(R"({"vacancies": {"1": 0}})");
  set(R"({"vacancies": {"1": 3}})");  // opens again
  sent = n.drain();
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].at("key").as_string() == "vacancy:nagomi:1:2");
  CHECK(n.staff("PUT", "/staff/nurseries/umi/vacancies", R"({"vacancies": {"4": 1}})").status == 409);
  CHECK(n.staff("PUT", "/staff/nurseries/nagomi/vacancies", R"({"vacancies": {"1": -1}})").status == 400);
  CHECK(n.staff("PUT", "/staff/nurseries/nagomi/vacancies", R"({"vacancies": {}})").status == 400);

  // A refused upload changes nothing; a good one applies the list and its openings.
  std::string header = "id,name,district,address,latitude,longitude,class_0,class_1,class_2,class_3,class_4,class_5\n";
  auto bad = n.staff("PUT", "/staff/nurseries", header + "nagomi,なごみ保育園,北部,住所,33.3,130.3,0,0,0,0,0,0\nx,X,北部,住所,33.3,999,1,,,,,\n");
  CHECK(bad.status == 422);
  CHECK(bad.body.find("upload:3:6: longitude '999'") != std::string::npos);
  CHECK(n.ok(n.send("GET", "/nurseries/nagomi")).at("vacancies").at("1").as_int64() == 3);
  auto good = n.ok(n.staff("PUT", "/staff/nurseries", header + "nagomi,なごみ保育園,北部,住所,33.3,130.3,1,0,0,0,0,0\n"));
  CHECK(good.at("facilities").as_int64() == 1);
  CHECK(good.at("removed").as_int64() == 4);
  CHECK(n.drain().empty());  // class 1 closed; class 0 opened but nobody asked
  n.ok(n.staff("PUT", "/staff/nurseries", header + "nagomi,なごみ保育園,北部,住所,33.3,130.3,1,4,0,0,0,0\n"));
  sent = n.drain();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].at("key").as_string() == "vacancy:nagomi:1:3");

  Claims claims;
  claims.values[MACHI_CLAIM_SUBJECT] = "sub-2";
  auto card = json::parse(n.app->info_card(claims, "ja").value());
  CHECK(card.at("body").as_string() == "空きのある保育施設のクラス: 1");
  CHECK(n.ok(n.send("GET", "/me/alerts", "", "sub-2")).at("alerts").at(0).at("vacancies").as_int64() == 4);
  CHECK(n.send("DELETE", "/me/alerts/" + std::to_string(alert.at("id").as_int64()), "", "sub-2").status == 404);
  CHECK(n.send("DELETE", "/me/alerts/" + std::to_string(alert.at("id").as_int64()), "", "sub-1").status == 204);
  CHECK(n.ok(n.send("GET", "/me/alerts", "", "sub-1")).at("alerts").as_array().empty());
}

TEST_CASE("data files: a bad rules file keeps the last good rules and health says why; uploads are checked whole") {
  ScratchDir data;
  for (const char* f : {"vaccines.json", "nurseries.csv", "info.json"}) {
    std::filesystem::copy_file(std::filesystem::path(MACHI_CHILDCARE_DEMO) / f, data / f);
  }
  std::ofstream(data / "vaccines.json", std::ios::trunc) << R"({"format": 1, "version": "broken", "vaccines": [{"id": "x"}]})";
  Nursery n(data.path());
  auto health = n.app->health();
  CHECK_FALSE(health.healthy);
  auto state = n.ok(n.staff("GET", "/staff/data", ""));
  std::string problem(state.at("rules").at("problem").as_string());
  CHECK(problem.find("the data_dir's vaccines.json was not imported: vaccines.json:/vaccines/0/name: is required") == 0);
  CHECK(n.send("GET", "/me/schedule", "", "sub-1").status == 503);
  CHECK(n.send("GET", "/vaccines").status == 503);
  CHECK(state.at("nurseries").at("imported").at("origin").as_string() == "data_dir");

  std::string rules = read_file(MACHI_CHILDCARE_DEMO "/vaccines.json");
  CHECK(n.ok(n.staff("PUT", "/staff/rules", rules)).at("version").as_string() == "2024-04-01");
  CHECK(n.app->health().healthy);
  auto refused = n.staff("PUT", "/staff/rules", R"({"format": 1, "version": "v2", "vaccines": []})");
  CHECK(refused.status == 422);
  CHECK(refused.body.find("upload:/vaccines: must list at least one vaccine") != std::string::npos);
  CHECK(n.ok(n.send("GET", "/vaccines")).at("version").as_string() == "2024-04-01");

  // Restarted with the bad file still there: the uploaded rules stay in force.
  n.app.reset();
  n.start();
  CHECK_FALSE(n.app->health().healthy);
  CHECK(n.ok(n.send("GET", "/me/schedule", "", "sub-1")).at("rules_version").as_string() == "2024-04-01");
  // A good file in the data_dir replaces them at the next start.
  std::ofstream(data / "vaccines.json", std::ios::trunc) << rules;
  n.app.reset();
  n.start();
  CHECK(n.app->health().healthy);
  CHECK(n.staff("PUT", "/staff/info", "{").status == 422);
  CHECK(n.send("PUT", "/staff/info", "{}", "sub-1").status == 403);
}

TEST_CASE("information by age: anonymous by birth date, the resident's for their children") {
  Nursery n;
  auto all = n.ok(n.send("GET", "/info")).at("items").as_array();
  CHECK(all.size() == 6);
  auto newborn = n.ok(n.send("GET", "/info", "", "", "birthdate=" + iso(n.today - date::days(3)))).at("items").as_array();
  std::set<std::string> ids;
  for (const auto& i : newborn) ids.insert(std::string(i.at("id").as_string()));
  CHECK(ids == std::set<std::string>{"birth-notice", "nursery-apply"});
  CHECK(n.send("GET", "/info", "", "", "birthdate=soon").status == 400);
  auto mine = n.ok(n.send("GET", "/me/info", "", "sub-1")).at("items").as_array();
  REQUIRE_FALSE(mine.empty());
  for (const auto& i : mine) CHECK_FALSE(i.at("children").as_array().empty());
  auto overview = n.ok(n.send("GET", "/"));
  CHECK(overview.at("rules").at("version").as_string() == "2024-04-01");
  CHECK(overview.at("facilities").as_int64() == 5);
  CHECK(overview.at("districts").as_array().size() == 3);
}
