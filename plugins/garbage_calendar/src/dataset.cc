#include "dataset.h"

#include <machi/sdk/csv.h>

#include <algorithm>
#include <charconv>
#include <set>

namespace garbage {
namespace {

using machi::sdk::CsvError;
using machi::sdk::CsvReader;
using machi::sdk::TextEncoding;

// Collects errors up to a cap; past it, parsing stops early.
struct Errors {
  std::vector<ImportError>& list;
  size_t max;
  bool full() const { return list.size() >= max; }
  void add(std::string file, size_t line, size_t column, std::string message) {
    if (!full()) list.push_back({std::move(file), line, column, std::move(message)});
  }
};

std::string trim(std::string_view s) {
  auto space = [](std::string_view v) { return v.starts_with(" ") || v.starts_with("\t") || v.starts_with("\xE3\x80\x80"); };
  while (space(s)) s.remove_prefix(s[0] == ' ' || s[0] == '\t' ? 1 : 3);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.ends_with("\xE3\x80\x80"))) {
    s.remove_suffix(s.back() == ' ' || s.back() == '\t' ? 1 : 3);
  }
  return std::string(s);
}

// One CSV file's rows after the header, with their line numbers. Returns false (with an error)
// when the file is missing, undecodable or malformed.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> lines;
};

bool read_table(const Files& files, const std::string& name, bool required, Errors& errors,
                Table& out, bool same_width = true) {
  auto it = files.find(name);
  if (it == files.end()) {
    if (required) errors.add(name, 0, 0, "the file is missing");
    return false;
  }
  try {
    std::string text = machi::sdk::decode_text(it->second, TextEncoding::kAuto);
    CsvReader reader(text);
    std::vector<std::string> fields;
    if (!reader.next(fields)) {
      errors.add(name, 0, 0, "the file is empty (a header row is expected)");
      return false;
    }
    out.header = fields;
    for (auto& h : out.header) h = trim(h);
    bool ok = true;
    while (reader.next(fields)) {
      if (std::all_of(fields.begin(), fields.end(), [](const std::string& f) { return trim(f).empty(); })) {
        continue;  // a row of empty cells (",,,,") is a blank line
      }
      if (same_width && fields.size() != out.header.size()) {
        errors.add(name, reader.line(), 0,
                   "expected " + std::to_string(out.header.size()) + " columns as in the header, found " +
                       std::to_string(fields.size()));
        ok = false;
        if (errors.full()) return false;
        continue;
      }
      out.rows.push_back(fields);
      out.lines.push_back(reader.line());
    }
    return ok;
  } catch (const CsvError& e) {
    errors.add(name, e.line(), 0, e.what());
    return false;
  } catch (const std::exception& e) {
    errors.add(name, 0, 0, e.what());
    return false;
  }
}

// "2024/2/11", "2024/02/11" or "20240211".
std::optional<Day> parse_flexible_day(std::string_view text) {
  if (auto exact = parse_day(text)) return exact;
  int parts[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    size_t slash = text.find('/');
    std::string_view part = i < 2 ? text.substr(0, slash) : text;
    if ((i < 2 && slash == std::string_view::npos) || part.empty() || part.size() > 4) return std::nullopt;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), parts[i]);
    if (ec != std::errc() || end != part.data() + part.size()) return std::nullopt;
    if (i < 2) text.remove_prefix(slash + 1);
  }
  date::year_month_day ymd{date::year{parts[0]}, date::month{static_cast<unsigned>(parts[1])},
                           date::day{static_cast<unsigned>(parts[2])}};
  if (!ymd.ok()) return std::nullopt;
  return Day(ymd);
}

bool column_ok(int column, size_t width) { return column >= 0 && static_cast<size_t>(column) < width; }

}  // namespace

std::string to_string(const ImportError& e) {
  std::string out = e.file;
  if (e.line) out += ":" + std::to_string(e.line);
  if (e.line && e.column) out += ":" + std::to_string(e.column);
  return out + ": " + e.message;
}

