#include "settings.h"

#include <machi/sdk/dates.h>

namespace garbage {
namespace {

using machi::sdk::ConfigReader;

}  // namespace

Settings read_settings(const boost::json::value& config, std::vector<machi::sdk::ConfigProblem>& problems) {
  Settings s;
  ConfigReader r(config, problems);
  if (auto layout = r.object("layout")) {
    s.layout.group = static_cast<int>(layout->integer("group", -1, -1, 63));
    s.layout.group_name = static_cast<int>(layout->integer("group_name", -1, -1, 63));
    s.layout.area = static_cast<int>(layout->integer("area", 0, 0, 63));
    s.layout.center = static_cast<int>(layout->integer("center", 1, -1, 63));
    s.layout.first_category = static_cast<int>(layout->integer("first_category", 2, 0, 63));
    if (s.layout.first_category <= s.layout.area) {
      layout->problem("first_category", "must come after the area column");
    }
  }
  std::string suspension = r.string("suspension", "skip");
  if (suspension == "skip") s.rules.suspension = SuspensionRule::kSkip;
  else if (suspension == "week_shift") s.rules.suspension = SuspensionRule::kWeekShift;
  else r.problem("suspension", "must be \"skip\" or \"week_shift\"");

  if (auto holidays = r.object("holidays")) {
    std::string fallback = holidays->string("default", "collect");
    if (auto rule = parse_holiday_rule(fallback)) s.rules.holiday_default = *rule;
    else holidays->problem("default", "must be \"collect\", \"skip\" or \"move\"");
    if (auto categories = holidays->object("categories")) {
      if (const auto* object = config.as_object().at("holidays").as_object().if_contains("categories");
          object && object->is_object()) {
        for (const auto& [label, value] : object->as_object()) {
          auto rule = value.is_string() ? parse_holiday_rule(value.as_string()) : std::nullopt;
          if (!rule) categories->problem(label, "must be \"collect\", \"skip\" or \"move\"");
          else s.rules.holiday_by_category[std::string(label)] = *rule;
        }
      } else {
        holidays->problem("categories", "must be an object: category label → rule");
      }
    }
  }
  if (const auto* closures = r.array("closures")) {
    for (size_t i = 0; i < closures->size(); ++i) {
      std::string at = r.child("closures") + "/" + std::to_string(i);
      const auto& item = (*closures)[i];
      const auto* from = item.is_object() ? item.as_object().if_contains("from") : nullptr;
      const auto* to = item.is_object() ? item.as_object().if_contains("to") : nullptr;
      Closure c;
      if (!from || !to || !from->is_string() || !to->is_string() ||
          !parse_month_day(from->as_string(), c.from_month, c.from_day) ||
          !parse_month_day(to->as_string(), c.to_month, c.to_day)) {
        problems.push_back({at, "must be {\"from\": \"MM/DD\", \"to\": \"MM/DD\"} (yearly, inclusive)"});
        continue;
      }
      s.rules.closures.push_back(c);
    }
  }
  if (auto reminders = r.object("reminders")) {
    s.evening = reminders->string("evening", s.evening);
    s.morning = reminders->string("morning", s.morning);
    if (!machi::sdk::is_time_of_day(s.evening)) reminders->problem("evening", "must be HH:MM (24 h, local time)");
    if (!machi::sdk::is_time_of_day(s.morning)) reminders->problem("morning", "must be HH:MM (24 h, local time)");
  }
  if (r.array("staff_roles")) s.staff_roles = r.strings("staff_roles", false, 1);
  s.calendar_name = r.string("calendar_name", s.calendar_name);
  return s;
}

}  // namespace garbage
