#include "isbn.h"

#include <machi/sdk/text.h>

namespace library {
namespace {

char isbn13_check(std::string_view first12) {
  int sum = 0;
  for (size_t i = 0; i < 12; ++i) sum += (first12[i] - '0') * (i % 2 ? 3 : 1);
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

char isbn10_check(std::string_view first9) {
  int sum = 0;
  for (size_t i = 0; i < 9; ++i) sum += (first9[i] - '0') * static_cast<int>(10 - i);
  int check = (11 - sum % 11) % 11;
  return check == 10 ? 'X' : static_cast<char>('0' + check);
}

// Digits (and a final X) of `text` after NFKC; nullopt if anything else but hyphens and spaces.
std::optional<std::string> compact(std::string_view text) {
  std::string folded = machi::sdk::fold(text), out;
  for (char c : folded) {
    if (c >= '0' && c <= '9') out += c;
    else if (c == 'x') out += 'X';  // fold() lower-cases
    else if (c != '-' && c != ' ') return std::nullopt;
  }
  return out;
}

}  // namespace

std::optional<std::string> to_isbn13(std::string_view text, std::string& error) {
  auto digits = compact(text);
  if (!digits) {
    error = "'" + std::string(text) + "' is not an ISBN (digits and hyphens only)";
    return std::nullopt;
  }
  const std::string& d = *digits;
  size_t x = d.find('X');
  if (x != std::string::npos && (d.size() != 10 || x != 9)) {
    error = "'" + std::string(text) + "': X may only be the check digit of an ISBN-10";
    return std::nullopt;
  }
  if (d.size() == 10) {
    char want = isbn10_check(d.substr(0, 9));
    if (d[9] != want) {
      error = "ISBN-10 " + std::string(text) + ": check digit should be " + want;
      return std::nullopt;
    }
    std::string isbn = "978" + d.substr(0, 9);
    return isbn + isbn13_check(isbn);
  }
  if (d.size() == 13) {
    if (!d.starts_with("978") && !d.starts_with("979")) {
      error = "ISBN-13 " + std::string(text) + ": must begin with 978 or 979";
      return std::nullopt;
    }
    char want = isbn13_check(d.substr(0, 12));
    if (d[12] != want) {
      error = "ISBN-13 " + std::string(text) + ": check digit should be " + want;
      return std::nullopt;
    }
    return d;
  }
  error = "'" + std::string(text) + "' has " + std::to_string(d.size()) + " digits: an ISBN has 10 or 13";
  return std::nullopt;
}

std::string isbn10_of(std::string_view isbn13) {
  if (isbn13.size() != 13 || !isbn13.starts_with("978")) return "";
  std::string body(isbn13.substr(3, 9));
  return body + isbn10_check(body);
}

bool looks_like_isbn(std::string_view text) {
  auto d = compact(text);
  return d && d->size() >= 10;
}

}  // namespace library
