// Ages and intervals as the childcare rules file writes them, and the calendar arithmetic behind
// them. Thread-safety: plain values and pure functions.
//
//   duration   "2m", "14w6d", "1y6m", "0d": years and months move the calendar date (the 31st
//              plus one month is the month's last day), weeks and days add days.
//   age point  a duration from birth ("2m": the day the child is two months old), or from school
//              entry: "school_entry", "school_entry-1y", "school_entry+5y". School entry is the
//              first 1 April on or after the 6th birthday (学校教育法: children born 2 April –
//              1 April of the next year start school together).
//   gap        the least (or most) time between two doses. In days or weeks it counts clear days
//              between them, as the law writes intervals (「27日以上の間隔」: the next dose from
//              the 28th day after); in months or years the same date that much later.
#pragma once

#include <machi/sdk/dates.h>

#include <optional>
#include <string>
#include <string_view>

namespace childcare {

using machi::sdk::Days;

struct Duration {
  int years = 0, months = 0, weeks = 0, days = 0;
  bool calendar() const { return years != 0 || months != 0; }
};

struct AgePoint {
  bool from_school_entry = false;
  int sign = 1;  // +1 or -1: the direction of `offset` from the anchor
  Duration offset;
};

// nullopt when the text is not of the forms above; `error` says why.
std::optional<Duration> parse_duration(std::string_view text, std::string& error);
std::optional<AgePoint> parse_age_point(std::string_view text, std::string& error);
// A gap mixes no calendar units (years, months) with weeks or days.
std::optional<Duration> parse_gap(std::string_view text, std::string& error);

Days add(Days date, const Duration& d, int sign = 1);
Days school_entry(Days birth);
Days at_age(Days birth, const AgePoint& point);
// The first day on which a dose `gap` after a dose given on `given` may be given.
Days after_gap(Days given, const Duration& gap);

// The school year (April–March, named by its starting year) a date falls in.
int school_year_of(Days date);
// Nursery age class: the child's age in whole years on 1 April of `school_year`; a child born
// during that school year is in class 0.
int age_class(Days birth, int school_year);
// Whole years and months of age on `on` (months 0–11).
std::pair<int, int> age_years_months(Days birth, Days on);

}  // namespace childcare
