// A CSV file with a header row, as municipalities publish open data: columns found by name in
// any order (each column's aliases compared after fold(), so 全角/半角 and kana variants match),
// rows of the header's width, and every problem collected as "file:line:column: message" (at
// most max_problems, then a count). Needs Machi::sdk_text (ICU). Thread-safety: one thread.
#pragma once

#include <machi/sdk/csv.h>
#include <machi/sdk/text.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace machi::sdk {

struct CsvColumn {
  std::string_view name;                   // as problems name it
  std::vector<std::string_view> aliases;   // accepted header names (the name itself is one)
  bool required = false;
};

class CsvTable {
 public:
  // With allow_unknown_columns, header names outside `columns` are skipped instead of refused
  // (national open-data layouts carry many columns a mini-app does not use).
  CsvTable(std::string_view bytes, std::string file, std::vector<CsvColumn> columns, size_t max_problems = 200,
           bool allow_unknown_columns = false)
      : file_(std::move(file)), columns_(std::move(columns)), max_problems_(max_problems),
        allow_unknown_(allow_unknown_columns) {
    at_.assign(columns_.size(), -1);  // has()/cell() are safe to ask even when nothing decodes
    try {
      text_ = decode_text(bytes, TextEncoding::kAuto);
    } catch (const std::exception& e) {
      file_problem(e.what());
      return;
    }
    csv_.emplace(text_);
    read_header();
  }

  // True while the header was usable and the text decodes.
  bool ok() const { return header_ok_; }

  // Moves to the next data row with the header's width; rows of another width are reported and
  // skipped. False at the end, or at a CSV syntax error (reported).
  bool next() {
    if (!header_ok_) return false;
    try {
      while (csv_->next(fields_)) {
        if (fields_.size() == header_size_) return true;
        add(csv_->line(), std::min(fields_.size(), header_size_) + 1,
            "expected " + std::to_string(header_size_) + " columns (as the header), found " +
                std::to_string(fields_.size()));
      }
    } catch (const std::exception& e) {
      file_problem(e.what());
    }
    return false;
  }

  size_t line() const { return csv_ ? csv_->line() : 0; }
  bool has(size_t column) const { return at_[column] >= 0; }
  // The current row's cell, spaces and tabs trimmed; "" when the file has no such column.
  std::string cell(size_t column) const {
    if (at_[column] < 0) return {};
    const std::string& s = fields_[static_cast<size_t>(at_[column])];
    size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  }

  // A problem in the current row's `column`.
  void problem(size_t column, const std::string& message) {
    add(line(), static_cast<size_t>(std::max(at_[column], 0) + 1), message);
  }
  void file_problem(const std::string& message) {
    header_ok_ = false;
    ++total_;
    problems_.push_back(file_ + ": " + message);
  }
  bool has_problems() const { return total_ > 0; }

  // Every problem, with "… and N more problems" when some were left out.
  std::vector<std::string> problems() const {
    std::vector<std::string> out = problems_;
    if (total_ > out.size()) {
      out.push_back(file_ + ": … and " + std::to_string(total_ - out.size()) + " more problems");
    }
    return out;
  }

 private:
  void add(size_t line, size_t column, const std::string& message) {
    ++total_;
    if (problems_.size() < max_problems_) {
      problems_.push_back(file_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message);
    }
  }

  void read_header() {
    try {
      if (!csv_->next(fields_)) {
        file_problem("the file is empty (expected a header row: " + std::string(columns_.front().name) +
                            (columns_.size() > 1 ? ", " + std::string(columns_[1].name) + ", …)" : ")"));
        return;
      }
    } catch (const std::exception& e) {
      file_problem(e.what());
      return;
    }
    size_t before = total_;
    header_size_ = fields_.size();
    for (size_t i = 0; i < fields_.size(); ++i) {
      std::string h = fold(fields_[i]);
      size_t b = h.find_first_not_of(" \t"), e = h.find_last_not_of(" \t");
      h = b == std::string::npos ? std::string() : h.substr(b, e - b + 1);
      bool known = false;
      for (size_t c = 0; c < columns_.size() && !known; ++c) {
        bool match = h == fold(columns_[c].name);
        for (auto alias : columns_[c].aliases) match = match || h == fold(alias);
        if (!match) continue;
        if (at_[c] >= 0) add(csv_->line(), i + 1, "column '" + fields_[i] + "' appears twice");
        at_[c] = static_cast<int>(i);
        known = true;
      }
      if (!known && !allow_unknown_) add(csv_->line(), i + 1, "unknown column '" + fields_[i] + "'");
    }
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (columns_[c].required && at_[c] < 0) {
        add(csv_->line(), 1, "the header has no '" + std::string(columns_[c].name) + "' column");
      }
    }
    header_ok_ = total_ == before;
  }

  std::string file_;
  std::vector<CsvColumn> columns_;
  size_t max_problems_;
  bool allow_unknown_;
  std::string text_;
  std::optional<CsvReader> csv_;
  std::vector<std::string> fields_;
  std::vector<int> at_;
  size_t header_size_ = 0;
  bool header_ok_ = false;
  size_t total_ = 0;
  std::vector<std::string> problems_;
};

}  // namespace machi::sdk
