#include "ical.h"

#include <chrono>

namespace garbage {

std::string ical_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == ';' || c == ',') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c != '\r') {
      out += c;
    }
  }
  return out;
}

std::string ical_line(std::string_view line) {
  std::string out;
  size_t limit = 75;  // the first line; continuation lines start with a space, so 74 more
  while (line.size() > limit) {
    size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
    out.append(line.substr(0, cut));
    out += "\r\n ";
    line.remove_prefix(cut);
    limit = 74;
  }
  out.append(line);
  out += "\r\n";
  return out;
}

std::string ical_feed(const DataSet& data, const Area& area, const std::vector<Collection>& items,
                      const CalendarMeta& meta) {
  auto stamp = date::floor<std::chrono::seconds>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(meta.stamp_unix_ms)));
  std::string dtstamp = date::format("%Y%m%dT%H%M%SZ", stamp);
  std::string out;
  out += ical_line("BEGIN:VCALENDAR");
  out += ical_line("VERSION:2.0");
  out += ical_line("PRODID:-//Machi//garbage_calendar//JA");
  out += ical_line("CALSCALE:GREGORIAN");
  out += ical_line("METHOD:PUBLISH");
  out += ical_line("X-WR-CALNAME:" + ical_text(meta.name));
  if (!meta.timezone.empty()) out += ical_line("X-WR-TIMEZONE:" + meta.timezone);
  for (const Collection& c : items) {
    const Category& category = data.categories[c.category];
    std::string day = date::format("%Y%m%d", c.day);
    out += ical_line("BEGIN:VEVENT");
    out += ical_line("UID:" + day + "-" + std::to_string(c.category) + "-" + ical_text(area.id) + "@" + meta.uid_domain);
    out += ical_line("DTSTAMP:" + dtstamp);
    out += ical_line("DTSTART;VALUE=DATE:" + day);
    out += ical_line("DTEND;VALUE=DATE:" + date::format("%Y%m%d", c.day + date::days(1)));
    out += ical_line("SUMMARY:" + ical_text(category.label));
    if (!category.sublabel.empty()) out += ical_line("DESCRIPTION:" + ical_text(category.sublabel));
    out += ical_line("TRANSP:TRANSPARENT");
    out += ical_line("END:VEVENT");
  }
  out += ical_line("END:VCALENDAR");
  return out;
}

}  // namespace garbage
