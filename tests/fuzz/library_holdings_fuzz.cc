// Fuzzes the library's holdings import (plugins/library parse_holdings: UTF-8 or CP932 CSV).
// Oracles: a refused file names its problems as "holdings.csv:line…"; an accepted one has rows
// only for the configured branches, each with a title and an empty ISBN or one that normalises to itself.
#include "holdings.h"
#include "isbn.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using machi::fuzz::fail;
  static const std::vector<library::Branch> branches = {
      {"central", "中央図書館", true}, {"higashiyoka", "東与賀分館", true}, {"mobile", "移動図書館", false}};
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto file = library::parse_holdings(bytes, "holdings.csv", branches);
  if (!file.problems.empty()) {
    if (file.problems.size() > library::kMaxProblems + 1) fail("library_holdings", "problem count unbounded", "");
    for (const auto& p : file.problems) {
      if (!p.starts_with("holdings.csv")) fail("library_holdings", "problem without the file", p);
    }
    return 0;
  }
  for (const auto& row : file.rows) {
    bool known = false;
    for (const auto& b : branches) known = known || b.id == row.branch;
    if (!known) fail("library_holdings", "row for an unknown branch", row.branch);
    if (row.title.empty()) fail("library_holdings", "row without a title", row.copy_id);
    if (!row.isbn13.empty()) {  // normalised once: normalising again changes nothing
      std::string error;
      auto again = library::to_isbn13(row.isbn13, error);
      if (!again || *again != row.isbn13) fail("library_holdings", "ISBN not stable", row.isbn13);
    }
  }
  return 0;
}
