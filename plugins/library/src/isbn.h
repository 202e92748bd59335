// ISBNs: ISBN-10 and ISBN-13 are the same book. to_isbn13 accepts either (hyphens, spaces and
// full-width digits allowed), verifies the check digit and returns the ISBN-13 the catalogue is
// keyed by; isbn10_of gives the ISBN-10 of a 978- ISBN for display and search.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace library {

// nullopt and `error` ("check digit should be 6", "has 12 digits: an ISBN has 10 or 13") when
// `text` is not a valid ISBN.
std::optional<std::string> to_isbn13(std::string_view text, std::string& error);

// "" when `isbn13` is not a 978- ISBN (979- ISBNs have no ISBN-10).
std::string isbn10_of(std::string_view isbn13);

// True when `text` looks like an attempt at an ISBN (only digits, X, hyphens and spaces, 10 or
// more digits): a search box then checks it as an ISBN instead of searching titles.
bool looks_like_isbn(std::string_view text);

}  // namespace library
