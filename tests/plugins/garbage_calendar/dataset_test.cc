// The garbage data set importer and the municipality's rules, with dates worked out by hand:
// Saga City's published files (centre suspension 2020/12/30–2021/01/03) and Kanazawa City's
// (week shift over 2022/12/30–2023/01/03), the Cabinet Office's holidays (Shift_JIS), the yearly
// closure, staff changes; every tolerance of the lenient import with its warning, and what is
// still refused; iCalendar line folding. Calendar facts used: 2020-12-01 and 2026-12-01 are Tuesdays,
// 2021-01-01 and 2027-01-01 Fridays, 2026-11-01 a Sunday, 2019-04-29 a Monday.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "calendar.h"
#include "dataset.h"
#include "ical.h"

using namespace garbage;

namespace {

Day d(int y, unsigned m, unsigned day) { return Day(date::year{y} / date::month{m} / date::day{day}); }

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Files fixture_files(const std::filesystem::path& dir) {
  Files files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".csv") files[entry.path().filename().string()] = read(entry.path());
  }
  return files;
}

Layout saga_layout() {
  Layout l;
  l.group = 0;
  l.area = 1;
  l.center = 2;
  l.first_category = 3;
  return l;
}

const DataSet& saga() {
  static const DataSet data = [] {
    std::vector<ImportError> errors;
    auto imported = import_dataset(fixture_files(MACHI_5374_SAGA), saga_layout(), errors);
    std::string text;
    for (const auto& e : errors) text += to_string(e) + "\n";
    REQUIRE_MESSAGE(imported.has_value(), text);
    return std::move(*imported);
  }();
  return data;
}

std::vector<Day> dates_of(const Rules& rules, std::string_view area, std::string_view category, Day from, Day to,
                          const DataSet& data = saga()) {
  const Area* a = data.find_area(area);
  REQUIRE(a != nullptr);
  int c = data.category_index(category);
  REQUIRE(c >= 0);
  return category_dates(data, rules, *a, static_cast<size_t>(c), from, to);
}

constexpr std::string_view kBurnable = "燃えるごみ";
constexpr std::string_view kResources = "資源物（紙・布類、ビン・缶）";
constexpr std::string_view kNonBurnable = "燃えないごみ";

// A small data set in the original 5374 layout (area, centre, categories…).
Files small(const std::string& area_days, std::string description = "") {
  if (description.empty()) description = "label,sublabel,description,styles,bgcolor\n燃えるごみ,,,,#f00\nびん,,,,#0f0\n";
  return Files{{kAreaDays, area_days}, {kDescription, description}, {kRemarks, "ID,注意事項\n1,北側のみ\n"}};
}

DataSet accepted(const Files& files, Layout layout = Layout{}) {
  std::vector<ImportError> errors;
  auto data = import_dataset(files, layout, errors);
  std::string text;
  for (const auto& e : errors) text += to_string(e) + "\n";
  REQUIRE_MESSAGE(data.has_value(), text);
  return std::move(*data);
}

std::vector<std::string> warnings_of(const DataSet& data) {
  std::vector<std::string> out;
  for (const auto& w : data.warnings) out.push_back(to_string(w));
  return out;
}

std::string refused(const Files& files) {
  std::vector<ImportError> errors;
  CHECK_FALSE(import_dataset(files, Layout{}, errors).has_value());
  REQUIRE_FALSE(errors.empty());
  return to_string(errors.front());
}

}  // namespace

TEST_CASE("Saga City's published files import: areas by (group, name), categories, remarks, items, holidays") {
  const DataSet& data = saga();
  CHECK(data.areas.size() == 314);
  REQUIRE(data.categories.size() == 4);
  CHECK(data.categories[0].label == kBurnable);
  CHECK(data.categories[1].label == kResources);
  CHECK(data.categories[2].label == kNonBurnable);
  CHECK(data.categories[3].label == "ペットボトル");
  CHECK(data.categories[0].bgcolor == "#ea3b13");
  CHECK(data.remarks.size() == 2);
  CHECK(data.items.size() == 270);
  const Area* imajuku = data.find_area("1:今宿町");
  REQUIRE(imajuku != nullptr);
  CHECK(imajuku->group_name == "佐賀地区あ行");
  CHECK(imajuku->center == "佐賀市清掃工場");
  // Names repeat under different groups; each (group, name) is its own area.
  size_t fukudomi = std::count_if(data.areas.begin(), data.areas.end(), [](const Area& a) { return a.name == "福富"; });
  CHECK(fukudomi >= 2);
  // The Cabinet Office's Shift_JIS file, 2019–2027.
  CHECK(data.holidays.size() == 165);
  CHECK(data.holidays.at(d(2019, 5, 1)) == "休日（祝日扱い）");
  CHECK(data.holidays.at(d(2026, 11, 23)) == "勤労感謝の日");
  CHECK(data.holidays.at(d(2027, 3, 22)) == "休日");
  CHECK_FALSE(data.holidays.contains(d(2026, 11, 24)));
}

