// The garbage calendar plugin (the real .so through the real loader, with Saga City's files in its
// data_dir): routes, search, area choice, info card, export/erase, staff changes and uploads, and
// what happens when the data_dir's files change or break.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <filesystem>
#include <fstream>

#include "runtime/plugin/plugin_instance.h"
#include "tests/support/plugin_harness.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

const char* kConfig = R"({"layout": {"group": 0, "area": 1, "center": 2, "first_category": 3},
  "holidays": {"categories": {"燃えるごみ": "move"}},
  "closures": [{"from": "12/29", "to": "01/03"}],
  "staff_roles": ["garbage"]})";

std::string enc(const std::string& s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }

struct Calendar {
  Harness h;
  std::filesystem::path data;
  std::unique_ptr<PluginInstance> app;

  Calendar() {
    data = h.dir / "saga";
    std::filesystem::create_directories(data);
    for (const auto& e : std::filesystem::directory_iterator(MACHI_5374_SAGA)) {
      if (e.path().extension() == ".csv") {
        std::filesystem::copy_file(e.path(), data / e.path().filename());
        std::filesystem::permissions(data / e.path().filename(), std::filesystem::perms::owner_write,
                                     std::filesystem::perm_options::add);
      }
    }
    h.data_dir = std::filesystem::canonical(data);
    start();
  }
  void start() {
    app.reset();
    app = h.instance(fixture_path(), "garbage", kConfig);
  }
  static std::filesystem::path fixture_path() { return std::filesystem::path(MACHI_PLUGIN_DIR) / "garbage_calendar.so"; }

  PluginResponse get(const std::string& path, const std::string& query = "", const std::string& subject = "") {
    PluginRequest r = make_request("GET", path, query);
    if (!subject.empty()) r.claims.values[MACHI_CLAIM_SUBJECT] = subject;
    return call(*app, r);
  }
  PluginResponse send(const std::string& method, const std::string& path, const std::string& body,
                      const std::string& subject = "", const std::string& roles = "") {
    PluginRequest r = make_request(method, path, "", body);
    if (!subject.empty()) r.claims.values[MACHI_CLAIM_SUBJECT] = subject;
    if (!roles.empty()) r.claims.values[MACHI_CLAIM_ROLES] = roles;
    return call(*app, r);
  }
  json::value ok(const PluginResponse& r) {
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return json::parse(r.body);
  }
};

std::vector<std::string> strings(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}

const std::string kArea = "1:今宿町";

}  // namespace

TEST_CASE("dates over any range, next dates and the month calendar follow the 5374 rules and holidays") {
  Calendar c;
  auto overview = c.ok(c.get("/"));
  CHECK(overview.at("dataset").at("areas").as_int64() == 314);
  CHECK(overview.at("dataset").at("origin").as_string() == "data_dir");
  CHECK(overview.at("dataset").at("holidays").as_int64() == 165);

  auto dates = c.ok(c.get("/dates", "area=" + enc(kArea) + "&from=2026-11-16&to=2026-11-30&category=" + enc("燃えるごみ")));
  REQUIRE(dates.at("categories").as_array().size() == 1);
  // Monday 11/23 is 勤労感謝の日: 燃えるごみ moves to Tuesday 11/24 (config: "move").
  CHECK(strings(dates.at("categories").at(0).at("dates")) ==
        std::vector<std::string>{"2026-11-16", "2026-11-19", "2026-11-24", "2026-11-26", "2026-11-30"});

  auto next = c.ok(c.get("/next", "area=" + enc(kArea) + "&from=2026-11-23"));
  auto list = next.at("next").as_array();
  REQUIRE(list.size() == 4);
  // 燃えるごみ 11/24 (moved), 燃えないごみ 金4 11/27, ペットボトル 水1 12/2, 資源物 金1 12/4.
  CHECK(list[0].at("category").as_string() == "燃えるごみ");
  CHECK(list[0].at("date").as_string() == "2026-11-24");
  CHECK(list[0].at("weekday").as_string() == "火");
  CHECK(list[1].at("date").as_string() == "2026-11-27");
  CHECK(list[2].at("category").as_string() == "ペットボトル");
  CHECK(list[2].at("date").as_string() == "2026-12-02");
  CHECK(list[3].at("date").as_string() == "2026-12-04");
  CHECK(list[3].at("days_from_now").as_int64() == 11);

  auto month = c.ok(c.get("/month", "area=" + enc(kArea) + "&month=2026-11"));
  auto days = month.at("days").as_array();
  REQUIRE(days.size() == 30);
  CHECK(days[22].at("holiday").as_string() == "勤労感謝の日");
  CHECK(days[22].at("categories").as_array().empty());
  CHECK(strings(days[23].at("categories")) == std::vector<std::string>{"燃えるごみ"});
  CHECK(strings(days[26].at("categories")) == std::vector<std::string>{"燃えないごみ"});

  // The yearly closure 12/29–1/3: Thursday 12/31 has no collection.
  auto closure = c.ok(c.get("/dates", "area=" + enc(kArea) + "&from=2026-12-28&to=2027-01-08&category=" + enc("燃えるごみ")));
  CHECK(strings(closure.at("categories").at(0).at("dates")) ==
        std::vector<std::string>{"2026-12-28", "2027-01-04", "2027-01-07"});

  auto areas = c.ok(c.get("/areas")).at("areas").as_array();
  CHECK(areas.size() == 314);
  CHECK(areas[0].at("group_name").as_string() == "佐賀地区あ行");
}

