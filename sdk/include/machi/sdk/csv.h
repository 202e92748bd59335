// CSV for open data: RFC 4180 records (quoted fields, "" escapes, CRLF or LF, newlines inside
// quotes), UTF-8 with or without BOM, or Shift_JIS/CP932 converted through iconv — Japanese
// municipal open data is often CP932. Errors name the line.
#pragma once

#include <iconv.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace machi::sdk {

class CsvError : public std::runtime_error {
 public:
  CsvError(size_t line, const std::string& message)
      : std::runtime_error("line " + std::to_string(line) + ": " + message), line_(line) {}
  size_t line() const { return line_; }

 private:
  size_t line_;
};

enum class TextEncoding {
  kUtf8,   // must be valid UTF-8
  kCp932,  // Windows-31J (Shift_JIS with Microsoft's extensions)
  kAuto,   // UTF-8 when valid, else CP932
};

namespace detail {
// Converts with iconv; on invalid input throws CsvError naming the line of the bad byte.
inline std::string iconv_convert(std::string_view bytes, const char* from) {
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    throw std::runtime_error(std::string("iconv cannot convert from ") + from);
  }
  std::string out(bytes.size() * 3 / 2 + 16, '\0');
  char* in_ptr = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  size_t written = 0;
  while (in_left > 0) {
    char* out_ptr = out.data() + written;
    size_t out_left = out.size() - written;
    size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    written = out.size() - out_left;
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    size_t offset = bytes.size() - in_left;
    size_t line = 1;
    for (size_t i = 0; i < offset; ++i) line += bytes[i] == '\n';
    iconv_close(cd);
    throw CsvError(line, std::string("invalid ") + from + " byte sequence at byte " +
                             std::to_string(offset));
  }
  iconv_close(cd);
  out.resize(written);
  return out;
}
}  // namespace detail

// Returns UTF-8 text without a BOM. kAuto: when the bytes are neither UTF-8 nor CP932, the
// error is the one of the decoder that read further (the UTF-8 one on a tie): a UTF-8 file with
// one bad byte on line 40 is reported at line 40, not where CP932 first stumbled.
inline std::string decode_text(std::string_view bytes, TextEncoding encoding) {
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    bytes.remove_prefix(3);
    if (encoding == TextEncoding::kAuto) encoding = TextEncoding::kUtf8;
  }
  if (encoding == TextEncoding::kCp932) return detail::iconv_convert(bytes, "CP932");
  if (encoding == TextEncoding::kUtf8) return detail::iconv_convert(bytes, "UTF-8");
  try {
    return detail::iconv_convert(bytes, "UTF-8");
  } catch (const CsvError& as_utf8) {
    try {
      return detail::iconv_convert(bytes, "CP932");
    } catch (const CsvError& as_cp932) {
      if (as_cp932.line() > as_utf8.line()) throw;
      throw as_utf8;
    }
  }
}

// Reads records from UTF-8 text (see decode_text). The text must outlive the reader.
class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : text_(text) {}

  // Fills `fields` with the next record; false at the end. Empty lines are skipped.
  bool next(std::vector<std::string>& fields) {
    fields.clear();
    while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (pos_ >= text_.size()) return false;
    record_line_ = line_;
    std::string field;
    bool quoted = false;
    bool after_quote = false;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (quoted) {
        if (c == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            field.push_back('"');
            ++pos_;
          } else {
            quoted = false;
            after_quote = true;
          }
        } else {
          if (c == '\n') ++line_;
          field.push_back(c);
        }
        continue;
      }
      if (c == ',') {
        fields.push_back(std::move(field));
        field.clear();
        after_quote = false;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
        ++line_;
        break;
      } else if (c == '"' && field.empty() && !after_quote) {
        quoted = true;
      } else if (after_quote) {
        throw CsvError(line_, "unexpected character after a closing quote");
      } else {
        field.push_back(c);  // a stray quote inside an unquoted field is kept as is
      }
    }
    if (quoted) throw CsvError(record_line_, "quoted field is not closed");
    fields.push_back(std::move(field));
    return true;
  }

  // Line (1-based) where the last record returned by next() began.
  size_t line() const { return record_line_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t record_line_ = 0;
};

}  // namespace machi::sdk
