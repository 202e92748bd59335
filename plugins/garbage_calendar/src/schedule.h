// The 5374 collection-day grammar and the dates it gives. One cell of area_days.csv holds
// space-separated tokens:
//   月            every Monday of the month (日月火水木金土)
//   水2           the 2nd Wednesday (1–5; a month without a 5th gives none)
//   隔火20240402  every second Tuesday from that date (not month-filtered)
//   20240301      an explicit date; a cell holding any date is a date list (weekday tokens
//                 ignored, suspensions not applied)
//   *3            remark 3 (remarks.csv)
// A month filter ":" and month numbers limits the tokens since the previous filter ("火2 金4:4 6
// 8 10 12 2": both tokens only in those months; "水2:4 6 8 水4:5 7": each its own months).
// A cell is read after NFKC (full-width digits, spaces and colons are their ASCII forms).
// Suspension periods (center.csv) either drop dates inside them (skip) or move them a week
// (week shift, the 5374 app's WeekShift: per weekday and month, walking that weekday's
// occurrences from the 1st, once one falls inside a period that occurrence and every later one
// move 7 days later; then the week number picks by the original position; a date moved past the
// month's end is dropped).
// Thread-safety: plain values and free functions.
#pragma once

#include <date/date.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace garbage {

using Day = date::sys_days;

struct Token {
  enum class Kind { kEvery, kNth, kBiweekly };
  Kind kind = Kind::kEvery;
  unsigned weekday = 0;  // 0 = Sunday … 6 = Saturday
  unsigned nth = 0;      // kNth: 1–5
  Day start{};           // kBiweekly: the first date
  std::vector<unsigned> months;  // 1–12; empty: every month (never for kBiweekly)
};

struct CellRule {
  std::vector<Token> tokens;
  std::vector<Day> dates;       // a date list (then `tokens` is empty)
  std::vector<int> remarks;     // *N
  // Non-empty: the cell could not be read (the import's warning says why); no dates.
  std::string problem;
  bool empty() const { return tokens.empty() && dates.empty(); }
};

// Parses one cell, or returns false with `error` saying which token and why.
bool parse_cell(std::string_view cell, CellRule& out, std::string& error);

enum class SuspensionRule { kSkip, kWeekShift };
struct Suspension {
  Day first{};
  Day last{};  // inclusive
};

// The collection dates in [from, to] (inclusive), ascending, without duplicates.
std::vector<Day> collection_dates(const CellRule& rule, Day from, Day to,
                                  const std::vector<Suspension>& suspensions, SuspensionRule how);

// "YYYYMMDD" or "YYYY/MM/DD" → a day; nullopt if it is not a real date.
std::optional<Day> parse_day(std::string_view text);

}  // namespace garbage
