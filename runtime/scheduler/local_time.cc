#include "runtime/scheduler/local_time.h"

#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <sstream>
#include <string>

namespace machi {

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<int64_t> local_to_unix_ms(std::string_view zone_name, std::string_view text) {
  if (text.size() != 16 && text.size() != 19) {
    return Status::error("expected YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS, got '" +
                         std::string(text.substr(0, 32)) + "'");
  }
  date::local_seconds local;
  std::istringstream in{std::string(text)};
  in >> date::parse(text.size() == 16 ? "%Y-%m-%dT%H:%M" : "%Y-%m-%dT%H:%M:%S", local);
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) {
    return Status::error("not a valid local date and time: '" + std::string(text) + "'");
  }
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(std::string(zone_name));
  } catch (const std::exception&) {
    return Status::error("unknown time zone '" + std::string(zone_name) + "'");
  }
  date::local_info info = zone->get_info(local);
  date::sys_seconds instant;
  if (info.result == date::local_info::nonexistent) {
    instant = info.second.begin;  // the moment the clocks jumped over this time
  } else {
    instant = zone->to_sys(local, date::choose::earliest);
  }
  return static_cast<int64_t>(instant.time_since_epoch().count()) * 1000;
}

std::string local_date(std::string_view zone_name, int64_t unix_ms) {
  auto now = date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(unix_ms));
  date::local_days day;
  try {
    day = date::floor<date::days>(date::locate_zone(std::string(zone_name))->to_local(now));
  } catch (const std::exception&) {
    day = date::local_days(date::floor<date::days>(now).time_since_epoch());
  }
  return date::format("%F", day);
}

std::optional<int64_t> end_of_local_window(std::string_view zone_name, int64_t unix_ms,
                                           int start_minute, int end_minute) {
  if (start_minute == end_minute) return std::nullopt;  // an empty window
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(std::string(zone_name));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  auto now = date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(unix_ms));
  auto local = zone->to_local(now);
  auto day = date::floor<date::days>(local);
  int minute = static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
  bool inside = start_minute < end_minute ? (minute >= start_minute && minute < end_minute)
                                          : (minute >= start_minute || minute < end_minute);
  if (!inside) return std::nullopt;
  // The end is today if it is still ahead, otherwise tomorrow (a window wrapping midnight).
  auto end_day = minute < end_minute ? day : day + date::days(1);
  auto end_local = date::local_seconds(end_day) + std::chrono::minutes(end_minute);
  date::local_info info = zone->get_info(end_local);
  date::sys_seconds end = info.result == date::local_info::nonexistent
                              ? info.second.begin
                              : zone->to_sys(end_local, date::choose::earliest);
  return static_cast<int64_t>(end.time_since_epoch().count()) * 1000;
}

}  // namespace machi