TEST_CASE("bad requests get precise errors and the calendar keeps serving") {
  Calendar c;
  auto unknown = c.get("/next", "area=" + enc("1:アトランティス"));
  CHECK(unknown.status == 404);
  CHECK(unknown.body.find("no area '1:アトランティス'") != std::string::npos);
  CHECK(c.get("/next").status == 400);  // no area and nobody signed in
  auto bad_date = c.get("/dates", "area=" + enc(kArea) + "&from=2024-02-30");
  CHECK(bad_date.status == 400);
  CHECK(bad_date.body.find("'2024-02-30' is not a date") != std::string::npos);
  CHECK(c.get("/dates", "area=" + enc(kArea) + "&from=2026-01-01&to=2030-01-01").status == 400);
  CHECK(c.get("/dates", "area=" + enc(kArea) + "&from=2026-02-01&to=2026-01-01").status == 400);
  CHECK(c.get("/dates", "area=" + enc(kArea) + "&category=" + enc("粗大ごみ")).status == 404);
  CHECK(c.get("/month", "area=" + enc(kArea) + "&month=2026-13").status == 400);
  CHECK(c.get("/search").status == 400);
  CHECK(c.get("/nowhere").status == 404);
  CHECK(c.send("POST", "/next", "").status == 405);
  CHECK(c.get("/next", "area=" + enc(kArea)).status == 200);
}

TEST_CASE("the sorting guide matches hiragana, katakana, half-width and partial words") {
  Calendar c;
  auto total = [&](const std::string& q) { return c.ok(c.get("/search", "q=" + enc(q))).at("total").as_int64(); };
  CHECK(total("ペットボトル") == 1);
  CHECK(total("ぺっとぼとる") == 1);
  CHECK(total("ﾍﾟｯﾄﾎﾞﾄﾙ") == 1);
  CHECK(total("ぼとる") == 1);  // a partial word
  CHECK(total("電池") == 4);    // two characters: below a trigram, still found
  int64_t bottles = total("びん");
  CHECK(bottles >= 4);
  CHECK(total("ビン") == bottles);
  CHECK(total("ﾋﾞﾝ") == bottles);
  auto found = c.ok(c.get("/search", "q=" + enc("ﾋﾞﾝ") + "&limit=50"));
  std::vector<std::string> names;
  for (const auto& i : found.at("items").as_array()) names.emplace_back(i.at("name").as_string());
  CHECK(std::find(names.begin(), names.end(), "食用油びん") != names.end());
  CHECK(std::find(names.begin(), names.end(), "化粧品のビン") != names.end());
  CHECK(total("電池 コイン") == 1);  // every word must match
  CHECK(total("100%") == 0);          // LIKE wildcards are literal
  CHECK(total("存在しない品目") == 0);
}

