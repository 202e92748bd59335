// The 5374 cell grammar and its dates, every token form and both suspension rules, with dates
// worked out by hand from the calendar (March 2024 starts on a Friday; February 2024 has 29 days
// and starts on a Thursday; April 2024 starts on a Monday).
#include "schedule.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace garbage;

namespace {

Day d(int y, unsigned m, unsigned day) { return Day(date::year{y} / date::month{m} / date::day{day}); }

CellRule cell(std::string_view text) {
  CellRule rule;
  std::string error;
  REQUIRE_MESSAGE(parse_cell(text, rule, error), error);
  return rule;
}

std::vector<Day> dates(std::string_view text, Day from, Day to, std::vector<Suspension> s = {},
                       SuspensionRule how = SuspensionRule::kSkip) {
  return collection_dates(cell(text), from, to, s, how);
}

std::string refusal(std::string_view text) {
  CellRule rule;
  std::string error;
  CHECK_FALSE(parse_cell(text, rule, error));
  return error;
}

}  // namespace

TEST_CASE("a weekday is every such day of the month; a digit picks the nth") {
  CHECK(dates("月", d(2024, 3, 1), d(2024, 3, 31)) ==
        std::vector<Day>{d(2024, 3, 4), d(2024, 3, 11), d(2024, 3, 18), d(2024, 3, 25)});
  CHECK(dates("水2", d(2024, 3, 1), d(2024, 3, 31)) == std::vector<Day>{d(2024, 3, 13)});
  // A 5th Thursday exists in February 2024 (the 29th) but not in March 2024.
  CHECK(dates("木5", d(2024, 2, 1), d(2024, 3, 31)) == std::vector<Day>{d(2024, 2, 29)});
  CHECK(dates("火1 火3", d(2024, 4, 1), d(2024, 4, 30)) == std::vector<Day>{d(2024, 4, 2), d(2024, 4, 16)});
  // Any range: mid-month bounds are inclusive.
  CHECK(dates("月 木", d(2024, 3, 7), d(2024, 3, 14)) ==
        std::vector<Day>{d(2024, 3, 7), d(2024, 3, 11), d(2024, 3, 14)});
}

TEST_CASE("a month filter after ':' limits every weekday token of the cell") {
  CHECK(dates("火2 金4:4 6 8 10 12 2", d(2024, 1, 1), d(2024, 4, 30)) ==
        std::vector<Day>{d(2024, 2, 13), d(2024, 2, 23), d(2024, 4, 9), d(2024, 4, 26)});
}

TEST_CASE("a cell with any date is a date list; its weekday tokens are ignored") {
  auto rule = cell("20240301 20240325 月");
  CHECK(rule.tokens.empty());
  CHECK(dates("20240325 20240301 月", d(2024, 3, 1), d(2024, 3, 31)) ==
        std::vector<Day>{d(2024, 3, 1), d(2024, 3, 25)});
}

TEST_CASE("隔: every second weekday from a start date, not month-filtered") {
  CHECK(dates("隔火20240402", d(2024, 3, 1), d(2024, 5, 31)) ==
        std::vector<Day>{d(2024, 4, 2), d(2024, 4, 16), d(2024, 4, 30), d(2024, 5, 14), d(2024, 5, 28)});
  CHECK(dates("隔火20240402:5", d(2024, 4, 1), d(2024, 4, 30)) ==
        std::vector<Day>{d(2024, 4, 2), d(2024, 4, 16), d(2024, 4, 30)});
}

TEST_CASE("*N names remarks; tokens may be separated by full-width spaces") {
  auto rule = cell("*3 月　木 *12");
  CHECK(rule.remarks == std::vector<int>{3, 12});
  CHECK(rule.tokens.size() == 2);
}

