// The municipality's rules on top of 5374: the centre suspensions (skip or week shift), a yearly
// year-end/new-year closure, a public-holiday rule per category (collect, skip, or move to the
// next day that is neither a holiday nor closed), and one-off changes staff enter (cancel or add
// a date, for one area or all, one category or all). Explicit date lists in area_days.csv are
// the city's own list: suspensions, closures and holiday rules do not apply to them; staff
// changes do.
// Thread-safety: plain values and free functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dataset.h"

namespace garbage {

enum class HolidayRule { kCollect, kSkip, kMove };
std::optional<HolidayRule> parse_holiday_rule(std::string_view text);

// Every year from one month-day to another, inclusive; may run over the new year (12/29–1/3).
struct Closure {
  unsigned from_month = 0, from_day = 0, to_month = 0, to_day = 0;
  bool contains(Day d) const;
};
// "12/29" → month and day; false if it is not a real month-day (2/29 allowed).
bool parse_month_day(std::string_view text, unsigned& month, unsigned& day);

struct Change {
  int64_t id = 0;
  Day day{};
  std::string area_id;   // empty: every area
  std::string category;  // empty: every category
  bool add = false;      // false: cancel
  std::string note;
};

struct Rules {
  SuspensionRule suspension = SuspensionRule::kSkip;
  std::vector<Closure> closures;
  HolidayRule holiday_default = HolidayRule::kCollect;
  std::map<std::string, HolidayRule> holiday_by_category;
  std::vector<Change> changes;
};

// One category's collection dates for one area in [from, to], ascending.
std::vector<Day> category_dates(const DataSet& data, const Rules& rules, const Area& area,
                                size_t category, Day from, Day to);

struct Collection {
  Day day{};
  size_t category = 0;
};
// Every category's collections in [from, to], by day, then category column order.
std::vector<Collection> collections(const DataSet& data, const Rules& rules, const Area& area,
                                    Day from, Day to);

// The first collection of a category on or after `from`, looking up to 400 days ahead.
std::optional<Day> next_date(const DataSet& data, const Rules& rules, const Area& area,
                             size_t category, Day from);

std::string iso(Day d);  // YYYY-MM-DD
std::optional<Day> parse_iso(std::string_view text);

}  // namespace garbage