TEST_CASE("a resident chooses an area once; the info card says today and tomorrow; export and erase") {
  Calendar c;
  CHECK(c.send("PUT", "/me", R"({"area": "1:今宿町"})").status == 401);
  auto refused = c.send("PUT", "/me", R"({"area": "1:今宿町", "categories": ["粗大ごみ"]})", "sub-1");
  CHECK(refused.status == 400);
  CHECK(refused.body.find("/categories/0") != std::string::npos);
  CHECK(c.send("PUT", "/me", R"({"area": "9:どこか"})", "sub-1").status == 404);
  auto saved = c.send("PUT", "/me", R"({"area": "1:今宿町", "categories": ["燃えるごみ"], "morning_reminder": false})", "sub-1");
  REQUIRE_MESSAGE(saved.status == 200, saved.body);
  auto me = c.ok(c.get("/me", "", "sub-1"));
  CHECK(me.at("area").as_string() == kArea);
  CHECK(me.at("morning_reminder").as_bool() == false);
  // Without ?area= the resident's own area answers.
  CHECK(c.ok(c.get("/next", "from=2026-11-23", "sub-1")).at("area").as_string() == kArea);

  Claims claims;
  claims.values[MACHI_CLAIM_SUBJECT] = "sub-1";
  auto card = c.app->info_card(claims, "ja");
  REQUIRE(card.is_ok());
  auto card_json = json::parse(card.value());
  CHECK(card_json.at("title").as_string() == "ごみカレンダー（今宿町）");
  // Today and tomorrow, from the same calendar the dates route answers.
  auto today_month = c.ok(c.get("/month", "area=" + enc(kArea)));
  std::string today = std::string(c.ok(c.get("/next", "area=" + enc(kArea))).at("from").as_string());
  auto around = c.ok(c.get("/dates", "area=" + enc(kArea) + "&from=" + today + "&to=" + today));
  std::vector<std::string> expected_today;
  for (const auto& cat : around.at("categories").as_array()) {
    if (!cat.at("dates").as_array().empty()) expected_today.emplace_back(cat.at("category").as_string());
  }
  CHECK(strings(card_json.at("today")) == expected_today);

  auto exported = c.app->export_subject("sub-1");
  REQUIRE(exported.is_ok());
  CHECK(json::parse(exported.value()).at("area").as_string() == kArea);
  REQUIRE(c.app->erase_subject("sub-1").is_ok());
  CHECK(c.ok(c.get("/me", "", "sub-1")).at("area").is_null());
}