const Area* DataSet::find_area(std::string_view id) const {
  for (const Area& a : areas) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

int DataSet::category_index(std::string_view label) const {
  for (size_t i = 0; i < categories.size(); ++i) {
    if (categories[i].label == label) return static_cast<int>(i);
  }
  return -1;
}

bool known_file(std::string_view name) {
  for (const char* f : {kAreaDays, kCenter, kDescription, kRemarks, kTarget, kAreaMaster, kHolidays}) {
    if (name == f) return true;
  }
  return false;
}

bool required_file(std::string_view name) {
  return name == kAreaDays || name == kDescription;
}

std::map<Day, std::string> import_holidays(std::string_view bytes, std::vector<ImportError>& list) {
  Errors errors{list, 50};
  Files files{{kHolidays, std::string(bytes)}};
  Table t;
  std::map<Day, std::string> out;
  if (!read_table(files, kHolidays, true, errors, t)) return out;
  if (t.header.size() < 2) {
    errors.add(kHolidays, 1, 0, "expected two columns: date and holiday name");
    return out;
  }
  for (size_t i = 0; i < t.rows.size(); ++i) {
    auto day = parse_flexible_day(trim(t.rows[i][0]));
    if (!day) {
      errors.add(kHolidays, t.lines[i], 1, "'" + t.rows[i][0] + "' is not a date (YYYY/M/D)");
      continue;
    }
    out[*day] = trim(t.rows[i][1]);
  }
  return out;
}

std::optional<DataSet> import_dataset(const Files& files, const Layout& layout,
                                      std::vector<ImportError>& list, size_t max_errors) {
  Errors errors{list, max_errors};
  size_t errors_before = list.size();
  for (const auto& [name, bytes] : files) {
    if (!known_file(name)) errors.add(name, 0, 0, "not a file of the 5374 format (or syukujitsu.csv)");
  }
  DataSet ds;

  // description.csv: label, sublabel, description, styles, bgcolor.
  Table description;
  if (read_table(files, kDescription, true, errors, description)) {
    if (description.header.empty() || description.header[0].empty()) {
      errors.add(kDescription, 1, 1, "the first column must be the category label");
    }
    for (size_t i = 0; i < description.rows.size(); ++i) {
      const auto& r = description.rows[i];
      Category c;
      c.label = trim(r[0]);
      if (c.label.empty()) errors.add(kDescription, description.lines[i], 1, "the label is empty");
      auto at = [&](size_t k) { return k < r.size() ? r[k] : std::string(); };
      c.sublabel = trim(at(1));
      c.description = at(2);
      c.styles = trim(at(3));
      c.bgcolor = trim(at(4));
      ds.described.push_back(std::move(c));
    }
  }
  auto described = [&](std::string_view label) -> const Category* {
    for (const auto& c : ds.described) {
      if (c.label == label) return &c;
    }
    return nullptr;
  };

  // remarks.csv: id, text.
  Table remarks;
  if (read_table(files, kRemarks, false, errors, remarks)) {
    for (size_t i = 0; i < remarks.rows.size(); ++i) {
      std::string id_text = trim(remarks.rows[i][0]);
      int id = 0;
      auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
      if (ec != std::errc() || end != id_text.data() + id_text.size()) {
        errors.add(kRemarks, remarks.lines[i], 1, "'" + id_text + "' is not a remark number");
        continue;
      }
      if (!ds.remarks.emplace(id, remarks.rows[i].size() > 1 ? remarks.rows[i][1] : "").second) {
        errors.add(kRemarks, remarks.lines[i], 1, "remark " + id_text + " appears twice");
      }
    }
  }

  // center.csv: name, suspension start, suspension end (inclusive).
  Table center;
  if (read_table(files, kCenter, false, errors, center)) {
    for (size_t i = 0; i < center.rows.size(); ++i) {
      const auto& r = center.rows[i];
      if (r.size() < 3) {
        errors.add(kCenter, center.lines[i], 0, "expected name, start and end");
        continue;
      }
      auto first = parse_flexible_day(trim(r[1]));
      auto last = parse_flexible_day(trim(r[2]));
      if (!first) errors.add(kCenter, center.lines[i], 2, "'" + r[1] + "' is not a date (YYYY/MM/DD)");
      if (!last) errors.add(kCenter, center.lines[i], 3, "'" + r[2] + "' is not a date (YYYY/MM/DD)");
      if (first && last && *last < *first) {
        errors.add(kCenter, center.lines[i], 3, "the suspension ends before it starts");
      }
      if (first && last) ds.centers[trim(r[0])].push_back({*first, *last});
    }
  }

  // area_master.csv: group key, group name.
  std::map<std::string, std::string> group_names;
  Table master;
  if (read_table(files, kAreaMaster, false, errors, master)) {
    for (size_t i = 0; i < master.rows.size(); ++i) {
      group_names[trim(master.rows[i][0])] = master.rows[i].size() > 1 ? trim(master.rows[i][1]) : "";
    }
  }

  // area_days.csv.
  Table days;
  if (read_table(files, kAreaDays, true, errors, days)) {
    size_t width = days.header.size();
    for (auto [column, what] : {std::pair{layout.area, "area"}, std::pair{layout.first_category, "first category"}}) {
      if (!column_ok(column, width)) {
        errors.add(kAreaDays, 1, 0, std::string("the config's ") + what + " column " + std::to_string(column) +
                                        " is outside the " + std::to_string(width) + " columns");
      }
    }
    for (auto [column, what] : {std::pair{layout.group, "group"}, std::pair{layout.group_name, "group name"},
                                std::pair{layout.center, "centre"}}) {
      if (column >= 0 && !column_ok(column, width)) {
        errors.add(kAreaDays, 1, 0, std::string("the config's ") + what + " column " + std::to_string(column) +
                                        " is outside the " + std::to_string(width) + " columns");
      }
    }
    if (column_ok(layout.area, width) && column_ok(layout.first_category, width)) {
      std::vector<size_t> category_columns;
      for (size_t c = static_cast<size_t>(std::max(layout.first_category, 0)); c < width; ++c) {
        if (days.header[c].empty()) continue;  // an empty header is not a category
        const Category* d = described(days.header[c]);
        if (!d) {
          errors.add(kAreaDays, 1, c + 1, "category '" + days.header[c] + "' is missing from description.csv");
          continue;
        }
        category_columns.push_back(c);
        ds.categories.push_back(*d);
      }
      if (category_columns.empty() && list.size() == errors_before) {
        errors.add(kAreaDays, 1, 0, "no category columns (headers after the first category column)");
      }
      std::set<std::string> ids;
      for (size_t i = 0; i < days.rows.size() && !errors.full(); ++i) {
        const auto& r = days.rows[i];
        size_t line = days.lines[i];
        Area a;
        a.name = trim(r[layout.area]);
        if (a.name.empty()) errors.add(kAreaDays, line, layout.area + 1, "the area name is empty");
        if (layout.group >= 0 && column_ok(layout.group, r.size())) a.group = trim(r[layout.group]);
        if (layout.group >= 0 && a.group.empty()) {
          errors.add(kAreaDays, line, layout.group + 1, "the group key is empty");
        }
        if (layout.group_name >= 0 && column_ok(layout.group_name, r.size())) {
          a.group_name = trim(r[layout.group_name]);
        } else if (!a.group.empty()) {
          auto g = group_names.find(a.group);
          if (g == group_names.end() && !group_names.empty()) {
            errors.add(kAreaDays, line, layout.group + 1, "group '" + a.group + "' is not in area_master.csv");
          }
          a.group_name = g == group_names.end() ? a.group : g->second;
        }
        if (layout.center >= 0 && column_ok(layout.center, r.size())) {
          a.center = trim(r[layout.center]);
          if (!a.center.empty() && !ds.centers.empty() && !ds.centers.contains(a.center)) {
            errors.add(kAreaDays, line, layout.center + 1, "centre '" + a.center + "' is not in center.csv");
          }
        }
        a.id = a.group.empty() ? a.name : a.group + ":" + a.name;
        if (!a.name.empty() && !ids.insert(a.id).second) {
          errors.add(kAreaDays, line, layout.area + 1,
                     "area '" + a.name + "' appears twice" + (a.group.empty() ? "" : " in group " + a.group));
        }
        for (size_t c : category_columns) {
          CellRule rule;
          std::string why;
          if (!parse_cell(r[c], rule, why)) {
            errors.add(kAreaDays, line, c + 1, why);
          }
          for (int remark : rule.remarks) {
            if (!ds.remarks.contains(remark)) {
              errors.add(kAreaDays, line, c + 1, "remark *" + std::to_string(remark) + " is not in remarks.csv");
            } else if (std::find(a.remarks.begin(), a.remarks.end(), remark) == a.remarks.end()) {
              a.remarks.push_back(remark);
            }
          }
          a.rules.push_back(std::move(rule));
        }
        ds.areas.push_back(std::move(a));
      }
    }
  }

  // target.csv: category label, item name, notice, reading.
  Table target;
  if (read_table(files, kTarget, false, errors, target)) {
    for (size_t i = 0; i < target.rows.size(); ++i) {
      const auto& r = target.rows[i];
      Item item;
      item.category = trim(r[0]);
      item.name = r.size() > 1 ? trim(r[1]) : "";
      item.notice = r.size() > 2 ? trim(r[2]) : "";
      item.reading = r.size() > 3 ? trim(r[3]) : "";
      if (!described(item.category)) {
        errors.add(kTarget, target.lines[i], 1, "category '" + item.category + "' is missing from description.csv");
      }
      if (item.name.empty()) errors.add(kTarget, target.lines[i], 2, "the item name is empty");
      ds.items.push_back(std::move(item));
    }
  }

  if (auto h = files.find(kHolidays); h != files.end()) {
    ds.holidays = import_holidays(h->second, list);
  }
  if (list.size() != errors_before) return std::nullopt;
  return ds;
}

}  // namespace garbage
