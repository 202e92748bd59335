#include "dataset.h"

#include <machi/sdk/csv.h>
#include <machi/sdk/text.h>

#include <algorithm>
#include <charconv>
#include <set>

namespace garbage {
namespace {

using machi::sdk::CsvError;
using machi::sdk::CsvReader;
using machi::sdk::TextEncoding;

// What an import found: errors refuse the data set, warnings go with it (capped).
struct Log {
  std::vector<ImportError>& errors;
  std::vector<ImportError> warnings;
  size_t left_out = 0;
  static constexpr size_t kMaxErrors = 50;
  void error(std::string file, size_t line, size_t column, std::string message) {
    if (errors.size() < kMaxErrors) errors.push_back({std::move(file), line, column, std::move(message)});
  }
  void warn(std::string file, size_t line, size_t column, std::string message) {
    if (warnings.size() < kMaxWarnings) warnings.push_back({std::move(file), line, column, std::move(message)});
    else ++left_out;
  }
};

// Leading and trailing white space: ASCII space and tab, NO-BREAK SPACE, IDEOGRAPHIC SPACE.
std::string trim(std::string_view s) {
  auto space_at_start = [](std::string_view v) -> size_t {
    if (v.starts_with(" ") || v.starts_with("\t")) return 1;
    if (v.starts_with("\xC2\xA0")) return 2;
    if (v.starts_with("\xE3\x80\x80")) return 3;
    return 0;
  };
  auto space_at_end = [](std::string_view v) -> size_t {
    if (v.ends_with(" ") || v.ends_with("\t")) return 1;
    if (v.ends_with("\xC2\xA0")) return 2;
    if (v.ends_with("\xE3\x80\x80")) return 3;
    return 0;
  };
  while (size_t n = space_at_start(s)) s.remove_prefix(n);
  while (size_t n = space_at_end(s)) s.remove_suffix(n);
  return std::string(s);
}

// A key compared as text the city typed: trimmed, NFKC ("１" is "1").
std::string key(std::string_view s) { return trim(machi::sdk::nfkc(s)); }

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// One CSV file's rows after the header (blank rows left out), with their line numbers.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> lines;
  std::string cell(size_t row, size_t column) const {
    return column < rows[row].size() ? rows[row][column] : std::string();
  }
};

enum class Need { kRequired, kOptional };

// Reads `name`. A required file that is missing, empty, undecodable or malformed is an error;
// an optional one is left out with a warning (missing optional files are simply absent).
bool read_table(const Files& files, const std::string& name, Need need, Log& log, Table& out) {
  auto problem = [&](size_t line, std::string message) {
    if (need == Need::kRequired) log.error(name, line, 0, std::move(message));
    else log.warn(name, line, 0, std::move(message) + ": the file is left out");
  };
  auto it = files.find(name);
  if (it == files.end()) {
    if (need == Need::kRequired) log.error(name, 0, 0, "the file is missing");
    return false;
  }
  // decode_text and the reader both throw CsvError "line N: …".
  auto message_of = [](const CsvError& e) {
    std::string_view what = e.what();
    size_t colon = what.find(": ");
    return std::string(colon == std::string_view::npos ? what : what.substr(colon + 2));
  };
  std::string text;
  try {
    text = machi::sdk::decode_text(it->second, TextEncoding::kAuto);
  } catch (const CsvError& e) {
    problem(e.line(), "the bytes are neither UTF-8 nor CP932 (" + message_of(e) + ")");
    return false;
  } catch (const std::exception& e) {
    problem(0, e.what());
    return false;
  }
  try {
    CsvReader reader(text);
    std::vector<std::string> fields;
    if (!reader.next(fields)) {
      problem(0, "the file is empty (a header row is expected)");
      return false;
    }
    out.header = fields;
    for (auto& h : out.header) h = trim(h);
    while (reader.next(fields)) {
      if (std::all_of(fields.begin(), fields.end(), [](const std::string& f) { return trim(f).empty(); })) {
        continue;  // a row of empty cells (",,,,") is a blank line
      }
      out.rows.push_back(fields);
      out.lines.push_back(reader.line());
    }
    return true;
  } catch (const CsvError& e) {
    problem(e.line(), message_of(e));
    return false;
  }
}

// "2024/2/11", "2024/02/11" or "20240211" (after NFKC: "２０２４／２／１１" too).
std::optional<Day> parse_flexible_day(std::string_view raw) {
  std::string normal = key(raw);
  std::string_view text = normal;
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
  if (parts[1] < 1 || parts[2] < 1) return std::nullopt;
  date::year_month_day ymd{date::year{parts[0]}, date::month{static_cast<unsigned>(parts[1])},
                           date::day{static_cast<unsigned>(parts[2])}};
  if (!ymd.ok()) return std::nullopt;
  return Day(ymd);
}

bool column_ok(int column, size_t width) { return column >= 0 && static_cast<size_t>(column) < width; }

void read_description(const Files& files, Log& log, DataSet& ds) {
  Table t;
  if (!read_table(files, kDescription, Need::kOptional, log, t)) {
    if (!files.contains(kDescription)) {
      log.warn(kDescription, 0, 0, "the file is missing: categories are shown with their labels only");
    }
    return;
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    Category c;
    c.label = trim(t.cell(i, 0));
    if (c.label.empty()) {
      log.warn(kDescription, t.lines[i], 1, "the label is empty: the row is left out");
      continue;
    }
    if (!seen.insert(c.label).second) {
      log.warn(kDescription, t.lines[i], 1, "category " + quoted(c.label) + " appears twice: the first row is used");
      continue;
    }
    c.sublabel = trim(t.cell(i, 1));
    c.description = t.cell(i, 2);
    c.styles = trim(t.cell(i, 3));
    c.bgcolor = trim(t.cell(i, 4));
    ds.described.push_back(std::move(c));
  }
}

void read_remarks(const Files& files, Log& log, DataSet& ds) {
  Table t;
  if (!read_table(files, kRemarks, Need::kOptional, log, t)) return;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    std::string id_text = key(t.cell(i, 0));
    int id = 0;
    auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (id_text.empty() || ec != std::errc() || end != id_text.data() + id_text.size()) {
      log.warn(kRemarks, t.lines[i], 1, quoted(id_text) + " is not a remark number: the row is left out");
      continue;
    }
    if (!ds.remarks.emplace(id, t.cell(i, 1)).second) {
      log.warn(kRemarks, t.lines[i], 1, "remark " + id_text + " appears twice: the first row is used");
    }
  }
}

