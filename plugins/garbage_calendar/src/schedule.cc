#include "schedule.h"

#include <algorithm>
#include <charconv>

namespace garbage {
namespace {

constexpr std::string_view kWeekdays[] = {"日", "月", "火", "水", "木", "金", "土"};
constexpr std::string_view kEveryOther = "隔";

std::optional<unsigned> weekday_at(std::string_view& s) {
  for (unsigned i = 0; i < 7; ++i) {
    if (s.starts_with(kWeekdays[i])) {
      s.remove_prefix(kWeekdays[i].size());
      return i;
    }
  }
  return std::nullopt;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> split_spaces(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    // ASCII space or the full-width space U+3000 (E3 80 80) separate tokens.
    size_t skip = 0;
    if (s[0] == ' ' || s[0] == '\t') skip = 1;
    else if (s.starts_with("\xE3\x80\x80")) skip = 3;
    if (skip) {
      s.remove_prefix(skip);
      continue;
    }
    size_t end = 0;
    while (end < s.size() && s[end] != ' ' && s[end] != '\t' && !s.substr(end).starts_with("\xE3\x80\x80")) ++end;
    out.push_back(s.substr(0, end));
    s.remove_prefix(end);
  }
  return out;
}

bool in_suspension(Day d, const std::vector<Suspension>& suspensions) {
  return std::any_of(suspensions.begin(), suspensions.end(),
                     [&](const Suspension& s) { return d >= s.first && d <= s.last; });
}

// One token's dates within one month (before suspensions).
std::vector<Day> token_month(const Token& t, date::year_month ym) {
  std::vector<Day> out;
  date::weekday wd{t.weekday};
  if (t.kind == Token::Kind::kNth) {
    date::year_month_weekday ymw{ym.year(), ym.month(), wd[t.nth]};
    if (ymw.ok()) out.push_back(Day(ymw));
    return out;
  }
  for (unsigned n = 1; n <= 5; ++n) {
    date::year_month_weekday ymw{ym.year(), ym.month(), wd[n]};
    if (ymw.ok()) out.push_back(Day(ymw));
  }
  if (t.kind == Token::Kind::kBiweekly) {
    out.erase(std::remove_if(out.begin(), out.end(), [&](Day d) {
                return d < t.start || ((d - t.start).count() / 7) % 2 != 0;
              }),
              out.end());
  }
  return out;
}

// Applies the suspension rule to one token's dates in one month.
std::vector<Day> suspend(std::vector<Day> days, date::year_month ym,
                         const std::vector<Suspension>& suspensions, SuspensionRule how) {
  if (suspensions.empty()) return days;
  std::vector<Day> out;
  if (how == SuspensionRule::kSkip) {
    for (Day d : days) {
      if (!in_suspension(d, suspensions)) out.push_back(d);
    }
    return out;
  }
  Day month_end = Day(ym / date::last);
  bool shifting = false;
  for (Day d : days) {
    if (!shifting && in_suspension(d, suspensions)) shifting = true;
    Day moved = shifting ? d + date::days(7) : d;
    if (moved <= month_end) out.push_back(moved);
  }
  return out;
}

}  // namespace

std::optional<Day> parse_day(std::string_view text) {
  int y = 0;
  unsigned m = 0, d = 0;
  auto number = [](std::string_view s, auto& v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size();
  };
  if (text.size() == 8 && all_digits(text)) {
    if (!number(text.substr(0, 4), y) || !number(text.substr(4, 2), m) || !number(text.substr(6, 2), d)) return std::nullopt;
  } else if (text.size() == 10 && text[4] == '/' && text[7] == '/') {
    if (!number(text.substr(0, 4), y) || !number(text.substr(5, 2), m) || !number(text.substr(8, 2), d)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  date::year_month_day ymd{date::year{y}, date::month{m}, date::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return Day(ymd);
}

bool parse_cell(std::string_view cell, CellRule& out, std::string& error) {
  out = {};
  std::string_view tokens_part = cell, months_part;
  if (auto colon = cell.find(':'); colon != std::string_view::npos) {
    tokens_part = cell.substr(0, colon);
    months_part = cell.substr(colon + 1);
    for (std::string_view m : split_spaces(months_part)) {
      unsigned month = 0;
      auto [end, ec] = std::from_chars(m.data(), m.data() + m.size(), month);
      if (ec != std::errc() || end != m.data() + m.size() || month < 1 || month > 12) {
        error = "month filter: '" + std::string(m) + "' is not a month 1–12";
        return false;
      }
      out.months.push_back(month);
    }
    if (out.months.empty()) {
      error = "month filter: no months after ':'";
      return false;
    }
  }
  std::vector<Token> tokens;
  for (std::string_view raw : split_spaces(tokens_part)) {
    std::string_view t = raw;
    if (t.starts_with("*")) {
      int id = 0;
      auto [end, ec] = std::from_chars(t.data() + 1, t.data() + t.size(), id);
      if (ec != std::errc() || end != t.data() + t.size() || t.size() == 1) {
        error = "'" + std::string(raw) + "': a remark is * and a number";
        return false;
      }
      out.remarks.push_back(id);
      continue;
    }
    if (all_digits(t)) {
      auto day = parse_day(t);
      if (!day) {
        error = "'" + std::string(raw) + "' is not a date (YYYYMMDD)";
        return false;
      }
      out.dates.push_back(*day);
      continue;
    }
    if (t.starts_with(kEveryOther)) {
      t.remove_prefix(kEveryOther.size());
      auto wd = weekday_at(t);
      auto start = parse_day(t);
      if (!wd || !start) {
        error = "'" + std::string(raw) + "': every-other needs a weekday and a start date (隔火20240402)";
        return false;
      }
      if (date::weekday(*start).c_encoding() != *wd) {
        error = "'" + std::string(raw) + "': the start date is not a " + std::string(kWeekdays[*wd]) + "曜日";
        return false;
      }
      tokens.push_back({Token::Kind::kBiweekly, *wd, 0, *start});
      continue;
    }
    auto wd = weekday_at(t);
    if (!wd) {
      error = "'" + std::string(raw) + "' is not a weekday (日月火水木金土), a date, 隔… or *N";
      return false;
    }
    if (t.empty()) {
      tokens.push_back({Token::Kind::kEvery, *wd, 0, {}});
    } else if (t.size() == 1 && t[0] >= '1' && t[0] <= '5') {
      tokens.push_back({Token::Kind::kNth, *wd, static_cast<unsigned>(t[0] - '0'), {}});
    } else {
      error = "'" + std::string(raw) + "': after the weekday only a week number 1–5 may follow";
      return false;
    }
  }
  if (out.dates.empty()) out.tokens = std::move(tokens);  // a date list ignores weekday tokens
  std::sort(out.dates.begin(), out.dates.end());
  return true;
}

std::vector<Day> collection_dates(const CellRule& rule, Day from, Day to,
                                  const std::vector<Suspension>& suspensions, SuspensionRule how) {
  std::vector<Day> out;
  if (!rule.dates.empty()) {
    for (Day d : rule.dates) {
      if (d >= from && d <= to) out.push_back(d);
    }
    return out;
  }
  auto first = date::year_month_day(from);
  auto last = date::year_month_day(to);
  for (auto ym = first.year() / first.month(); ym <= last.year() / last.month(); ym += date::months(1)) {
    bool month_on = rule.months.empty() ||
                    std::find(rule.months.begin(), rule.months.end(), static_cast<unsigned>(ym.month())) != rule.months.end();
    for (const Token& t : rule.tokens) {
      if (!month_on && t.kind != Token::Kind::kBiweekly) continue;  // the filter skips every-other
      for (Day d : suspend(token_month(t, ym), ym, suspensions, how)) {
        if (d >= from && d <= to) out.push_back(d);
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace garbage
