// A municipality's garbage data set: the 5374 open-data files (area_days, center, description,
// remarks, target, optionally area_master) and the Cabinet Office's public holidays
// (syukujitsu.csv), parsed and checked. Like the 5374 app, the import accepts what published
// data really holds and warns about it (file:line:column): categories description.csv lacks,
// empty optional files, odd centre rows, repeated area names, full-width text. A cell that
// still cannot be read costs only that area's category — it gets no dates and a `problem`
// (never a guess). A data set is refused only when nothing usable remains: area_days.csv
// missing, undecodable or malformed, or without one area row. README.md lists every rule.
// Thread-safety: a DataSet is an immutable value once imported.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schedule.h"

namespace garbage {

struct ImportError {
  std::string file;
  size_t line = 0;    // 1-based; 0: the file as a whole
  size_t column = 0;  // 1-based; 0: the whole row
  std::string message;
};
// "area_days.csv:12:4: …" (line/column left out when 0).
std::string to_string(const ImportError& e);

// Where the columns of area_days.csv are (0-based). Saga City: group 0, area 1, centre 2,
// categories from 3; the 5374 original: area 0, centre 1, categories from 2.
struct Layout {
  int group = -1;       // district-group key column; -1: none
  int group_name = -1;  // column naming the group; -1: area_master.csv, else the key itself
  int area = 0;
  int center = 1;       // -1: no centre column
  int first_category = 2;
};

struct Category {
  std::string label, sublabel, description, styles, bgcolor;
  bool described = true;  // false: named in area_days.csv or target.csv but not description.csv
};

struct Area {
  // "group:name", or "name" without a group column: stable across uploads. The n-th repeat of
  // the same (group, name) gets "#n" (n ≥ 2): "浅野川#2".
  std::string id;
  std::string group, group_name, name, center;
  std::vector<CellRule> rules;  // one per DataSet::categories entry
  std::vector<int> remarks;     // *N of every cell, in order, without repeats
};

struct Item {  // one sorting-guide (分別辞典) entry from target.csv
  std::string category, name, notice, reading;
};

struct DataSet {
  std::vector<Category> categories;  // the categories of area_days.csv, in column order
  std::vector<Category> described;   // every row of description.csv, then undescribed ones of target.csv
  std::vector<Area> areas;
  std::map<int, std::string> remarks;
  std::map<std::string, std::vector<Suspension>> centers;
  std::vector<Item> items;
  std::map<Day, std::string> holidays;  // empty without syukujitsu.csv
  std::vector<ImportError> warnings;    // what was accepted with a tolerance, in file order
  size_t warnings_left_out = 0;         // past kMaxWarnings
  size_t unreadable_cells = 0;          // cells with a `problem`

  const Area* find_area(std::string_view id) const;
  int category_index(std::string_view label) const;  // -1 when unknown
};

// File name → raw bytes (UTF-8, or CP932 for syukujitsu.csv and any file that is not UTF-8).
using Files = std::map<std::string, std::string>;

inline constexpr const char* kAreaDays = "area_days.csv";
inline constexpr const char* kCenter = "center.csv";
inline constexpr const char* kDescription = "description.csv";
inline constexpr const char* kRemarks = "remarks.csv";
inline constexpr const char* kTarget = "target.csv";
inline constexpr const char* kAreaMaster = "area_master.csv";
inline constexpr const char* kHolidays = "syukujitsu.csv";
// Every file name an import reads; others are ignored with a warning.
bool known_file(std::string_view name);
inline constexpr size_t kMaxWarnings = 200;

// Parses and checks everything. Returns the data set (with its warnings) or, when nothing
// usable remains, nullopt with the errors that say why.
std::optional<DataSet> import_dataset(const Files& files, const Layout& layout,
                                      std::vector<ImportError>& errors);

// The Cabinet Office's syukujitsu.csv ("国民の祝日・休日月日,国民の祝日・休日名称"; dates like
// 2024/2/11), Shift_JIS or UTF-8. Rows that are not a date are left out with a warning.
std::map<Day, std::string> import_holidays(std::string_view bytes, std::vector<ImportError>& warnings);

}  // namespace garbage
