#include "schedule.h"

#include <algorithm>
#include <charconv>

#include <machi/sdk/text.h>

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

// One token's dates within one month, with the suspension rule applied the way the 5374 app
// does: walk the token's weekday from its first occurrence in the month; under skip an occurrence
// inside a suspension is dropped; under week shift, from the first occurrence inside one on,
// that and every later occurrence move 7 days later. The week number (水2) and the every-other
// rule pick by the original position; a date moved past the month's end is dropped.
std::vector<Day> token_month(const Token& t, date::year_month ym,
                             const std::vector<Suspension>& suspensions, SuspensionRule how) {
  std::vector<Day> out;
  const Day first = Day(ym.year() / ym.month() / date::weekday{t.weekday}[1]);
  const Day month_end = Day(ym / date::last);
  bool shifting = false;
  for (unsigned week = 0; week < 5; ++week) {
    const Day original = first + date::days(7 * week);
    if (original > month_end) break;
    if (in_suspension(original, suspensions)) {
      if (how == SuspensionRule::kSkip) continue;
      shifting = true;
    }
    const Day day = shifting ? original + date::days(7) : original;
    if (day > month_end) continue;
    if (t.kind == Token::Kind::kNth && week + 1 != t.nth) continue;
    if (t.kind == Token::Kind::kBiweekly &&
        (original < t.start || ((original - t.start).count() / 7) % 2 != 0)) {
      continue;
    }
    out.push_back(day);
  }
  return out;
}

bool month_number(std::string_view s, unsigned& month) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), month);
  return ec == std::errc() && end == s.data() + s.size();
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

bool parse_cell(std::string_view raw_cell, CellRule& out, std::string& error) {
  out = {};
  const std::string normal = machi::sdk::nfkc(raw_cell);
  std::vector<Token> tokens;
  size_t segment = 0;        // the first token the next month filter applies to
  bool in_months = false;    // reading the numbers after ':'
  std::vector<unsigned> filter;
  auto close_filter = [&]() -> bool {
    if (!in_months) return true;
    in_months = false;
    if (filter.empty()) {
      error = "month filter: no months after ':'";
      return false;
    }
    for (size_t i = segment; i < tokens.size(); ++i) {
      if (tokens[i].kind != Token::Kind::kBiweekly) tokens[i].months = filter;  // every-other: unfiltered
    }
    segment = tokens.size();
    return true;
  };
  auto read_token = [&](std::string_view t, std::string_view raw) -> bool {
    if (t.starts_with("*")) {
      int id = 0;
      auto [end, ec] = std::from_chars(t.data() + 1, t.data() + t.size(), id);
      if (ec != std::errc() || end != t.data() + t.size() || t.size() == 1) {
        error = "'" + std::string(raw) + "': a remark is * and a number";
        return false;
      }
      out.remarks.push_back(id);
      return true;
    }
    if (all_digits(t)) {
      auto day = parse_day(t);
      if (!day) {
        error = "'" + std::string(raw) + "' is not a date (YYYYMMDD)";
        return false;
      }
      out.dates.push_back(*day);
      return true;
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
      tokens.push_back({Token::Kind::kBiweekly, *wd, 0, *start, {}});
      return true;
    }
    auto wd = weekday_at(t);
    if (!wd) {
      error = "'" + std::string(raw) + "' is not a weekday (日月火水木金土), a date, 隔… or *N";
      return false;
    }
    if (t.empty()) {
      tokens.push_back({Token::Kind::kEvery, *wd, 0, {}, {}});
    } else if (t.size() == 1 && t[0] >= '1' && t[0] <= '5') {
      tokens.push_back({Token::Kind::kNth, *wd, static_cast<unsigned>(t[0] - '0'), {}, {}});
    } else {
      error = "'" + std::string(raw) + "': after the weekday only a week number 1–5 may follow";
      return false;
    }
    return true;
  };
  auto read_month = [&](std::string_view m) -> bool {
    unsigned month = 0;
    if (!month_number(m, month) || month < 1 || month > 12) {
      error = "month filter: '" + std::string(m) + "' is not a month 1–12";
      return false;
    }
    filter.push_back(month);
    return true;
  };
  for (std::string_view raw : split_spaces(normal)) {
    std::string_view t = raw;
    // After ':', numbers of one or two digits are months; anything else starts a new token.
    if (in_months && all_digits(t) && t.size() <= 2) {
      if (!read_month(t)) return false;
      continue;
    }
    if (in_months && !close_filter()) return false;
    size_t colon = t.find(':');
    std::string_view head = colon == std::string_view::npos ? t : t.substr(0, colon);
    if (!head.empty() && !read_token(head, raw)) return false;
    if (colon == std::string_view::npos) continue;
    if (tokens.size() == segment) {
      error = "'" + std::string(raw) + "': a month filter needs a weekday before ':'";
      return false;
    }
    filter.clear();
    in_months = true;
    std::string_view rest = t.substr(colon + 1);
    if (rest.find(':') != std::string_view::npos) {
      error = "'" + std::string(raw) + "': two ':' in one token";
      return false;
    }
    if (!rest.empty() && !read_month(rest)) return false;
  }
  if (!close_filter()) return false;
  if (out.dates.empty()) out.tokens = std::move(tokens);  // a date list ignores weekday tokens
  std::sort(out.dates.begin(), out.dates.end());
  return true;
}

std::vector<Day> collection_dates(const CellRule& rule, Day from, Day to,
                                  const std::vector<Suspension>& suspensions, SuspensionRule how) {
  std::vector<Day> out;
  if (!rule.problem.empty()) return out;
  if (!rule.dates.empty()) {
    for (Day d : rule.dates) {
      if (d >= from && d <= to) out.push_back(d);
    }
    return out;
  }
  auto first = date::year_month_day(from);
  auto last = date::year_month_day(to);
  for (auto ym = first.year() / first.month(); ym <= last.year() / last.month(); ym += date::months(1)) {
    const unsigned month = static_cast<unsigned>(ym.month());
    for (const Token& t : rule.tokens) {
      if (!t.months.empty() && std::find(t.months.begin(), t.months.end(), month) == t.months.end()) continue;
      for (Day d : token_month(t, ym, suspensions, how)) {
        if (d >= from && d <= to) out.push_back(d);
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace garbage
