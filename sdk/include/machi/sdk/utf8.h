// Well-formed UTF-8 for text that leaves the process as JSON. Percent-decoded query values and
// path segments may hold any bytes; echoed into a JSON answer, invalid UTF-8 makes the whole
// answer unparseable for strict clients. `valid_utf8` replaces every ill-formed sequence
// (stray continuation bytes, truncated sequences, overlong forms, surrogates, > U+10FFFF) with
// U+FFFD, as the WHATWG encoding standard's decoder does; well-formed text is returned unchanged.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace machi::sdk {

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 if there is none.
inline size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t n = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  unsigned char b1 = byte(i + 1);
  // The second byte's range excludes overlong forms, surrogates and code points above U+10FFFF.
  unsigned char lo = b0 == 0xe0 ? 0xa0 : b0 == 0xf0 ? 0x90 : 0x80;
  unsigned char hi = b0 == 0xed ? 0x9f : b0 == 0xf4 ? 0x8f : 0xbf;
  if (b1 < lo || b1 > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  return n;
}

inline bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

inline std::string valid_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD for one ill-formed byte
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace machi::sdk