TEST_CASE("the centre's year-end suspension: skip drops, week shift moves per weekday within the month") {
  Rules skip;
  // 月 木 around the 2020/12/30–2021/01/03 suspension: Thursday 12/31 is dropped.
  CHECK(dates_of(skip, "1:今宿町", kBurnable, d(2020, 12, 28), d(2021, 1, 8)) ==
        std::vector<Day>{d(2020, 12, 28), d(2021, 1, 4), d(2021, 1, 7)});
  // 金1 金3 in January 2021: the 1st Friday (1/1) is inside the period.
  CHECK(dates_of(skip, "1:今宿町", kResources, d(2021, 1, 1), d(2021, 1, 31)) == std::vector<Day>{d(2021, 1, 15)});
  Rules shift;
  shift.suspension = SuspensionRule::kWeekShift;
  // Every Friday from 1/1 moves a week: 金1 (1/1) → 1/8, 金3 (1/15) → 1/22.
  CHECK(dates_of(shift, "1:今宿町", kResources, d(2021, 1, 1), d(2021, 1, 31)) ==
        std::vector<Day>{d(2021, 1, 8), d(2021, 1, 22)});
  // 12/31 moved a week is past December's end: dropped.
  CHECK(dates_of(shift, "1:今宿町", kBurnable, d(2020, 12, 28), d(2021, 1, 8)) ==
        std::vector<Day>{d(2020, 12, 28), d(2021, 1, 4), d(2021, 1, 7)});
}

TEST_CASE("public holidays per category: collect, skip, or move to the next day that is not a holiday") {
  Rules rules;  // default: collect
  Day from = d(2026, 11, 16), to = d(2026, 11, 30);
  CHECK(dates_of(rules, "1:今宿町", kBurnable, from, to) ==
        std::vector<Day>{d(2026, 11, 16), d(2026, 11, 19), d(2026, 11, 23), d(2026, 11, 26), d(2026, 11, 30)});
  rules.holiday_by_category[std::string(kBurnable)] = HolidayRule::kSkip;
  CHECK(dates_of(rules, "1:今宿町", kBurnable, from, to) ==
        std::vector<Day>{d(2026, 11, 16), d(2026, 11, 19), d(2026, 11, 26), d(2026, 11, 30)});
  rules.holiday_by_category[std::string(kBurnable)] = HolidayRule::kMove;
  CHECK(dates_of(rules, "1:今宿町", kBurnable, from, to) ==
        std::vector<Day>{d(2026, 11, 16), d(2026, 11, 19), d(2026, 11, 24), d(2026, 11, 26), d(2026, 11, 30)});
  // Golden Week 2019: 4/29–5/6 are all holidays; Monday 4/29, Thursday 5/2 and Monday 5/6 all
  // move to Tuesday 5/7 (one collection), Thursday 5/9 stays.
  CHECK(dates_of(rules, "1:今宿町", kBurnable, d(2019, 4, 29), d(2019, 5, 9)) ==
        std::vector<Day>{d(2019, 5, 7), d(2019, 5, 9)});
  // The rule is per category: 燃えないごみ still follows the default (collect).
  rules.holiday_default = HolidayRule::kCollect;
  CHECK(dates_of(rules, "1:今宿町", kNonBurnable, d(2026, 11, 1), d(2026, 11, 30)) ==
        std::vector<Day>{d(2026, 11, 13), d(2026, 11, 27)});  // 金2 金4
}

TEST_CASE("a yearly closure over the new year drops the dates inside it") {
  Rules rules;
  Closure c;
  REQUIRE(parse_month_day("12/29", c.from_month, c.from_day));
  REQUIRE(parse_month_day("01/03", c.to_month, c.to_day));
  rules.closures.push_back(c);
  CHECK(dates_of(rules, "1:今宿町", kBurnable, d(2026, 12, 28), d(2027, 1, 8)) ==
        std::vector<Day>{d(2026, 12, 28), d(2027, 1, 4), d(2027, 1, 7)});
  unsigned m = 0, day = 0;
  CHECK(parse_month_day("2/29", m, day));
  CHECK_FALSE(parse_month_day("2/30", m, day));
  CHECK_FALSE(parse_month_day("13/01", m, day));
}