TEST_CASE("staff changes and uploads: validated, swapped atomically, the previous data keeps serving") {
  Calendar c;
  const std::string staff = R"(["garbage"])";
  CHECK(c.send("POST", "/staff/changes", R"({"date": "2026-11-26", "action": "cancel"})", "s", R"(["library"])").status == 403);
  auto bad = c.send("POST", "/staff/changes", R"({"date": "2026-11-31", "action": "cancel"})", "s", staff);
  CHECK(bad.status == 400);
  CHECK(c.send("POST", "/staff/changes", R"({"date": "2026-11-26", "action": "move"})", "s", staff).status == 400);
  auto added = c.send("POST", "/staff/changes",
                      R"({"date": "2026-11-26", "action": "cancel", "area": "1:今宿町", "note": "台風のため中止"})", "s", staff);
  REQUIRE_MESSAGE(added.status == 201, added.body);
  auto dates = c.ok(c.get("/dates", "area=" + enc(kArea) + "&from=2026-11-26&to=2026-11-26"));
  for (const auto& cat : dates.at("categories").as_array()) CHECK(cat.at("dates").as_array().empty());
  int64_t id = json::parse(added.body).at("id").as_int64();
  CHECK(c.send("DELETE", "/staff/changes/" + std::to_string(id), "", "s", staff).status == 204);
  auto back = c.ok(c.get("/dates", "area=" + enc(kArea) + "&from=2026-11-26&to=2026-11-26&category=" + enc("燃えるごみ")));
  CHECK(strings(back.at("categories").at(0).at("dates")) == std::vector<std::string>{"2026-11-26"});

  // An upload with nothing usable in area_days.csv: 422 with the problem; the old data keeps serving.
  CHECK(c.send("PUT", "/staff/upload/passwords.txt", "x", "s", staff).status == 404);
  REQUIRE(c.send("PUT", "/staff/upload/area_days.csv", "マスター,地名,センター,燃えるごみ\n1,,,月\n", "s", staff).status == 200);
  auto refused = c.send("POST", "/staff/upload/commit", "", "s", staff);
  CHECK(refused.status == 422);
  auto problems = json::parse(refused.body).at("error").at("problems").as_array();
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].at("file").as_string() == "area_days.csv");
  CHECK(problems[0].at("message").as_string() == "no area rows");
  CHECK(c.ok(c.get("/")).at("dataset").at("areas").as_int64() == 314);
  CHECK(c.get("/next", "area=" + enc(kArea)).status == 200);

  // An upload with unreadable cells is accepted and lists its warnings; the areas' residents are
  // told which category could not be read.
  std::string odd = "マスター,地名,センター,燃えるごみ,ペットボトル\n1,新町,,月:13,水2\n1,旧町,,曜,水1\n";
  REQUIRE(c.send("PUT", "/staff/upload/area_days.csv", odd, "s", staff).status == 200);
  auto with_warnings = c.send("POST", "/staff/upload/commit", "", "s", staff);
  REQUIRE_MESSAGE(with_warnings.status == 200, with_warnings.body);
  auto warnings = json::parse(with_warnings.body).at("warnings");
  CHECK(warnings.at("count").as_int64() == 2);
  CHECK(warnings.at("unreadable_cells").as_int64() == 2);
  auto listed = c.ok(c.send("GET", "/staff/dataset", "", "s", staff)).at("warnings").at("list").as_array();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].at("file").as_string() == "area_days.csv");
  CHECK(listed[0].at("line").as_int64() == 2);
  CHECK(listed[0].at("column").as_int64() == 4);
  CHECK(listed[1].at("line").as_int64() == 3);
  CHECK(std::string(listed[1].at("message").as_string()).find("'曜' is not a weekday") == 0);
  auto next_old = c.ok(c.get("/next", "area=" + enc("1:旧町") + "&from=2026-11-30"));
  REQUIRE(next_old.at("next").as_array().size() == 1);  // ペットボトル still has its dates
  CHECK(next_old.at("next").at(0).at("date").as_string() == "2026-12-02");
  REQUIRE(next_old.at("unreadable").as_array().size() == 1);
  CHECK(next_old.at("unreadable").at(0).at("category").as_string() == "燃えるごみ");
  CHECK(next_old.at("unreadable").at(0).at("message").as_string() ==
        "「燃えるごみ」の収集日を読み取れませんでした。市にお問い合わせください。");
  auto dates_old = c.ok(c.get("/dates", "area=" + enc("1:旧町") + "&category=" + enc("燃えるごみ")));
  CHECK(dates_old.at("categories").at(0).at("unreadable").as_bool());
  CHECK(dates_old.at("categories").at(0).at("dates").as_array().empty());
  auto health = c.app->health();
  CHECK(health.healthy);  // it serves; the warnings are details
  auto detail = json::parse(health.detail_json);
  CHECK(std::string(detail.at("degraded").as_string()).starts_with("2 data warning(s)"));
  CHECK(detail.at("warnings").at(0).as_string().starts_with("area_days.csv:2:4: month filter"));

  // A good one (area_days replaced, the other files kept from the active set) swaps in.
  std::string fixed = "マスター,地名,センター,燃えるごみ,ペットボトル\n1,新町,佐賀市清掃工場,火 金,水2\n";
  REQUIRE(c.send("PUT", "/staff/upload/area_days.csv", fixed, "s", staff).status == 200);
  auto swapped = c.send("POST", "/staff/upload/commit", "", "s", staff);
  REQUIRE_MESSAGE(swapped.status == 200, swapped.body);
  CHECK(c.ok(c.get("/")).at("dataset").at("areas").as_int64() == 1);
  CHECK(c.ok(c.get("/")).at("dataset").at("origin").as_string() == "upload");
  CHECK(c.get("/next", "area=" + enc(kArea)).status == 404);
  auto nw = c.ok(c.get("/dates", "area=" + enc("1:新町") + "&from=2026-11-30&to=2026-12-06"));
  CHECK(strings(nw.at("categories").at(0).at("dates")) == std::vector<std::string>{"2026-12-01", "2026-12-04"});
  CHECK(c.ok(c.get("/search", "q=" + enc("電池"))).at("total").as_int64() == 4);  // target.csv kept

  // The upload survives a restart (the data_dir's files did not change since their import).
  c.start();
  CHECK(c.ok(c.get("/")).at("dataset").at("origin").as_string() == "upload");
}

