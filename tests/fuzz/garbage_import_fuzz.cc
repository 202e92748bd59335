// Fuzzes the 5374 garbage-calendar import (plugins/garbage_calendar: import_dataset and
// import_holidays, the code every data_dir read and upload runs). Input: one byte choosing the
// area_days layout (bit 0: Saga City's grouped layout, else the 5374 original), then the files
// separated by NUL bytes in this order: area_days, center, description, remarks, target,
// area_master, syukujitsu. A missing part is a missing file.
// Oracles: a refused import names at least one problem with its file; an accepted one has one
// rule per category for every area, finds every area by its id, and no problems.
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
  for (const auto& area : set->areas) {
    if (area.rules.size() != set->categories.size()) fail("garbage_import", "rules per category", area.id);
    if (set->find_area(area.id) == nullptr) fail("garbage_import", "area not found by its id", area.id);
  }
  return 0;
}