// center.csv: name, suspension start, suspension end (inclusive); a fork's extension adds
// further columns, each a single closed day. Several rows of one centre all apply.
void read_centers(const Files& files, Log& log, DataSet& ds) {
  Table t;
  if (!read_table(files, kCenter, Need::kOptional, log, t)) return;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    size_t line = t.lines[i];
    std::string name = trim(t.cell(i, 0));
    if (name.empty()) {
      log.warn(kCenter, line, 1, "the centre name is empty: the row is left out");
      continue;
    }
    auto& periods = ds.centers[name];
    std::vector<std::pair<size_t, Day>> days;  // (column, day) of the non-empty date cells
    for (size_t c = 1; c < r.size(); ++c) {
      if (trim(r[c]).empty()) continue;
      auto day = parse_flexible_day(r[c]);
      if (!day) {
        log.warn(kCenter, line, c + 1, quoted(trim(r[c])) + " is not a date (YYYY/MM/DD or YYYYMMDD): left out");
        continue;
      }
      days.emplace_back(c, *day);
    }
    if (days.empty()) {
      log.warn(kCenter, line, 2, "no suspension dates: the row gives no suspension");
      continue;
    }
    size_t next = 0;
    if (days.size() >= 2 && days[0].first == 1 && days[1].first == 2) {
      if (days[1].second < days[0].second) {
        log.warn(kCenter, line, 3, "the suspension ends before it starts: no suspension from this row");
      } else {
        periods.push_back({days[0].second, days[1].second});
      }
      next = 2;
    }
    for (; next < days.size(); ++next) {
      if (days[next].first <= 2) {
        log.warn(kCenter, line, days[next].first + 1, "only one date of the period: taken as one closed day");
      }
      periods.push_back({days[next].second, days[next].second});
    }
  }
}

std::map<std::string, std::string> read_master(const Files& files, Log& log) {
  std::map<std::string, std::string> names;
  Table t;
  if (!read_table(files, kAreaMaster, Need::kOptional, log, t)) return names;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    std::string k = key(t.cell(i, 0));
    if (k.empty()) {
      log.warn(kAreaMaster, t.lines[i], 1, "the group key is empty: the row is left out");
      continue;
    }
    if (!names.emplace(k, trim(t.cell(i, 1))).second) {
      log.warn(kAreaMaster, t.lines[i], 1, "group " + quoted(k) + " appears twice: the first row is used");
    }
  }
  return names;
}

const Category* find_category(const std::vector<Category>& list, std::string_view label) {
  for (const auto& c : list) {
    if (c.label == label) return &c;
  }
  return nullptr;
}