TEST_CASE("suspensions: skip drops the dates inside; week shift moves the token's later dates") {
  // Saga's year-end closure 2020/12/30–2021/01/03 and its 月 木 cell: Thursday 31 Dec is dropped.
  std::vector<Suspension> year_end{{d(2020, 12, 30), d(2021, 1, 3)}};
  auto skipped = dates("月 木", d(2020, 12, 21), d(2021, 1, 10), year_end);
  CHECK(skipped == std::vector<Day>{d(2020, 12, 21), d(2020, 12, 24), d(2020, 12, 28),
                                    d(2021, 1, 4), d(2021, 1, 7)});
  // 水2 in March 2024 is the 13th: skip leaves nothing, week shift moves it to the 20th.
  std::vector<Suspension> one_day{{d(2024, 3, 13), d(2024, 3, 13)}};
  CHECK(dates("水2", d(2024, 3, 1), d(2024, 3, 31), one_day).empty());
  CHECK(dates("水2", d(2024, 3, 1), d(2024, 3, 31), one_day, SuspensionRule::kWeekShift) ==
        std::vector<Day>{d(2024, 3, 20)});
  // Week shift per weekday: 月1 月3 with the 4th (the 1st Monday) suspended — every Monday from
  // the 4th on moves a week, then the week number picks by original position: 月1 4th → 11th,
  // 月3 18th → 25th.
  std::vector<Suspension> fourth{{d(2024, 3, 4), d(2024, 3, 4)}};
  CHECK(dates("月1 月3", d(2024, 3, 1), d(2024, 3, 31), fourth, SuspensionRule::kWeekShift) ==
        std::vector<Day>{d(2024, 3, 11), d(2024, 3, 25)});
  // Every later date of the token moves too; one pushed past the month's end is dropped.
  std::vector<Suspension> eleventh{{d(2024, 3, 11), d(2024, 3, 11)}};
  CHECK(dates("月", d(2024, 3, 1), d(2024, 4, 7), eleventh, SuspensionRule::kWeekShift) ==
        std::vector<Day>{d(2024, 3, 4), d(2024, 3, 18), d(2024, 3, 25), d(2024, 4, 1)});
  // ^ March: 4, 11→18, 18→25, 25→1 Apr dropped; then April's own Monday the 1st.
  CHECK(dates("木5", d(2024, 2, 1), d(2024, 2, 29), {{d(2024, 2, 29), d(2024, 2, 29)}},
              SuspensionRule::kWeekShift).empty());
  // Explicit dates are never suspended.
  CHECK(dates("20201231", d(2020, 12, 1), d(2020, 12, 31), year_end) == std::vector<Day>{d(2020, 12, 31)});
}

TEST_CASE("week shift is per weekday: the 5374 app's walk from the 1st, then the week number") {
  // Kanazawa, 浅野川, 資源 火1 火3 火5, January 2023 (Tuesdays 3, 10, 17, 24, 31), centre suspended
  // 2022/12/30–2023/01/03: 1/3 is inside, so every Tuesday from it moves a week — 火1 → 1/10,
  // 火3 (1/17) → 1/24, 火5 (1/31) → 2/7, past the month: dropped.
  std::vector<Suspension> year_end{{d(2022, 12, 30), d(2023, 1, 3)}};
  CHECK(dates("火1 火3 火5", d(2023, 1, 1), d(2023, 1, 31), year_end, SuspensionRule::kWeekShift) ==
        std::vector<Day>{d(2023, 1, 10), d(2023, 1, 24)});
  // The same tokens under skip: 1/3 is dropped, the others stay.
  CHECK(dates("火1 火3 火5", d(2023, 1, 1), d(2023, 1, 31), year_end) ==
        std::vector<Day>{d(2023, 1, 17), d(2023, 1, 31)});
  // A token whose own date is not inside still moves when an earlier occurrence is: 火2 (1/10) → 1/17.
  CHECK(dates("火2", d(2023, 1, 1), d(2023, 1, 31), year_end, SuspensionRule::kWeekShift) ==
        std::vector<Day>{d(2023, 1, 17)});
  // March 2024: Wednesdays 6, 13, 20, 27.
  // Suspension on the 2nd occurrence (13th): 水1 stays on the 6th, 水2 → 20th, 水4 (27th) → 3 Apr, dropped.
  std::vector<Suspension> second{{d(2024, 3, 13), d(2024, 3, 13)}};
  CHECK(dates("水1 水2 水4", d(2024, 3, 1), d(2024, 3, 31), second, SuspensionRule::kWeekShift) ==
        std::vector<Day>{d(2024, 3, 6), d(2024, 3, 20)});
  // Suspension on the last occurrence (27th): only that one moves, past the month: dropped.
  std::vector<Suspension> last{{d(2024, 3, 27), d(2024, 3, 27)}};
  CHECK(dates("水", d(2024, 3, 1), d(2024, 3, 31), last, SuspensionRule::kWeekShift) ==
        std::vector<Day>{d(2024, 3, 6), d(2024, 3, 13), d(2024, 3, 20)});
  // A 5th occurrence moved out of the month: May 2024 has five Fridays (3, 10, 17, 24, 31); the
  // 1st suspended moves 金5 (31st) to 7 June — dropped; 金1 → 10th.
  std::vector<Suspension> may3{{d(2024, 5, 3), d(2024, 5, 3)}};
  CHECK(dates("金1 金5", d(2024, 5, 1), d(2024, 6, 30), may3, SuspensionRule::kWeekShift) ==
        std::vector<Day>{d(2024, 5, 10), d(2024, 6, 7)});
  // ^ 6/7 is June's own 金1 (June's Fridays: 7, 14, 21, 28; no 5th).
  // Every weekday token is walked on its own weekday: 月 木 with the Monday suspended moves only Mondays.
  std::vector<Suspension> monday{{d(2024, 3, 4), d(2024, 3, 4)}};
  CHECK(dates("月 木", d(2024, 3, 1), d(2024, 3, 10), monday, SuspensionRule::kWeekShift) ==
        std::vector<Day>{d(2024, 3, 7)});
}