TEST_CASE("staff changes: cancel or add a date for one area or all; a later change of the same day wins") {
  Rules rules;
  rules.changes.push_back({1, d(2026, 11, 26), "1:今宿町", std::string(kBurnable), false, "台風"});
  rules.changes.push_back({2, d(2026, 11, 28), "", std::string(kNonBurnable), true, "臨時収集"});
  CHECK(dates_of(rules, "1:今宿町", kBurnable, d(2026, 11, 23), d(2026, 11, 30)) ==
        std::vector<Day>{d(2026, 11, 23), d(2026, 11, 30)});
  CHECK(dates_of(rules, "1:朝日町", kBurnable, d(2026, 11, 23), d(2026, 11, 30)) ==
        std::vector<Day>{d(2026, 11, 23), d(2026, 11, 26), d(2026, 11, 30)});  // other area untouched
  CHECK(dates_of(rules, "1:朝日町", kNonBurnable, d(2026, 11, 23), d(2026, 11, 30)) ==
        std::vector<Day>{d(2026, 11, 27), d(2026, 11, 28)});
  rules.changes.push_back({3, d(2026, 11, 26), "1:今宿町", std::string(kBurnable), true, "戻し"});
  CHECK(dates_of(rules, "1:今宿町", kBurnable, d(2026, 11, 26), d(2026, 11, 26)) == std::vector<Day>{d(2026, 11, 26)});
  // next_date looks past an empty month.
  const Area* a = saga().find_area("1:今宿町");
  CHECK(next_date(saga(), Rules{}, *a, 0, d(2026, 11, 24)) == d(2026, 11, 26));
}

TEST_CASE("Saga City's published files import without a warning") {
  const DataSet& data = saga();
  // Saga's files are clean: the importer has nothing to say about them.
  CHECK(warnings_of(data).empty());
  CHECK(data.unreadable_cells == 0);
}