// area_days.csv. Returns false (with an error) when nothing usable is in it.
bool read_area_days(const Files& files, const Layout& layout,
                    const std::map<std::string, std::string>& group_names, Log& log, DataSet& ds) {
  Table t;
  if (!read_table(files, kAreaDays, Need::kRequired, log, t)) return false;
  const size_t width = t.header.size();
  for (auto [column, what] : {std::pair{layout.area, "area"}, std::pair{layout.first_category, "first category"}}) {
    if (!column_ok(column, width)) {
      log.error(kAreaDays, 1, 0, std::string("the config's ") + what + " column " + std::to_string(column) +
                                     " is outside the header's " + std::to_string(width) + " columns");
      return false;
    }
  }
  auto optional_column = [&](int column, const char* what) {
    if (column >= 0 && !column_ok(column, width)) {
      log.warn(kAreaDays, 1, 0, std::string("the config's ") + what + " column " + std::to_string(column) +
                                    " is outside the header's " + std::to_string(width) + " columns: not used");
      return -1;
    }
    return column;
  };
  const int group_column = optional_column(layout.group, "group");
  const int group_name_column = optional_column(layout.group_name, "group name");
  const int center_column = optional_column(layout.center, "centre");

  std::vector<size_t> category_columns;
  for (size_t c = static_cast<size_t>(layout.first_category); c < width; ++c) {
    const std::string& label = t.header[c];
    if (label.empty()) continue;  // an empty header is not a category
    if (find_category(ds.categories, label)) {
      log.warn(kAreaDays, 1, c + 1, "category " + quoted(label) + " appears twice in the header: this column is left out");
      continue;
    }
    category_columns.push_back(c);
    if (const Category* d = find_category(ds.described, label)) {
      ds.categories.push_back(*d);
    } else {
      log.warn(kAreaDays, 1, c + 1, "category " + quoted(label) +
                                        " is not in description.csv: shown with its label only");
      Category undescribed;
      undescribed.label = label;
      undescribed.described = false;
      ds.categories.push_back(std::move(undescribed));
    }
  }
  if (category_columns.empty()) {
    log.error(kAreaDays, 1, 0, "no category columns (non-empty headers from the first category column on)");
    return false;
  }

  std::map<std::string, size_t> id_count;
  std::map<std::string, std::pair<size_t, size_t>> unknown_centres;  // name → (first line, areas)
  std::set<std::string> unknown_groups;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    const size_t line = t.lines[i];
    Area a;
    a.name = trim(t.cell(i, layout.area));
    if (a.name.empty()) {
      log.warn(kAreaDays, line, layout.area + 1, "the area name is empty: the row is left out");
      continue;
    }
    if (group_column >= 0) {
      a.group = key(t.cell(i, group_column));
      if (a.group.empty()) log.warn(kAreaDays, line, group_column + 1, "the group key is empty: the area has no group");
    }
    if (group_name_column >= 0) {
      a.group_name = trim(t.cell(i, group_name_column));
    } else if (!a.group.empty()) {
      auto g = group_names.find(a.group);
      if (g == group_names.end() && !group_names.empty() && unknown_groups.insert(a.group).second) {
        log.warn(kAreaDays, line, group_column + 1,
                 "group " + quoted(a.group) + " is not in area_master.csv: its key is shown as its name");
      }
      a.group_name = g == group_names.end() ? a.group : g->second;
    }
    if (center_column >= 0) {
      a.center = trim(t.cell(i, center_column));
      if (!a.center.empty() && !ds.centers.empty() && !ds.centers.contains(a.center)) {
        auto [it, first] = unknown_centres.try_emplace(a.center, line, 0);
        ++it->second.second;
      }
    }
    std::string base = a.group.empty() ? a.name : a.group + ":" + a.name;
    size_t n = ++id_count[base];
    a.id = n == 1 ? base : base + "#" + std::to_string(n);
    if (n > 1) {
      log.warn(kAreaDays, line, layout.area + 1,
               "area " + quoted(a.name) + (a.group.empty() ? "" : " of group " + a.group) +
                   " appears again: both are kept, this one as " + quoted(a.id));
    }
    if (r.size() > width) {
      bool extra = std::any_of(r.begin() + static_cast<long>(width), r.end(),
                               [](const std::string& f) { return !trim(f).empty(); });
      if (extra) {
        log.warn(kAreaDays, line, width + 1, "the row has " + std::to_string(r.size()) + " cells, the header " +
                                                 std::to_string(width) + ": the cells past the header are left out");
      }
    }
    for (size_t c : category_columns) {
      CellRule rule;
      std::string why;
      if (c >= r.size()) {
        rule.problem = "the row has no cell for this category (" + std::to_string(r.size()) + " of the header's " +
                       std::to_string(width) + " columns)";
      } else if (!parse_cell(r[c], rule, why)) {
        rule = {};
        rule.problem = why;
      }
      if (!rule.problem.empty()) {
        ++ds.unreadable_cells;
        log.warn(kAreaDays, line, c + 1, rule.problem + ": no dates for " + quoted(t.header[c]) + " in " + quoted(a.name));
      }
      for (int remark : rule.remarks) {
        if (!ds.remarks.contains(remark)) {
          log.warn(kAreaDays, line, c + 1, "remark *" + std::to_string(remark) + " is not in remarks.csv: not shown");
        } else if (std::find(a.remarks.begin(), a.remarks.end(), remark) == a.remarks.end()) {
          a.remarks.push_back(remark);
        }
      }
      a.rules.push_back(std::move(rule));
    }
    ds.areas.push_back(std::move(a));
  }
  for (const auto& [name, where] : unknown_centres) {
    log.warn(kAreaDays, where.first, center_column + 1,
             "centre " + quoted(name) + " is not in center.csv: no suspension applies to its " +
                 std::to_string(where.second) + " area(s)");
  }
  if (ds.areas.empty()) {
    log.error(kAreaDays, 0, 0, "no area rows");
    return false;
  }
  return true;
}

