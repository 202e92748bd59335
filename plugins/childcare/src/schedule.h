// The vaccination schedule of one child: for each vaccine of the rules, the series that applies
// (chosen by the age at the first dose, or today's age before any), and for each dose the allowed
// window (earliest and last day, from the ages and the minimum gaps after the doses actually
// given), the recommended window, and its state. Doses on record fill the series in date order; a
// dose that does not fit its slot is kept as history and flagged with the reason, and the slot
// stays open. Doses after an open slot are projected: their dates assume the open dose is given
// on the first recommended (or allowed) day from today. Thread-safety: pure functions.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rules.h"

namespace childcare {

struct DoseRecord {
  int64_t id = 0;
  std::string vaccine;
  std::string series;  // "" unless the parent chose one (rotavirus: monovalent or pentavalent)
  Days date;
};

enum class DoseState { kDone, kDue, kUpcoming, kMissed };
const char* state_name(DoseState s);  // "done", "due", "upcoming", "missed"

struct DosePlan {
  size_t number = 0;  // 1-based
  const DoseRule* rule = nullptr;
  DoseState state = DoseState::kUpcoming;
  std::optional<DoseRecord> given;
  Days earliest, last;  // allowed window; last < earliest: the dose can no longer be given
  std::optional<std::pair<Days, Days>> recommended;  // inclusive; nullopt when it misses the allowed window
  bool projected = false;  // depends on a dose not yet given
};

struct FlaggedDose {
  DoseRecord record;
  size_t slot = 0;   // the dose it was checked against (0: beyond the series)
  std::string code;  // too_young, too_soon, too_late, series_closed, beyond_series
  std::string reason_ja, reason_en;
};

struct VaccinePlan {
  const Vaccine* vaccine = nullptr;
  const Series* series = nullptr;  // the series that applies (past every start age: the last one started)
  std::vector<const Series*> alternatives;  // other series open for a first dose now
  std::vector<DosePlan> doses;
  std::vector<FlaggedDose> flagged;
  std::string state;  // complete, in_progress, not_started, closed
};

VaccinePlan plan_vaccine(const Vaccine& vaccine, Days birth, std::vector<DoseRecord> records, Days today);
// Every vaccine of the rules (those marked only_if_recorded only with a dose on record).
std::vector<VaccinePlan> plan_child(const Rules& rules, Days birth, const std::vector<DoseRecord>& records, Days today);

// The day a reminder is about: the recommended window's first day when it starts inside the
// allowed window, else the earliest allowed day.
Days window_opens(const DosePlan& dose);

boost::json::object plan_json(const VaccinePlan& plan, std::string_view locale);

}  // namespace childcare