TEST_CASE("changed data_dir files are imported at start; broken ones keep the previous set and health says why") {
  Calendar c;
  int64_t first = c.ok(c.get("/")).at("dataset").at("id").as_int64();
  c.start();  // unchanged files: nothing re-imported
  CHECK(c.ok(c.get("/")).at("dataset").at("id").as_int64() == first);

  std::ofstream(c.data / "remarks.csv", std::ios::app) << "5,新しい注意事項\n";
  c.start();
  CHECK(c.ok(c.get("/")).at("dataset").at("id").as_int64() > first);

  // A short row: accepted, its missing cell unreadable, the warning in the health details.
  std::ofstream(c.data / "area_days.csv", std::ios::app) << "1,短い町,佐賀市清掃工場,月,金1,金2\n";  // 6 of 8 columns
  c.start();
  CHECK(c.ok(c.get("/")).at("dataset").at("areas").as_int64() == 315);
  auto health = c.app->health();
  CHECK(health.healthy);
  CHECK(health.detail_json.find("area_days.csv:316:7: the row has no cell for this category") != std::string::npos);
  int64_t second = c.ok(c.get("/")).at("dataset").at("id").as_int64();

  // Bytes that are neither UTF-8 nor CP932: refused; the previous set keeps serving, health says why.
  std::ofstream(c.data / "area_days.csv", std::ios::binary | std::ios::trunc) << "\x80\x80\x80\n";
  c.start();
  CHECK(c.ok(c.get("/")).at("dataset").at("id").as_int64() == second);  // still the good set
  health = c.app->health();
  CHECK_FALSE(health.healthy);
  CHECK(health.reason.find("area_days.csv:1: the bytes are neither UTF-8 nor CP932") != std::string::npos);
}

TEST_CASE("Kanazawa City's published set serves as published, with the 5374 app's week-shifted dates") {
  Harness h;
  std::filesystem::path data = h.dir / "kanazawa";
  std::filesystem::create_directories(data);
  for (const auto& e : std::filesystem::directory_iterator(MACHI_5374_KANAZAWA)) {
    if (e.path().extension() == ".csv") std::filesystem::copy_file(e.path(), data / e.path().filename());
  }
  h.data_dir = std::filesystem::canonical(data);
  auto app = h.instance(Calendar::fixture_path(), "garbage", R"({"suspension": "week_shift"})");
  auto get = [&](const std::string& path, const std::string& query) {
    auto r = call(*app, make_request("GET", path, query));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return json::parse(r.body);
  };
  auto overview = get("/", "");
  CHECK(overview.at("dataset").at("areas").as_int64() == 71);
  CHECK(overview.at("dataset").at("warnings").as_int64() == 3);
  auto dates = get("/dates", "area=" + enc("浅野川") + "&from=2023-01-01&to=2023-01-31&category=" + enc("資源"));
  CHECK(strings(dates.at("categories").at(0).at("dates")) == std::vector<std::string>{"2023-01-10", "2023-01-24"});
  // "市で収集しない" (not collected by the city) is a real answer of the sorting guide.
  auto found = get("/search", "q=" + enc("タイヤ"));
  bool not_collected = false;
  for (const auto& i : found.at("items").as_array()) not_collected |= i.at("category").as_string() == "市で収集しない";
  CHECK(not_collected);
}
