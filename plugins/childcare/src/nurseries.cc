#include "nurseries.h"

#include <machi/sdk/csv_table.h>
#include <machi/sdk/json.h>

#include <charconv>
#include <map>

namespace childcare {
namespace {

enum Column { kId, kName, kKind, kDistrict, kAddress, kLatitude, kLongitude, kClass0 };

std::vector<machi::sdk::CsvColumn> nursery_columns() {
  std::vector<machi::sdk::CsvColumn> c = {{"id", {"施設id", "施設番号"}, true},
                                          {"name", {"施設名", "名称"}, true},
                                          {"kind", {"種別", "施設種別"}},
                                          {"district", {"地区", "校区"}, true},
                                          {"address", {"所在地", "住所"}, true},
                                          {"latitude", {"緯度"}, true},
                                          {"longitude", {"経度"}, true}};
  static const char* kNames[kClasses] = {"class_0", "class_1", "class_2", "class_3", "class_4", "class_5"};
  static const char* kJa[kClasses] = {"0歳児", "1歳児", "2歳児", "3歳児", "4歳児", "5歳児"};
  static const char* kJaShort[kClasses] = {"0歳", "1歳", "2歳", "3歳", "4歳", "5歳"};
  for (int i = 0; i < kClasses; ++i) c.push_back({kNames[i], {kJa[i], kJaShort[i]}, true});
  return c;
}

std::optional<double> number(const std::string& text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

NurseriesFile parse_nurseries(std::string_view bytes, std::string_view file) {
  NurseriesFile out;
  machi::sdk::CsvTable table(bytes, std::string(file), nursery_columns());
  std::map<std::string, size_t> lines;  // facility id → line
  while (table.next()) {
    Facility f;
    f.line = table.line();
    f.id = table.cell(kId);
    if (!machi::sdk::is_config_id(f.id)) {
      table.problem(kId, "id '" + f.id + "' must be 1–32 of [a-z0-9_-]");
    } else if (auto seen = lines.find(f.id); seen != lines.end()) {
      table.problem(kId, "id '" + f.id + "' is also on line " + std::to_string(seen->second));
    } else {
      lines[f.id] = f.line;
    }
    f.name = table.cell(kName);
    if (f.name.empty()) table.problem(kName, "the name is empty");
    f.kind = table.cell(kKind);
    f.district = table.cell(kDistrict);
    if (f.district.empty()) table.problem(kDistrict, "the district is empty");
    f.address = table.cell(kAddress);
    if (f.address.empty()) table.problem(kAddress, "the address is empty");
    auto lat = number(table.cell(kLatitude)), lon = number(table.cell(kLongitude));
    if (!lat || *lat < -90 || *lat > 90) table.problem(kLatitude, "latitude '" + table.cell(kLatitude) + "' is not a number in -90…90");
    if (!lon || *lon < -180 || *lon > 180) table.problem(kLongitude, "longitude '" + table.cell(kLongitude) + "' is not a number in -180…180");
    f.latitude = lat.value_or(0);
    f.longitude = lon.value_or(0);
    bool any = false;
    for (int c = 0; c < kClasses; ++c) {
      std::string cell = table.cell(kClass0 + c);
      if (cell.empty() || cell == "-" || cell == "－" || cell == "対象外") continue;
      int v = -1;
      auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
      if (ec != std::errc() || end != cell.data() + cell.size() || v < 0 || v > 999) {
        table.problem(kClass0 + c, "vacancies '" + cell + "' must be a whole number 0–999, or empty (or -) when the class is not taken");
        continue;
      }
      f.vacancies[c] = v;
      any = true;
    }
    if (!any) table.problem(kClass0, "the facility takes no age class (every class column is empty)");
    out.rows.push_back(std::move(f));
  }
  out.problems = table.problems();
  if (out.rows.empty() && out.problems.empty()) out.problems.push_back(std::string(file) + ": no facilities (only a header row)");
  if (!out.problems.empty()) out.rows.clear();
  return out;
}

}  // namespace childcare