TEST_CASE("Saga: dates across the 2020/21 year end, checked by hand for eleven areas") {
  // As the demo manifest: suspension skip (centre 2020/12/30–2021/01/03), closure 12/31–01/03,
  // holidays collected. Window Mon 2020-12-21 … Sun 2021-01-17. December 2020: Mondays 21, 28;
  // Tuesdays 22, 29; Wednesdays 23, 30; Thursdays 24, 31; Friday 25. January 2021: Friday 1;
  // Mondays 4, 11; Tuesdays 5, 12; Wednesdays 6, 13; Thursdays 7, 14; Fridays 8, 15.
  Rules rules;
  Closure c;
  REQUIRE(parse_month_day("12/31", c.from_month, c.from_day));
  REQUIRE(parse_month_day("01/03", c.to_month, c.to_day));
  rules.closures.push_back(c);
  const Day from = d(2020, 12, 21), to = d(2021, 1, 17);
  auto check = [&](std::string_view area, std::string_view category, std::vector<Day> expected) {
    INFO(area, " ", category);
    CHECK(dates_of(rules, area, category, from, to) == expected);
  };
  const std::vector<Day> mon_thu{d(2020, 12, 21), d(2020, 12, 24), d(2020, 12, 28), d(2021, 1, 4),
                                 d(2021, 1, 7), d(2021, 1, 11), d(2021, 1, 14)};  // 12/31 suspended
  const std::vector<Day> tue_fri{d(2020, 12, 22), d(2020, 12, 25), d(2020, 12, 29), d(2021, 1, 5),
                                 d(2021, 1, 8), d(2021, 1, 12), d(2021, 1, 15)};  // 1/1 suspended
  // 1:今宿町 (月 木 | 金1 金3 | 金2 金4 | 水1 水3): 金1 of January is 1/1, suspended.
  check("1:今宿町", kBurnable, mon_thu);
  check("1:今宿町", kResources, {d(2021, 1, 15)});
  check("1:今宿町", kNonBurnable, {d(2020, 12, 25), d(2021, 1, 8)});
  check("1:今宿町", "ペットボトル", {d(2021, 1, 6)});
  // 1:鬼丸町 (火 金 | 木1 木3 | 木2 木4 | 水2 水4).
  check("1:鬼丸町", kBurnable, tue_fri);
  check("1:鬼丸町", kResources, {d(2021, 1, 7)});
  check("1:鬼丸町", kNonBurnable, {d(2020, 12, 24), d(2021, 1, 14)});
  check("1:鬼丸町", "ペットボトル", {d(2020, 12, 23), d(2021, 1, 13)});
  // 1:伊勢町 (火 金 | 水2 水4 | 水1 水3 | 水2 水4): 水5 (12/30) is no collection anyway.
  check("1:伊勢町", kResources, {d(2020, 12, 23), d(2021, 1, 13)});
  check("1:伊勢町", kNonBurnable, {d(2021, 1, 6)});
  // 1:卸本町 (火 金 | 月2 月4 | 月1 月3 | 水2 水4).
  check("1:卸本町", kResources, {d(2020, 12, 28), d(2021, 1, 11)});
  check("1:卸本町", kNonBurnable, {d(2020, 12, 21), d(2021, 1, 4)});
  // 1:大財北町 (月 木 | 火2 火4 | 火1 火3 | 水1 水3): 12/29 is 火5.
  check("1:大財北町", kBurnable, mon_thu);
  check("1:大財北町", kResources, {d(2020, 12, 22), d(2021, 1, 12)});
  check("1:大財北町", kNonBurnable, {d(2021, 1, 5)});
  // 1:大財六丁目1番26～30号 (月 木 | 火1 火3 | 火2 火4 | 水1 水3).
  check("1:大財六丁目1番26～30号", kResources, {d(2021, 1, 5)});
  check("1:大財六丁目1番26～30号", kNonBurnable, {d(2020, 12, 22), d(2021, 1, 12)});
  // 11:下村 (月 木 | 木2 木4 | 木1 木3 | 木1 木3).
  check("11:下村", kResources, {d(2020, 12, 24), d(2021, 1, 14)});
  check("11:下村", "ペットボトル", {d(2021, 1, 7)});
  // 11:五領 (月 木 | 金2 金4 | 金1 金3 | 金1 金3): January's 金1 is 1/1, suspended.
  check("11:五領", kResources, {d(2020, 12, 25), d(2021, 1, 8)});
  check("11:五領", kNonBurnable, {d(2021, 1, 15)});
  // 11:佐保 (火 金 | 火2 火4 | 火1 火3 | 火1 火3).
  check("11:佐保", kBurnable, tue_fri);
  check("11:佐保", "ペットボトル", {d(2021, 1, 5)});
  // 11:みどり団地 (月 木 | 月2 月4 | 月1 月3 | 月1 月3).
  check("11:みどり団地", kResources, {d(2020, 12, 28), d(2021, 1, 11)});
  check("11:みどり団地", "ペットボトル", {d(2020, 12, 21), d(2021, 1, 4)});
  // 13:上早 (火 金 | 木1 木3 | 水2 水4 | 水2 水4).
  check("13:上早", kResources, {d(2021, 1, 7)});
  check("13:上早", kNonBurnable, {d(2020, 12, 23), d(2021, 1, 13)});
}

TEST_CASE("Kanazawa City's published files import as published, with three warnings") {
  const DataSet data = accepted(fixture_files(MACHI_5374_KANAZAWA));
  CHECK(data.areas.size() == 71);
  REQUIRE(data.categories.size() == 4);
  CHECK(data.categories[0].label == "燃やすごみ");
  CHECK(data.categories[0].bgcolor == "#ea3b13");
  CHECK(data.remarks.empty());  // remarks.csv is header-only: nothing to say about it
  CHECK(data.centers.at("東部管理センター").size() == 1);
  // target.csv's items of three categories description.csv does not list are kept.
  std::vector<std::string> w = warnings_of(data);
  CHECK(w == std::vector<std::string>{
                 "target.csv:39:1: category '市で収集しない' is not in description.csv: its 51 item(s) are shown "
                 "with the label only",
                 "target.csv:302:1: category '有料戸別収集' is not in description.csv: its 1 item(s) are shown with "
                 "the label only",
                 "target.csv:12:1: category '有料粗大ごみ' is not in description.csv: its 123 item(s) are shown with "
                 "the label only"});
  CHECK(data.items.size() == 1251);
  size_t not_collected = std::count_if(data.items.begin(), data.items.end(),
                                       [](const Item& i) { return i.category == "市で収集しない"; });
  CHECK(not_collected == 51);
}

