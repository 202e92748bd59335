#include "holdings.h"

#include <machi/sdk/csv_table.h>

#include <algorithm>
#include <map>
#include <optional>

#include "isbn.h"

namespace library {
namespace {

enum Column { kIsbn, kTitle, kReading, kAuthor, kPublisher, kYear, kBranch, kCopy, kStatus };

// Accepted header names per column, in Column order.
std::vector<machi::sdk::CsvColumn> holdings_columns() {
  return {{"isbn", {}, true},
          {"title", {"書名", "タイトル"}, true},
          {"title_reading", {"書名ヨミ", "書名よみ", "ヨミ", "よみ"}},
          {"author", {"著者", "著者名"}},
          {"publisher", {"出版者", "出版社"}},
          {"year", {"出版年"}},
          {"branch", {"所蔵館", "館", "図書館"}, true},
          {"copy_id", {"資料id", "資料番号", "登録番号"}, true},
          {"status", {"状態", "状況"}}};
}

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
  machi::sdk::CsvTable table(bytes, std::string(file), holdings_columns(), kMaxProblems);
  std::map<std::string, size_t> copies;        // copy id → line
  std::map<std::string, size_t> first_of_isbn;  // isbn13 → row index
  while (table.next()) {
    size_t line = table.line();
    auto cell = [&](Column c) { return table.cell(c); };
    Holding h;
    h.line = line;
    std::string error;
    auto isbn = to_isbn13(cell(kIsbn), error);
    if (cell(kIsbn).empty()) table.problem(kIsbn, "the ISBN is empty");
    else if (!isbn) table.problem(kIsbn, error);
    else h.isbn13 = *isbn;
    h.title = cell(kTitle);
    if (h.title.empty()) table.problem(kTitle, "the title is empty");
    h.title_reading = cell(kReading);
    h.author = cell(kAuthor);
    h.publisher = cell(kPublisher);
    std::string year = cell(kYear);
    if (!year.empty()) {
      bool digits = year.size() == 4 && year.find_first_not_of("0123456789") == std::string::npos;
      if (!digits) table.problem(kYear, "year '" + year + "' is not a four-digit year");
      else h.year = std::stoi(year);
    }
    std::string branch = cell(kBranch);
    for (const auto& b : branches) {
      if (b.id == branch || b.name == branch) h.branch = b.id;
    }
    if (h.branch.empty()) table.problem(kBranch, "unknown branch '" + branch + "' (the manifest lists the branches)");
    h.copy_id = cell(kCopy);
    if (!valid_copy_id(h.copy_id)) {
      table.problem(kCopy, "copy id '" + h.copy_id + "' must be 1–32 of [A-Za-z0-9-]");
    } else if (auto seen = copies.find(h.copy_id); seen != copies.end()) {
      table.problem(kCopy, "copy id '" + h.copy_id + "' is also on line " + std::to_string(seen->second));
    } else {
      copies[h.copy_id] = line;
    }
    if (table.has(kStatus)) {
      auto shelf = shelf_of(cell(kStatus));
      if (!shelf) {
        table.problem(kStatus, "unknown status '" + cell(kStatus) +
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
          table.problem(kTitle, "ISBN " + h.isbn13 + " has title '" + f.title + "' on line " + std::to_string(f.line) +
                                    ", here '" + h.title + "'");
        }
      }
    }
    out.rows.push_back(std::move(h));
  }
  out.problems = table.problems();
  if (out.rows.empty() && out.problems.empty()) out.problems.push_back(std::string(file) + ": no copies (only a header row)");
  if (!out.problems.empty()) out.rows.clear();
  return out;
}

}  // namespace library
