#include "calendar.h"

#include <algorithm>
#include <charconv>

namespace garbage {
namespace {

bool closed(const Rules& rules, Day d) {
  return std::any_of(rules.closures.begin(), rules.closures.end(),
                     [&](const Closure& c) { return c.contains(d); });
}

HolidayRule holiday_rule(const Rules& rules, const std::string& label) {
  auto it = rules.holiday_by_category.find(label);
  return it == rules.holiday_by_category.end() ? rules.holiday_default : it->second;
}

bool change_applies(const Change& c, const Area& area, const std::string& label) {
  return (c.area_id.empty() || c.area_id == area.id) && (c.category.empty() || c.category == label);
}

}  // namespace

std::optional<HolidayRule> parse_holiday_rule(std::string_view text) {
  if (text == "collect") return HolidayRule::kCollect;
  if (text == "skip") return HolidayRule::kSkip;
  if (text == "move") return HolidayRule::kMove;
  return std::nullopt;
}

bool Closure::contains(Day d) const {
  date::year_month_day ymd(d);
  unsigned md = static_cast<unsigned>(ymd.month()) * 100 + static_cast<unsigned>(ymd.day());
  unsigned from = from_month * 100 + from_day, to = to_month * 100 + to_day;
  return from <= to ? (md >= from && md <= to) : (md >= from || md <= to);
}

bool parse_month_day(std::string_view text, unsigned& month, unsigned& day) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  auto number = [](std::string_view s, unsigned& v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
  };
  if (!number(text.substr(0, slash), month) || !number(text.substr(slash + 1), day)) return false;
  // 2000 is a leap year, so 2/29 is a valid yearly month-day.
  return date::year_month_day(date::year{2000}, date::month{month}, date::day{day}).ok();
}

std::string iso(Day d) { return date::format("%F", d); }

std::optional<Day> parse_iso(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  std::string compact = std::string(text.substr(0, 4)) + std::string(text.substr(5, 2)) + std::string(text.substr(8, 2));
  return parse_day(compact);
}

std::vector<Day> category_dates(const DataSet& data, const Rules& rules, const Area& area,
                                size_t category, Day from, Day to) {
  std::vector<Day> out;
  if (category >= area.rules.size() || to < from) return out;
  const CellRule& rule = area.rules[category];
  const std::string& label = data.categories[category].label;
  static const std::vector<Suspension> kNone;
  auto centre = data.centers.find(area.center);
  const auto& suspensions = centre == data.centers.end() ? kNone : centre->second;
  // Start two weeks early: a holiday move can carry a date from before `from` into the range.
  for (Day d : collection_dates(rule, from - date::days(14), to, suspensions, rules.suspension)) {
    if (rule.dates.empty()) {
      if (closed(rules, d)) continue;
      if (data.holidays.contains(d)) {
        HolidayRule how = holiday_rule(rules, label);
        if (how == HolidayRule::kSkip) continue;
        if (how == HolidayRule::kMove) {
          do d += date::days(1);
          while (data.holidays.contains(d) || closed(rules, d));
        }
      }
    }
    if (d >= from && d <= to) out.push_back(d);
  }
  // In entry order, so a later change of the same day wins (add, then cancel: cancelled).
  for (const Change& c : rules.changes) {
    if (c.day < from || c.day > to || !change_applies(c, area, label)) continue;
    if (c.add) out.push_back(c.day);
    else out.erase(std::remove(out.begin(), out.end(), c.day), out.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<Collection> collections(const DataSet& data, const Rules& rules, const Area& area,
                                    Day from, Day to) {
  std::vector<Collection> out;
  for (size_t c = 0; c < data.categories.size(); ++c) {
    for (Day d : category_dates(data, rules, area, c, from, to)) out.push_back({d, c});
  }
  std::sort(out.begin(), out.end(), [](const Collection& a, const Collection& b) {
    return a.day != b.day ? a.day < b.day : a.category < b.category;
  });
  return out;
}

std::optional<Day> next_date(const DataSet& data, const Rules& rules, const Area& area,
                             size_t category, Day from) {
  // Widen the window step by step: most categories come within weeks.
  for (int span : {35, 100, 400}) {
    auto dates = category_dates(data, rules, area, category, from, from + date::days(span));
    if (!dates.empty()) return dates.front();
  }
  return std::nullopt;
}

}  // namespace garbage