void read_target(const Files& files, Log& log, DataSet& ds) {
  Table t;
  if (!read_table(files, kTarget, Need::kOptional, log, t)) return;
  std::map<std::string, std::pair<size_t, size_t>> undescribed;  // label → (first line, items)
  for (size_t i = 0; i < t.rows.size(); ++i) {
    Item item;
    item.category = trim(t.cell(i, 0));
    item.name = trim(t.cell(i, 1));
    item.notice = trim(t.cell(i, 2));
    item.reading = trim(t.cell(i, 3));
    if (item.name.empty()) {
      log.warn(kTarget, t.lines[i], 2, "the item name is empty: the row is left out");
      continue;
    }
    if (item.category.empty()) {
      log.warn(kTarget, t.lines[i], 1, "the item " + quoted(item.name) + " has no category: the row is left out");
      continue;
    }
    if (!find_category(ds.described, item.category)) {
      auto [it, first] = undescribed.try_emplace(item.category, t.lines[i], 0);
      ++it->second.second;
    }
    ds.items.push_back(std::move(item));
  }
  for (const auto& [label, where] : undescribed) {
    log.warn(kTarget, where.first, 1,
             "category " + quoted(label) + " is not in description.csv: its " + std::to_string(where.second) +
                 " item(s) are shown with the label only");
    Category c;
    c.label = label;
    c.described = false;
    ds.described.push_back(std::move(c));
  }
}

std::map<Day, std::string> read_holidays(const Files& files, Log& log) {
  std::map<Day, std::string> out;
  Table t;
  if (!read_table(files, kHolidays, Need::kOptional, log, t)) return out;
  if (t.header.size() < 2) {
    log.warn(kHolidays, 1, 0, "expected two columns, date and holiday name: the file is left out");
    return out;
  }
  for (size_t i = 0; i < t.rows.size(); ++i) {
    auto day = parse_flexible_day(t.cell(i, 0));
    if (!day) {
      log.warn(kHolidays, t.lines[i], 1, quoted(trim(t.cell(i, 0))) + " is not a date (YYYY/M/D): the row is left out");
      continue;
    }
    out[*day] = trim(t.cell(i, 1));
  }
  return out;
}

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

std::map<Day, std::string> import_holidays(std::string_view bytes, std::vector<ImportError>& warnings) {
  std::vector<ImportError> errors;  // an optional file never errs
  Log log{errors, {}, 0};
  auto out = read_holidays(Files{{kHolidays, std::string(bytes)}}, log);
  warnings.insert(warnings.end(), log.warnings.begin(), log.warnings.end());
  return out;
}

std::optional<DataSet> import_dataset(const Files& files, const Layout& layout, std::vector<ImportError>& errors) {
  const size_t errors_before = errors.size();
  Log log{errors, {}, 0};
  for (const auto& [name, bytes] : files) {
    if (!known_file(name)) log.warn(name, 0, 0, "not a file of the 5374 format (or syukujitsu.csv): ignored");
  }
  DataSet ds;
  read_description(files, log, ds);
  read_remarks(files, log, ds);
  read_centers(files, log, ds);
  auto group_names = read_master(files, log);
  if (!read_area_days(files, layout, group_names, log, ds) || errors.size() != errors_before) {
    return std::nullopt;
  }
  read_target(files, log, ds);
  ds.holidays = read_holidays(files, log);
  ds.warnings = std::move(log.warnings);
  ds.warnings_left_out = log.left_out;
  return ds;
}

}  // namespace garbage
