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
  // Week shift per token: 月1 月3 with the 4th suspended — 月1 moves to the 11th, 月3 (18th) stays.
  std::vector<Suspension> fourth{{d(2024, 3, 4), d(2024, 3, 4)}};
  CHECK(dates("月1 月3", d(2024, 3, 1), d(2024, 3, 31), fourth, SuspensionRule::kWeekShift) ==
        std::vector<Day>{d(2024, 3, 11), d(2024, 3, 18)});
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

TEST_CASE("malformed cells are refused with the token and the reason") {
  CHECK(refusal("月6").find("月6") != std::string::npos);
  CHECK(refusal("X").find("weekday") != std::string::npos);
  CHECK(refusal("20240230").find("20240230") != std::string::npos);
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
