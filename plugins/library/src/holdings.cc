#include "holdings.h"

#include <machi/sdk/csv.h>
#include <machi/sdk/text.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "isbn.h"

namespace library {
namespace {

enum Column { kIsbn, kTitle, kReading, kAuthor, kPublisher, kYear, kBranch, kCopy, kStatus, kColumns };

// Accepted header names per column, compared after fold() (so width and kana variants match).
const std::array<std::vector<std::string_view>, kColumns> kHeaders = {{
    {"isbn"},
    {"title", "書名", "タイトル"},
    {"title_reading", "書名ヨミ", "書名よみ", "ヨミ", "よみ"},
    {"author", "著者", "著者名"},
    {"publisher", "出版者", "出版社"},
    {"year", "出版年"},
    {"branch", "所蔵館", "館", "図書館"},
    {"copy_id", "資料id", "資料番号", "登録番号"},
    {"status", "状態", "状況"},
}};
constexpr const char* kColumnNames[kColumns] = {"isbn", "title", "title_reading", "author", "publisher",
                                                "year", "branch", "copy_id", "status"};

std::optional<Shelf> shelf_of(const std::string& cell) {
  std::string s = machi::sdk::fold(cell);
  if (s.empty() || s == "available" || s == machi::sdk::fold("貸出可") || s == machi::sdk::fold("在架")) {
    return Shelf::kAvailable;
  }
  if (s == "reference" || s == machi::sdk::fold("禁帯出") || s == machi::sdk::fold("館内閲覧")) return Shelf::kReference;
  if (s == "missing" || s == machi::sdk::fold("不明") || s == machi::sdk::fold("紛失")) return Shelf::kMissing;
  if (s == "on_loan" || s == machi::sdk::fold("貸出中")) return Shelf::kOnLoan;
  return std::nullopt;
}

bool valid_copy_id(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-')) return false;
  }
  return true;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

const char* shelf_name(Shelf s) {
  switch (s) {
    case Shelf::kAvailable: return "available";
    case Shelf::kReference: return "reference";
    case Shelf::kMissing: return "missing";
    case Shelf::kOnLoan: return "external_loan";
  }
  return "available";
}

HoldingsFile parse_holdings(std::string_view bytes, std::string_view file, const std::vector<Branch>& branches) {
  HoldingsFile out;
  std::string name(file);
  auto problem = [&](size_t line, size_t column, const std::string& message) {
    if (out.problems.size() < kMaxProblems) {
      out.problems.push_back(name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message);
    }
  };
  std::string text;
  try {
    text = machi::sdk::decode_text(bytes, machi::sdk::TextEncoding::kAuto);
  } catch (const std::exception& e) {
    out.problems.push_back(name + ": " + e.what());
    return out;
  }
  machi::sdk::CsvReader csv(text);
  std::vector<std::string> fields;
  try {
    if (!csv.next(fields)) {
      out.problems.push_back(name + ": the file is empty (expected a header row: " + kColumnNames[0] + ", " +
                             kColumnNames[1] + ", …)");
      return out;
    }
  } catch (const std::exception& e) {
    out.problems.push_back(name + ": " + e.what());
    return out;
  }
  std::array<int, kColumns> at;
  at.fill(-1);
  const size_t header_size = fields.size();
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string h = machi::sdk::fold(trim(fields[i]));
    bool known = false;
    for (int c = 0; c < kColumns && !known; ++c) {
      for (auto alias : kHeaders[c]) {
        if (h == machi::sdk::fold(alias)) {
          if (at[c] >= 0) problem(csv.line(), i + 1, "column '" + fields[i] + "' appears twice");
          at[c] = static_cast<int>(i);
          known = true;
          break;
        }
      }
    }
    if (!known) problem(csv.line(), i + 1, "unknown column '" + fields[i] + "'");
  }
  for (int c : {kIsbn, kTitle, kBranch, kCopy}) {
    if (at[c] < 0) problem(csv.line(), 1, std::string("the header has no '") + kColumnNames[c] + "' column");
  }
  if (!out.problems.empty()) return out;

