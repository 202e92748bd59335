// Files for tests: a whole file's bytes, and UTF-8 text turned into CP932 (Shift_JIS) as
// municipal open data often comes.
#pragma once

#include <doctest/doctest.h>
#include <iconv.h>

#include <fstream>
#include <sstream>
#include <string>

namespace machi::test {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string to_cp932(const std::string& utf8) {
  iconv_t cd = iconv_open("CP932", "UTF-8");
  REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
  std::string out(utf8.size() * 2, '\0');
  char* in = const_cast<char*>(utf8.data());
  char* o = out.data();
  size_t in_left = utf8.size(), out_left = out.size();
  REQUIRE(iconv(cd, &in, &in_left, &o, &out_left) != static_cast<size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

}  // namespace machi::test
