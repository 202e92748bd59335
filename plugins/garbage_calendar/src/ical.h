// iCalendar (RFC 5545) for one area: one all-day VEVENT per collection (DTSTART/DTEND as DATE),
// UIDs stable across fetches and data uploads (date, category, area), DTSTAMP from the data
// set's import time, TEXT values escaped and lines folded at 75 octets on UTF-8 boundaries.
// Thread-safety: free functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "calendar.h"

namespace garbage {

struct CalendarMeta {
  std::string name;        // X-WR-CALNAME
  std::string uid_domain;  // right-hand side of every UID, e.g. "garbage.saga.machi"
  int64_t stamp_unix_ms = 0;
  std::string timezone;    // X-WR-TIMEZONE (all-day events carry no zone)
};

std::string ical_feed(const DataSet& data, const Area& area, const std::vector<Collection>& items,
                      const CalendarMeta& meta);

// RFC 5545 TEXT escaping (backslash, semicolon, comma, newline).
std::string ical_text(std::string_view text);
// Folds one content line (without CRLF) into CRLF-terminated lines of at most 75 octets.
std::string ical_line(std::string_view line);

}  // namespace garbage