  std::map<std::string, std::pair<size_t, size_t>> copies;  // copy id → (line, row index)
  std::map<std::string, size_t> first_of_isbn;               // isbn13 → row index
  size_t total_problems = 0;
  auto row_problem = [&](size_t line, int column, const std::string& message) {
    ++total_problems;
    problem(line, static_cast<size_t>(at[column] + 1), message);
  };
  try {
    while (csv.next(fields)) {
      size_t line = csv.line();
      if (fields.size() != header_size) {
        ++total_problems;
        problem(line, std::min(fields.size(), header_size) + 1,
                "expected " + std::to_string(header_size) + " columns (as the header), found " + std::to_string(fields.size()));
        continue;
      }
      auto cell = [&](int c) { return at[c] < 0 ? std::string() : trim(fields[static_cast<size_t>(at[c])]); };
      Holding h;
      h.line = line;
      std::string error;
      auto isbn = to_isbn13(cell(kIsbn), error);
      if (cell(kIsbn).empty()) row_problem(line, kIsbn, "the ISBN is empty");
      else if (!isbn) row_problem(line, kIsbn, error);
      else h.isbn13 = *isbn;
      h.title = cell(kTitle);
      if (h.title.empty()) row_problem(line, kTitle, "the title is empty");
      h.title_reading = cell(kReading);
      h.author = cell(kAuthor);
      h.publisher = cell(kPublisher);
      std::string year = cell(kYear);
      if (!year.empty()) {
        bool digits = year.size() == 4 && year.find_first_not_of("0123456789") == std::string::npos;
        if (!digits) row_problem(line, kYear, "year '" + year + "' is not a four-digit year");
        else h.year = std::stoi(year);
      }
      std::string branch = cell(kBranch);
      for (const auto& b : branches) {
        if (b.id == branch || b.name == branch) h.branch = b.id;
      }
      if (h.branch.empty()) row_problem(line, kBranch, "unknown branch '" + branch + "' (the manifest lists the branches)");
      h.copy_id = cell(kCopy);
      if (!valid_copy_id(h.copy_id)) {
        row_problem(line, kCopy, "copy id '" + h.copy_id + "' must be 1–32 of [A-Za-z0-9-]");
      } else if (auto seen = copies.find(h.copy_id); seen != copies.end()) {
        row_problem(line, kCopy, "copy id '" + h.copy_id + "' is also on line " + std::to_string(seen->second.first));
      } else {
        copies[h.copy_id] = {line, out.rows.size()};
      }
      if (at[kStatus] >= 0) {
        auto shelf = shelf_of(cell(kStatus));
        if (!shelf) {
          row_problem(line, kStatus, "unknown status '" + cell(kStatus) +
                                         "' (available/貸出可, reference/禁帯出, missing/不明, on_loan/貸出中)");
        } else {
          h.shelf = *shelf;
        }
      }
      if (!h.isbn13.empty() && !h.title.empty()) {
        auto first = first_of_isbn.find(h.isbn13);
        if (first == first_of_isbn.end()) {
          first_of_isbn[h.isbn13] = out.rows.size();
        } else {
          const Holding& f = out.rows[first->second];
          if (f.title != h.title) {
            row_problem(line, kTitle, "ISBN " + h.isbn13 + " has title '" + f.title + "' on line " +
                                          std::to_string(f.line) + ", here '" + h.title + "'");
          }
        }
      }
      out.rows.push_back(std::move(h));
    }
  } catch (const std::exception& e) {
    out.problems.push_back(name + ": " + e.what());
  }
  if (total_problems > out.problems.size()) {
    out.problems.push_back(name + ": … and " + std::to_string(total_problems - out.problems.size()) + " more problems");
  }
  if (out.rows.empty() && out.problems.empty()) out.problems.push_back(name + ": no copies (only a header row)");
  if (!out.problems.empty()) out.rows.clear();
  return out;
}

}  // namespace library