TEST_CASE("Kanazawa: week shift across the 2022/23 year end, checked by hand for twelve areas") {
  // setting.js: WeekShift = true; both centres suspended 2022/12/30 (Fri)–2023/01/03 (Tue).
  // December 2022: Thursdays 1…29, Fridays 2, 9, 16, 23, 30 (30 moves to 1/6: dropped).
  // January 2023: Mondays 2 (suspended: 2→9, 9→16, 16→23, 23→30, 30→2/6 dropped); Tuesdays 3
  // (suspended: 3→10, 10→17, 17→24, 24→31, 31→2/7 dropped); Wednesdays 4, 11, 18, 25;
  // Thursdays 5, 12, 19, 26; Fridays 6, 13, 20, 27 — untouched.
  static const DataSet data = accepted(fixture_files(MACHI_5374_KANAZAWA));
  Rules rules;
  rules.suspension = SuspensionRule::kWeekShift;
  auto check = [&](std::string_view area, std::string_view category, Day from, Day to, std::vector<Day> expected) {
    INFO(area, " ", category);
    CHECK(dates_of(rules, area, category, from, to, data) == expected);
  };
  const Day dec1 = d(2022, 12, 1), dec31 = d(2022, 12, 31), jan1 = d(2023, 1, 1), jan31 = d(2023, 1, 31);
  // 浅野川 (月 木 | 水4 | 火1 火3 火5 | 水2): the example, and a 月 木 cell.
  check("浅野川", "資源", jan1, jan31, {d(2023, 1, 10), d(2023, 1, 24)});
  check("浅野川", "資源", dec1, dec31, {d(2022, 12, 6), d(2022, 12, 20)});
  check("浅野川", "燃やすごみ", jan1, jan31,
        {d(2023, 1, 5), d(2023, 1, 9), d(2023, 1, 12), d(2023, 1, 16), d(2023, 1, 19), d(2023, 1, 23),
         d(2023, 1, 26), d(2023, 1, 30)});
  check("浅野川", "燃やさないごみ", jan1, jan31, {d(2023, 1, 25)});
  check("浅野川", "あきびん", jan1, jan31, {d(2023, 1, 11)});
  // 朝日 (火 金 | 月3 | 月2 月4 月5 | 水1): 12/30 drops; 月3 1/16 → 1/23; 月2 → 1/16, 月4 → 1/30.
  check("朝日", "燃やすごみ", d(2022, 12, 20), d(2023, 1, 8),
        {d(2022, 12, 20), d(2022, 12, 23), d(2022, 12, 27), d(2023, 1, 6)});
  check("朝日", "燃やすごみ", jan1, jan31,
        {d(2023, 1, 6), d(2023, 1, 10), d(2023, 1, 13), d(2023, 1, 17), d(2023, 1, 20), d(2023, 1, 24),
         d(2023, 1, 27), d(2023, 1, 31)});
  check("朝日", "燃やさないごみ", jan1, jan31, {d(2023, 1, 23)});
  check("朝日", "資源", jan1, jan31, {d(2023, 1, 16), d(2023, 1, 30)});
  check("朝日", "あきびん", jan1, jan31, {d(2023, 1, 4)});
  // 泉野 (月 木 | 金3 | 金2 金4 金5 | 水1): 金5 = 12/30 moves to 1/6, out of December.
  check("泉野", "資源", dec1, dec31, {d(2022, 12, 9), d(2022, 12, 23)});
  check("泉野", "燃やさないごみ", dec1, dec31, {d(2022, 12, 16)});
  check("泉野", "資源", jan1, jan31, {d(2023, 1, 13), d(2023, 1, 27)});
  // 内川 (月 木 | 金2 | 金1 金3 金5 | 水4).
  check("内川", "資源", dec1, dec31, {d(2022, 12, 2), d(2022, 12, 16)});
  check("内川", "燃やさないごみ", dec1, dec31, {d(2022, 12, 9)});
  // 大浦 (火 金 | 水2 | 月1 月3 月5 | 水4): 月1 → 1/9, 月3 → 1/23, 月5 dropped.
  check("大浦", "資源", jan1, jan31, {d(2023, 1, 9), d(2023, 1, 23)});
  // 押野 (月 木 | 火2 | 火1 火3 火5 | 水4): 火2 1/10 → 1/17 though its own date is not suspended.
  check("押野", "燃やさないごみ", jan1, jan31, {d(2023, 1, 17)});
  check("押野", "資源", jan1, jan31, {d(2023, 1, 10), d(2023, 1, 24)});
  // 金石町 (火 金 | 月4 | 月1 月3 月5 | 水2): 月4 1/23 → 1/30.
  check("金石町", "燃やさないごみ", jan1, jan31, {d(2023, 1, 30)});
  check("金石町", "資源", jan1, jan31, {d(2023, 1, 9), d(2023, 1, 23)});
  // 木曳野 (月 木 | 水1 | 火2 火4 火5 | 水3): 火2 → 1/17, 火4 → 1/31, 火5 dropped.
  check("木曳野", "資源", jan1, jan31, {d(2023, 1, 17), d(2023, 1, 31)});
  check("木曳野", "燃やさないごみ", jan1, jan31, {d(2023, 1, 4)});
  // 清瀬 (火 金 | 水2 | 月2 月4 月5 | 水1).
  check("清瀬", "資源", jan1, jan31, {d(2023, 1, 16), d(2023, 1, 30)});
  // 富樫 (月 木 | 火4 | 火1 火3 火5 | 水2): 火4 1/24 → 1/31.
  check("富樫", "燃やさないごみ", jan1, jan31, {d(2023, 1, 31)});
  // 馬場 (月 木 | 火1 | 火2 火4 火5 | 水3): 火1 1/3 → 1/10.
  check("馬場", "燃やさないごみ", jan1, jan31, {d(2023, 1, 10)});
  check("馬場", "資源", jan1, jan31, {d(2023, 1, 17), d(2023, 1, 31)});
  // 新竪町 (火 金 | 月1 | 月2 月4 月5 | 水3): 月1 1/2 → 1/9.
  check("新竪町", "燃やさないごみ", jan1, jan31, {d(2023, 1, 9)});
  // February is untouched again: 浅野川 資源 = 2/7, 2/21.
  check("浅野川", "資源", d(2023, 2, 1), d(2023, 2, 28), {d(2023, 2, 7), d(2023, 2, 21)});
}

