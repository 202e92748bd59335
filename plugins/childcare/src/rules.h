// The municipality's vaccination rules (定期接種): a versioned JSON file the city maintains,
// parsed and checked as a whole (every problem with its JSON pointer). Format: the plugin's
// README, "Rules file". Thread-safety: immutable once parsed; share it by shared_ptr<const>.
#pragma once

#include <boost/json.hpp>
#include <machi/sdk/json.h>

#include <optional>
#include <string>
#include <vector>

#include "ages.h"

namespace childcare {

// Text in several locales (machi::sdk::LocalizedText): "ja" required and the fallback.
using Text = machi::sdk::LocalizedText;

struct AgeRange {
  AgePoint from, until;  // [from, until): the last day is the day before `until`
};

struct GapRule {
  size_t dose = 0;  // 1-based index of the earlier dose in the same series
  Duration min;
  std::optional<Duration> max;                              // hard limit
  std::optional<std::pair<Duration, Duration>> standard;    // the recommended gap window
};

struct DoseRule {
  Text label;
  AgeRange allowed;                    // routine (公費) ages
  std::optional<AgeRange> recommended; // standard (標準的な) ages
  std::vector<GapRule> after;
};

struct Series {
  std::string id;
  Text label;
  AgeRange start;  // the age at the first dose that selects this series
  std::vector<DoseRule> doses;
};

struct Vaccine {
  std::string id;
  Text name;
  std::optional<Text> note;
  bool only_if_recorded = false;  // shown only for children with a dose of it on record
  std::vector<Series> series;

  const Series* find_series(std::string_view id) const;
};

struct Rules {
  std::string version;
  Text title;
  std::vector<Vaccine> vaccines;
  boost::json::value source;  // the file as written (GET /vaccines shows it)

  const Vaccine* find(std::string_view id) const;
};

// The rules file's building blocks, shared with the information file: a localized text and an
// age range {"from", "until"}; problems go to the reader's list at the key's pointer.
std::optional<AgeRange> read_age_range(machi::sdk::ConfigReader& r, std::string_view key, bool required);

// Parses a rules file; nullopt with every problem ("/vaccines/2/series/0/doses/1/after/0/min:
// …") when anything is wrong.
std::optional<Rules> parse_rules(std::string_view text, std::vector<machi::sdk::ConfigProblem>& problems);

}  // namespace childcare
