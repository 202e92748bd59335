// The garbage calendar's config (the manifest's "config" object for this mount), checked with
// JSON-pointer problems. docs: plugins/garbage_calendar/README.md.
#pragma once

#include <machi/sdk/json.h>

#include <string>
#include <vector>

#include "calendar.h"

namespace garbage {

struct Settings {
  Layout layout;
  Rules rules;  // without staff changes (those live in the database)
  std::string evening = "19:00";  // reminder the evening before (local time)
  std::string morning = "06:30";  // reminder on the morning of collection
  std::vector<std::string> staff_roles{"operator"};
  std::string calendar_name = "ごみ収集日";
};

Settings read_settings(const boost::json::value& config, std::vector<machi::sdk::ConfigProblem>& problems);

}  // namespace garbage