TEST_CASE("a cell that cannot be read costs only that area's category, with a warning naming it") {
  const std::string header = "地名,センター,燃えるごみ,びん\r\n";
  DataSet data = accepted(small(header + "A町,,月 木,水1\r\n\r\nB町,,曜,水1\r\nC町,,月,2020024\r\nD町,,水6,水2\r\n"));
  CHECK(warnings_of(data) == std::vector<std::string>{
            "area_days.csv:4:3: '曜' is not a weekday (日月火水木金土), a date, 隔… or *N: no dates for '燃えるごみ' in 'B町'",
            "area_days.csv:5:4: '2020024' is not a date (YYYYMMDD): no dates for 'びん' in 'C町'",
            "area_days.csv:6:3: '水6': after the weekday only a week number 1–5 may follow: no dates for '燃えるごみ' in 'D町'"});
  CHECK(data.unreadable_cells == 3);
  const Area* b = data.find_area("B町");
  REQUIRE(b != nullptr);
  CHECK_FALSE(b->rules[0].problem.empty());
  Rules rules;
  CHECK(category_dates(data, rules, *b, 0, d(2024, 3, 1), d(2024, 3, 31)).empty());
  CHECK(category_dates(data, rules, *b, 1, d(2024, 3, 1), d(2024, 3, 31)) == std::vector<Day>{d(2024, 3, 6)});
  // A short row: its missing cells are unreadable; cells past the header are left out, warned.
  data = accepted(small(header + "A町,,月\r\nB町,,月,水1,金\r\n"));
  CHECK(warnings_of(data) == std::vector<std::string>{
            "area_days.csv:2:4: the row has no cell for this category (3 of the header's 4 columns): no dates for 'びん' in 'A町'",
            "area_days.csv:3:5: the row has 5 cells, the header 4: the cells past the header are left out"});
  // Month filters and remarks.
  data = accepted(small(header + "A町,,月:4 13,水1 *9\n"));
  CHECK(warnings_of(data) == std::vector<std::string>{
            "area_days.csv:2:3: month filter: '13' is not a month 1–12: no dates for '燃えるごみ' in 'A町'",
            "area_days.csv:2:4: remark *9 is not in remarks.csv: not shown"});
  CHECK(data.areas[0].rules[1].problem.empty());
}

