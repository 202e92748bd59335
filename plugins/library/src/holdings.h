// The holdings file a library exports (one row per copy): ISBN, title, title reading, author,
// publisher, year, branch, copy id, status. UTF-8 or CP932, header row in English or Japanese
// (columns in any order). The whole file is checked; every problem is "file:line:column: …".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace library {

struct Branch {
  std::string id, name;
  bool pickup = true;  // residents may collect holds here
};

// A copy's shelf status as the file states it.
enum class Shelf { kAvailable, kReference, kMissing, kOnLoan };
const char* shelf_name(Shelf s);  // "available", "reference", "missing", "external_loan"

struct Holding {
  std::string isbn13, title, title_reading, author, publisher;
  int year = 0;  // 0: unknown
  std::string branch;  // branch id
  std::string copy_id;
  Shelf shelf = Shelf::kAvailable;
  size_t line = 0;
};

struct HoldingsFile {
  std::vector<Holding> rows;
  std::vector<std::string> problems;  // empty: the file is good
};

inline constexpr size_t kMaxProblems = 200;

// Parses and checks `bytes` (named `file` in problems) against the city's branches (a branch
// cell may hold a branch's id or its name).
HoldingsFile parse_holdings(std::string_view bytes, std::string_view file, const std::vector<Branch>& branches);

}  // namespace library
