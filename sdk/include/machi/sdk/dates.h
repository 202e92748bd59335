// Calendar dates as plugins exchange them ("YYYY-MM-DD", the municipality's local dates), over
// C++20 <chrono>: parsing that rejects impossible dates, formatting, and day arithmetic.
#pragma once

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace machi::sdk {

using Days = std::chrono::sys_days;

// "2026-02-29" → nullopt; only the exact form YYYY-MM-DD is accepted.
inline std::optional<Days> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  size_t starts[3] = {0, 5, 8}, lengths[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i) {
    for (size_t k = 0; k < lengths[i]; ++k) {
      char c = text[starts[i] + k];
      if (c < '0' || c > '9') return std::nullopt;
      parts[i] = parts[i] * 10 + (c - '0');
    }
  }
  std::chrono::year_month_day ymd{std::chrono::year{parts[0]}, std::chrono::month{static_cast<unsigned>(parts[1])},
                                  std::chrono::day{static_cast<unsigned>(parts[2])}};
  if (!ymd.ok()) return std::nullopt;
  return Days(ymd);
}

inline std::string format_date(Days d) {
  std::chrono::year_month_day ymd(d);
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return out;
}

// "HH:MM" on a 24-hour clock ("09:00", "23:59"; not "24:00", "9:00" or "09:60").
inline bool is_time_of_day(std::string_view t) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return t.size() == 5 && t[2] == ':' && digit(t[0]) && digit(t[1]) && digit(t[3]) && digit(t[4]) &&
         (t[0] - '0') * 10 + (t[1] - '0') < 24 && (t[3] - '0') * 10 + (t[4] - '0') < 60;
}

// `date` (YYYY-MM-DD, valid) plus `n` days.
inline std::string add_days(std::string_view date, int n) {
  auto d = parse_date(date);
  return d ? format_date(*d + std::chrono::days(n)) : std::string();
}

// 0 = Sunday … 6 = Saturday.
inline unsigned weekday_of(std::string_view date) {
  auto d = parse_date(date);
  return d ? std::chrono::weekday(*d).c_encoding() : 0;
}

// A date as residents read it: "11月27日(金)" in Japanese, "Fri 27 Nov" in English.
inline std::string day_label(std::string_view date, bool english) {
  static const char* const kJa[] = {"日", "月", "火", "水", "木", "金", "土"};
  static const char* const kEn[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto d = parse_date(date);
  if (!d) return std::string(date);
  std::chrono::year_month_day ymd(*d);
  unsigned month = static_cast<unsigned>(ymd.month()), day = static_cast<unsigned>(ymd.day());
  unsigned wd = std::chrono::weekday(*d).c_encoding();
  if (english) return std::string(kEn[wd]) + " " + std::to_string(day) + " " + kMonths[month - 1];
  return std::to_string(month) + "月" + std::to_string(day) + "日(" + kJa[wd] + ")";
}

}  // namespace machi::sdk
