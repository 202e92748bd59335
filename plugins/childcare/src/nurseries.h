// The nursery list a municipality publishes (保育施設の空き状況): one row per facility with its
// district, address, coordinates and, per age class 0–5, the vacancies (a number) or an empty
// cell for a class it does not take. UTF-8 or CP932, English or Japanese header, columns in any
// order; the whole file is checked and every problem is "file:line:column: message".
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace childcare {

inline constexpr int kClasses = 6;  // age classes 0歳児 … 5歳児

struct Facility {
  std::string id, name, kind, district, address;
  double latitude = 0, longitude = 0;
  std::array<std::optional<int>, kClasses> vacancies;  // nullopt: the class is not taken here
  size_t line = 0;
};

struct NurseriesFile {
  std::vector<Facility> rows;
  std::vector<std::string> problems;  // empty: the file is good
};

NurseriesFile parse_nurseries(std::string_view bytes, std::string_view file);

}  // namespace childcare
