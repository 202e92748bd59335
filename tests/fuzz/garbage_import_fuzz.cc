// Fuzzes the 5374 garbage-calendar import (plugins/garbage_calendar: import_dataset and
// import_holidays, the code every data_dir read and upload runs). Input: one byte choosing the
// area_days layout (bit 0: Saga City's grouped layout, else the 5374 original), then the files
// separated by NUL bytes in this order: area_days, center, description, remarks, target,
// area_master, syukujitsu. A missing part is a missing file.
// Oracles (the lenient importer): a refused import names at least one problem with its file; an
// accepted one has no errors, one rule per category for every area, finds every area by its id,
// and for every area and category either a readable rule (which gives dates without crashing)
// or a problem that a warning counts; every warning names a file and says something.
#include "dataset.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using machi::fuzz::fail;
  if (size < 1) return 0;
  garbage::Layout layout;
  if (data[0] & 1) layout = garbage::Layout{0, -1, 1, 2, 3};
  auto parts = machi::fuzz::split_parts(data + 1, size - 1, 7);
  const char* names[] = {garbage::kAreaDays, garbage::kCenter, garbage::kDescription, garbage::kRemarks,
                         garbage::kTarget, garbage::kAreaMaster, garbage::kHolidays};
  garbage::Files files;
  for (size_t i = 0; i < parts.size(); ++i) files[names[i]] = std::string(parts[i]);
  std::vector<garbage::ImportError> errors;
  auto set = garbage::import_dataset(files, layout, errors);
  if (!set) {
    if (errors.empty()) fail("garbage_import", "refused without a problem", "");
    for (const auto& e : errors) {
      if (e.file.empty() || e.message.empty()) fail("garbage_import", "problem without file or message", garbage::to_string(e));
    }
    return 0;
  }
  if (!errors.empty()) fail("garbage_import", "accepted with problems", garbage::to_string(errors.front()));
  for (const auto& w : set->warnings) {
    if (w.file.empty() || w.message.empty()) fail("garbage_import", "warning without file or message", garbage::to_string(w));
  }
  size_t unreadable = 0;
  const garbage::Day from{date::year{2024} / 1 / 1}, to{date::year{2024} / 12 / 31};
  for (const auto& area : set->areas) {
    if (area.rules.size() != set->categories.size()) fail("garbage_import", "rules per category", area.id);
    if (set->find_area(area.id) != &area) fail("garbage_import", "area not found by its id", area.id);
    for (const auto& rule : area.rules) {
      auto dates = garbage::collection_dates(rule, from, to, {}, garbage::SuspensionRule::kWeekShift);
      if (!rule.problem.empty()) {
        ++unreadable;
        if (!dates.empty()) fail("garbage_import", "an unreadable cell gave dates", area.id);
      }
    }
  }
  if (unreadable != set->unreadable_cells) fail("garbage_import", "unreadable cells miscounted", "");
  if (unreadable > 0 && set->warnings.empty()) fail("garbage_import", "an unreadable cell without a warning", "");
  return 0;
}