TEST_CASE("cells are read after NFKC: full-width digits, spaces and colons") {
  CHECK(dates("火２", d(2024, 4, 1), d(2024, 4, 30)) == std::vector<Day>{d(2024, 4, 9)});
  CHECK(dates("月　木", d(2024, 3, 4), d(2024, 3, 7)) == std::vector<Day>{d(2024, 3, 4), d(2024, 3, 7)});
  CHECK(dates(" 水１：４ ５ ", d(2024, 3, 1), d(2024, 5, 31)) == std::vector<Day>{d(2024, 4, 3), d(2024, 5, 1)});
  CHECK(dates("２０２４０３０１", d(2024, 3, 1), d(2024, 3, 31)) == std::vector<Day>{d(2024, 3, 1)});
}

TEST_CASE("a month filter applies to the tokens since the previous filter") {
  // 水2 in April, June, August; 水4 in May and July; 金 every month. April 2024: Wednesdays 3,
  // 10, 17, 24; May: 1, 8, 15, 22, 29; June: 5, 12, 19, 26.
  auto rule = cell("水2:4 6 8 水4:5 7 金");
  REQUIRE(rule.tokens.size() == 3);
  CHECK(rule.tokens[0].months == std::vector<unsigned>{4, 6, 8});
  CHECK(rule.tokens[1].months == std::vector<unsigned>{5, 7});
  CHECK(rule.tokens[2].months.empty());
  CHECK(dates("水2:4 6 8 水4:5 7", d(2024, 4, 1), d(2024, 6, 30)) ==
        std::vector<Day>{d(2024, 4, 10), d(2024, 5, 22), d(2024, 6, 12)});
  // A filter after several tokens limits all of them (the 5374 form).
  CHECK(cell("火2 金4:4 6").tokens[0].months == std::vector<unsigned>{4, 6});
  CHECK(cell("火2 金4:4 6").tokens[1].months == std::vector<unsigned>{4, 6});
  CHECK(refusal(":4").find("weekday before") != std::string::npos);
  CHECK(refusal("火2:4:5").find("two ':'") != std::string::npos);
}

TEST_CASE("malformed cells are refused with the token and the reason") {
  CHECK(refusal("月6").find("月6") != std::string::npos);
  CHECK(refusal("X").find("weekday") != std::string::npos);
  CHECK(refusal("20240230").find("20240230") != std::string::npos);
  CHECK(refusal("2020024").find("2020024") != std::string::npos);  // seven digits: not a date
  CHECK(refusal("水6").find("水6") != std::string::npos);
  CHECK(refusal("火2:13").find("13") != std::string::npos);
  CHECK(refusal("火2:").find("month") != std::string::npos);
  CHECK(refusal("隔火20240403").find("火") != std::string::npos);  // 3 April 2024 is a Wednesday
  CHECK(refusal("*x").find("remark") != std::string::npos);
  CHECK_FALSE(parse_day("2024/02/30"));
  CHECK(parse_day("2020/12/30") == d(2020, 12, 30));
}

TEST_CASE("every cell of Saga City's published area_days.csv parses") {
  std::ifstream in(std::filesystem::path(MACHI_5374_SAGA) / "area_days.csv");
  REQUIRE(in);
  std::string line;
  std::getline(in, line);  // header
  int rows = 0, cells = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream s(line);
    for (std::string f; std::getline(s, f, ',');) fields.push_back(f);
    REQUIRE(fields.size() >= 7);
    for (size_t c = 3; c < 7; ++c) {  // the four category columns (group, area, centre before)
      CellRule rule;
      std::string error;
      INFO("row ", rows + 2, " column ", c + 1, ": ", fields[c]);
      CHECK(parse_cell(fields[c], rule, error));
      CHECK_FALSE(rule.empty());
      ++cells;
    }
    ++rows;
  }
  CHECK(rows == 314);
  CHECK(cells == 4 * 314);
}
