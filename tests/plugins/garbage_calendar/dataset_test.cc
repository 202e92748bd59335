// The garbage data set importer and the municipality's rules, with dates worked out by hand:
// Saga City's published files (centre suspension 2020/12/30–2021/01/03), the Cabinet Office's
// holidays (Shift_JIS), the yearly closure, staff changes; precise import errors; iCalendar line
// folding. Calendar facts used: 2020-12-01 and 2026-12-01 are Tuesdays,
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

Files saga_files() {
  Files files;
  for (const auto& entry : std::filesystem::directory_iterator(MACHI_5374_SAGA)) {
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
    auto imported = import_dataset(saga_files(), saga_layout(), errors);
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
std::vector<ImportError> errors_for(const std::string& area_days, std::string description = "") {
  if (description.empty()) description = "label,sublabel,description,styles,bgcolor\n燃えるごみ,,,,#f00\nびん,,,,#0f0\n";
  Files files{{kAreaDays, area_days},
              {kDescription, description},
              {kRemarks, "ID,注意事項\n1,北側のみ\n"}};
  std::vector<ImportError> errors;
  CHECK_FALSE(import_dataset(files, Layout{}, errors).has_value());
  return errors;
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

TEST_CASE("the centre's year-end suspension: skip drops, week shift moves per token within the month") {
  Rules skip;
  // 月 木 around the 2020/12/30–2021/01/03 suspension: Thursday 12/31 is dropped.
  CHECK(dates_of(skip, "1:今宿町", kBurnable, d(2020, 12, 28), d(2021, 1, 8)) ==
        std::vector<Day>{d(2020, 12, 28), d(2021, 1, 4), d(2021, 1, 7)});
  // 金1 金3 in January 2021: the 1st Friday (1/1) is inside the period.
  CHECK(dates_of(skip, "1:今宿町", kResources, d(2021, 1, 1), d(2021, 1, 31)) == std::vector<Day>{d(2021, 1, 15)});
  Rules shift;
  shift.suspension = SuspensionRule::kWeekShift;
  CHECK(dates_of(shift, "1:今宿町", kResources, d(2021, 1, 1), d(2021, 1, 31)) ==
        std::vector<Day>{d(2021, 1, 8), d(2021, 1, 15)});
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

TEST_CASE("import errors name the file, line and column; nothing is half imported") {
  const std::string header = "地名,センター,燃えるごみ,びん\r\n";
  auto one = [](const std::vector<ImportError>& errors) {
    REQUIRE(errors.size() == 1);
    return to_string(errors[0]);
  };
  CHECK(one(errors_for(header + "A町,,月\r\n")) ==
        "area_days.csv:2: expected 4 columns as in the header, found 3");
  CHECK(one(errors_for(header + "A町,,月 木,水1\r\n\r\nB町,,曜,水1\r\n")) ==
        "area_days.csv:4:3: '曜' is not a weekday (日月火水木金土), a date, 隔… or *N");
  CHECK(one(errors_for(header + "A町,,月:4 13,水1\n")) == "area_days.csv:2:3: month filter: '13' is not a month 1–12");
  CHECK(one(errors_for(header + "A町,,月,20240230\n")) == "area_days.csv:2:4: '20240230' is not a date (YYYYMMDD)");
  CHECK(one(errors_for(header + "A町,,月 *9,水1\n")) == "area_days.csv:2:3: remark *9 is not in remarks.csv");
  CHECK(one(errors_for("地名,センター,燃えるごみ,かん\nA町,,月,水\n")) ==
        "area_days.csv:1:4: category 'かん' is missing from description.csv");
  CHECK(one(errors_for(header + "A町,,月,水1\nA町,,火,水2\n")) == "area_days.csv:3:1: area 'A町' appears twice");
}

TEST_CASE("centre, holiday and description files are checked too; unknown files are refused") {
  Files files{{kAreaDays, "地名,センター,燃えるごみ\nA町,工場,月\n"},
              {kDescription, "label,sublabel,description,styles,bgcolor\n燃えるごみ,,,,\n"},
              {kCenter, "名称,休止開始日,休止終了日\n工場,2024/12/30,2024/13/03\n"},
              {kHolidays, "国民の祝日・休日月日,国民の祝日・休日名称\n2024/2/30,祝日\n"},
              {"notes.txt", "x"}};
  std::vector<ImportError> errors;
  CHECK_FALSE(import_dataset(files, Layout{}, errors).has_value());
  std::vector<std::string> texts;
  for (const auto& e : errors) texts.push_back(to_string(e));
  CHECK(std::find(texts.begin(), texts.end(), "notes.txt: not a file of the 5374 format (or syukujitsu.csv)") != texts.end());
  CHECK(std::find(texts.begin(), texts.end(), "center.csv:2:3: '2024/13/03' is not a date (YYYY/MM/DD)") != texts.end());
  CHECK(std::find(texts.begin(), texts.end(), "syukujitsu.csv:2:1: '2024/2/30' is not a date (YYYY/M/D)") != texts.end());
  // A centre the area names but center.csv does not list.
  Files unknown_centre{{kAreaDays, "地名,センター,燃えるごみ\nA町,別の工場,月\n"},
                       {kDescription, "label\n燃えるごみ\n"},
                       {kCenter, "名称,休止開始日,休止終了日\n工場,2024/12/30,2025/01/03\n"}};
  errors.clear();
  CHECK_FALSE(import_dataset(unknown_centre, Layout{}, errors).has_value());
  REQUIRE(errors.size() == 1);
  CHECK(to_string(errors[0]) == "area_days.csv:2:2: centre '別の工場' is not in center.csv");
  // Missing required files.
  errors.clear();
  CHECK_FALSE(import_dataset(Files{{kAreaDays, "地名,センター,燃えるごみ\n"}}, Layout{}, errors).has_value());
  REQUIRE_FALSE(errors.empty());
  CHECK(to_string(errors[0]) == "description.csv: the file is missing");
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
