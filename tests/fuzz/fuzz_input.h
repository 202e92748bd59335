// Helpers the file-format harnesses share: an input split into parts at NUL bytes (one part per
// file of a multi-file import), and an oracle failure that names what broke.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace machi::fuzz {

inline std::vector<std::string_view> split_parts(const uint8_t* data, size_t size, size_t max_parts) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    auto nul = all.find('\0');
    if (nul == std::string_view::npos) break;
    parts.push_back(all.substr(0, nul));
    all.remove_prefix(nul + 1);
  }
  parts.push_back(all);
  return parts;
}

[[noreturn]] inline void fail(const char* harness, const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s oracle: %s: %s\n", harness, what, detail.c_str());
  std::abort();
}

}  // namespace machi::fuzz