TEST_CASE("published oddities are accepted with warnings: undescribed categories, repeated areas, spaces") {
  // A category description.csv lacks: shown with its label only.
  DataSet data = accepted(small("地名,センター,燃えるごみ,かん\nA町,,月,水\n"));
  CHECK(warnings_of(data) == std::vector<std::string>{
            "area_days.csv:1:4: category 'かん' is not in description.csv: shown with its label only"});
  REQUIRE(data.categories.size() == 2);
  CHECK_FALSE(data.categories[1].described);
  CHECK(data.categories[1].label == "かん");
  // The same area twice: both kept, the second as 'A町#2'.
  data = accepted(small("地名,センター,燃えるごみ,びん\nA町,,月,水1\nA町,,火,水2\n"));
  CHECK(warnings_of(data) == std::vector<std::string>{
            "area_days.csv:3:1: area 'A町' appears again: both are kept, this one as 'A町#2'"});
  REQUIRE(data.find_area("A町#2") != nullptr);
  CHECK(category_dates(data, Rules{}, *data.find_area("A町#2"), 0, d(2024, 3, 1), d(2024, 3, 7)) ==
        std::vector<Day>{d(2024, 3, 5)});
  // Spaces around names and cells; full-width digits and spaces in cells: no warning.
  data = accepted(small("地名,センター,燃えるごみ,びん\n　A町 ,, 月　木 ,水２\n"));
  CHECK(warnings_of(data).empty());
  REQUIRE(data.find_area("A町") != nullptr);
  CHECK(category_dates(data, Rules{}, data.areas[0], 1, d(2024, 3, 1), d(2024, 3, 31)) ==
        std::vector<Day>{d(2024, 3, 13)});
  // An empty area name: the row is left out.
  data = accepted(small("地名,センター,燃えるごみ,びん\n,,月,水1\nB町,,月,水1\n"));
  CHECK(warnings_of(data) == std::vector<std::string>{"area_days.csv:2:1: the area name is empty: the row is left out"});
  CHECK(data.areas.size() == 1);
  // No description.csv at all: labels only.
  data = accepted(Files{{kAreaDays, "地名,センター,燃えるごみ\nA町,,月\n"}});
  CHECK(warnings_of(data) == std::vector<std::string>{
            "description.csv: the file is missing: categories are shown with their labels only",
            "area_days.csv:1:3: category '燃えるごみ' is not in description.csv: shown with its label only"});
  // A file the format does not have: ignored.
  Files extra = small("地名,センター,燃えるごみ\nA町,,月\n");
  extra["notes.txt"] = "x";
  CHECK(warnings_of(accepted(extra)).front() == "notes.txt: not a file of the 5374 format (or syukujitsu.csv): ignored");
}

TEST_CASE("center.csv: several rows, both date forms, closed days, backwards periods, empty files") {
  Files files = small("地名,センター,燃えるごみ\nA町,工場,月\nB町,別の工場,月\n");
  files[kCenter] =
      "名称,休止開始日,休止終了日\n"
      "工場,2024/12/30,2025/01/03\n"
      "工場,20250505,20250506\n"           // a second row of one centre: both periods apply
      "工場,2025/08/13,2025/08/15,20250811,2025/9/15\n"  // further columns: single closed days
      "工場,2025/10/10,2025/10/01\n"       // ends before it starts: no suspension
      "工場,2025/13/01,2025/11/03\n";      // an impossible start: left out, the end alone a closed day
  DataSet data = accepted(files);
  CHECK(warnings_of(data) == std::vector<std::string>{
            "center.csv:5:3: the suspension ends before it starts: no suspension from this row",
            "center.csv:6:2: '2025/13/01' is not a date (YYYY/MM/DD or YYYYMMDD): left out",
            "center.csv:6:3: only one date of the period: taken as one closed day",
            "area_days.csv:3:2: centre '別の工場' is not in center.csv: no suspension applies to its 1 area(s)"});
  const auto& periods = data.centers.at("工場");
  REQUIRE(periods.size() == 6);
  CHECK(periods[0].first == d(2024, 12, 30));
  CHECK(periods[1].first == d(2025, 5, 5));
  CHECK(periods[1].last == d(2025, 5, 6));
  CHECK(periods[3].first == d(2025, 8, 11));
  CHECK(periods[3].last == d(2025, 8, 11));
  CHECK(periods[4].first == d(2025, 9, 15));
  CHECK(periods[5].first == d(2025, 11, 3));
  // Monday 2025-05-05 is suspended, 5-12 is not; Monday 2025-08-11 is a closed day; 9-15 too.
  Rules skip;
  CHECK(dates_of(skip, "A町", "燃えるごみ", d(2025, 5, 1), d(2025, 5, 12), data) == std::vector<Day>{d(2025, 5, 12)});
  CHECK(dates_of(skip, "A町", "燃えるごみ", d(2025, 8, 4), d(2025, 8, 18), data) ==
        std::vector<Day>{d(2025, 8, 4), d(2025, 8, 18)});
  CHECK(dates_of(skip, "A町", "燃えるごみ", d(2025, 9, 8), d(2025, 9, 22), data) ==
        std::vector<Day>{d(2025, 9, 8), d(2025, 9, 22)});
  // Empty and header-only optional files: an empty one is warned and left out, header-only is fine.
  files = small("地名,センター,燃えるごみ\nA町,工場,月\n");
  files[kCenter] = "";
  files[kRemarks] = "ID,注意事項\r\n";
  CHECK(warnings_of(accepted(files)) ==
        std::vector<std::string>{"center.csv: the file is empty (a header row is expected): the file is left out"});
}

TEST_CASE("holidays, target and area_master problems are warnings; the rows that read are kept") {
  Files files{{kAreaDays, "区,地名,センター,燃えるごみ\n1,A町,,月\n9,B町,,月\n"},
              {kDescription, "label\n燃えるごみ\n"},
              {kAreaMaster, "マスター,区名\n1,北\n"},
              {kTarget, "type,name,notice,furigana\n燃えるごみ,紙くず,,かみくず\n燃えるごみ,,,\n粗大ごみ,たんす,,たんす\n"},
              {kHolidays, "国民の祝日・休日月日,国民の祝日・休日名称\n2024/2/30,祝日\n2024/2/23,天皇誕生日\n"}};
  Layout layout;
  layout.group = 0;
  layout.area = 1;
  layout.center = 2;
  layout.first_category = 3;
  DataSet data = accepted(files, layout);
  CHECK(warnings_of(data) == std::vector<std::string>{
            "area_days.csv:3:1: group '9' is not in area_master.csv: its key is shown as its name",
            "target.csv:3:2: the item name is empty: the row is left out",
            "target.csv:4:1: category '粗大ごみ' is not in description.csv: its 1 item(s) are shown with the label only",
            "syukujitsu.csv:2:1: '2024/2/30' is not a date (YYYY/M/D): the row is left out"});
  CHECK(data.items.size() == 2);
  CHECK(data.holidays.size() == 1);
  CHECK(data.find_area("9:B町")->group_name == "9");
}

TEST_CASE("a data set is refused only when nothing usable remains") {
  CHECK(refused(Files{{kDescription, "label\n燃えるごみ\n"}}) == "area_days.csv: the file is missing");
  CHECK(refused(small("地名,センター,燃えるごみ\n")) == "area_days.csv: no area rows");
  CHECK(refused(small("地名,センター,燃えるごみ\n,,月\n")) == "area_days.csv: no area rows");
  CHECK(refused(small("地名,センター\nA町,工場\n")).starts_with("area_days.csv:1: the config's first category column 2"));
  CHECK(refused(small("地名,センター,燃えるごみ\nA町,,\"月\n")) == "area_days.csv:2: quoted field is not closed");
  // Bytes that are neither UTF-8 nor CP932 (0x80 alone is not a CP932 lead byte).
  CHECK(refused(small("地名,センター,燃えるごみ\nA町,,\x80\x80\n")).starts_with(
      "area_days.csv:2: the bytes are neither UTF-8 nor CP932"));
  // An optional file that does not decode is left out with a warning; the rest serves.
  Files files = small("地名,センター,燃えるごみ\nA町,,月\n");
  files[kTarget] = "type,name\n\x80\x80,x\n";
  CHECK(warnings_of(accepted(files)).front().starts_with("target.csv:2: the bytes are neither UTF-8 nor CP932"));
}

TEST_CASE("iCalendar lines fold at 75 octets on UTF-8 boundaries; TEXT is escaped") {
  std::string ascii(100, 'a');
  CHECK(ical_line(ascii) == std::string(75, 'a') + "\r\n " + std::string(25, 'a') + "\r\n");
  std::string kana;
  for (int i = 0; i < 30; ++i) kana += "あ";  // 90 octets
  std::string folded = ical_line(kana);
  CHECK(folded.substr(0, 75) == kana.substr(0, 75));
  CHECK(folded.substr(75) == "\r\n " + kana.substr(75) + "\r\n");
  std::string mixed = "S" + kana;  // 91 octets: the cut falls inside a character and backs off
  std::string f2 = ical_line(mixed);
  CHECK(f2.find("\r\n ") == 73);
  CHECK(ical_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne");
}
