#include "machi/sdk/csv.h"

#include <doctest/doctest.h>

using machi::sdk::CsvError;
using machi::sdk::CsvReader;
using machi::sdk::decode_text;
using machi::sdk::TextEncoding;
using Row = std::vector<std::string>;

namespace {

std::vector<Row> read_all(std::string_view text) {
  CsvReader reader(text);
  std::vector<Row> rows;
  Row row;
  while (reader.next(row)) rows.push_back(row);
  return rows;
}

}  // namespace

TEST_CASE("records with quotes, escaped quotes, embedded commas and newlines, CRLF or LF") {
  auto rows = read_all("地区,品目,備考\r\n本庄町,\"燃える,ごみ\",\"\"\"注意\"\"\"\r\n"
                       "鍋島町,\"複数\n行\",\n\n末尾,x,");
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == Row{"地区", "品目", "備考"});
  CHECK(rows[1] == Row{"本庄町", "燃える,ごみ", "\"注意\""});
  CHECK(rows[2] == Row{"鍋島町", "複数\n行", ""});
  CHECK(rows[3] == Row{"末尾", "x", ""});
}

TEST_CASE("line numbers follow records, counting newlines inside quotes") {
  CsvReader reader("a\n\"b\nc\"\nd\n");
  Row row;
  REQUIRE(reader.next(row));
  CHECK(reader.line() == 1);
  REQUIRE(reader.next(row));
  CHECK(reader.line() == 2);
  REQUIRE(reader.next(row));
  CHECK(reader.line() == 4);
  CHECK(row == Row{"d"});
  CHECK_FALSE(reader.next(row));
}

TEST_CASE("malformed CSV names the line") {
  CsvReader unterminated("ok\n\"never closed,\nmore");
  Row row;
  REQUIRE(unterminated.next(row));
  try {
    unterminated.next(row);
    FAIL("expected a CsvError");
  } catch (const CsvError& e) {
    CHECK(e.line() == 2);
    CHECK(std::string(e.what()).find("not closed") != std::string::npos);
  }
  CsvReader after_quote("a\n\"x\"y,z\n");
  REQUIRE(after_quote.next(row));
  CHECK_THROWS_AS(after_quote.next(row), CsvError);
}

TEST_CASE("CP932 open data is converted to UTF-8, including Microsoft's extensions") {
  // "燃えるごみ,月\r\n①,～" in CP932: ① (NEC row 13) and ～ (0x8160 → U+FF5E) are CP932-only.
  std::string cp932 = "\x94\x52\x82\xa6\x82\xe9\x82\xb2\x82\xdd,\x8c\x8e\r\n\x87\x40,\x81\x60";
  std::string utf8 = decode_text(cp932, TextEncoding::kCp932);
  CHECK(utf8 == "燃えるごみ,月\r\n①,～");
  CHECK(decode_text(cp932, TextEncoding::kAuto) == utf8);  // not UTF-8, so CP932
  auto rows = read_all(utf8);
  CHECK(rows[1] == Row{"①", "～"});
}

TEST_CASE("UTF-8 input: BOM removed, invalid bytes reported with their line") {
  CHECK(decode_text("\xEF\xBB\xBFid,名前", TextEncoding::kAuto) == "id,名前");
  CHECK(decode_text("ごみ", TextEncoding::kUtf8) == "ごみ");
  try {
    decode_text("ok\nok\nbad \xff byte", TextEncoding::kUtf8);
    FAIL("expected a CsvError");
  } catch (const CsvError& e) {
    CHECK(e.line() == 3);
  }
  CHECK_THROWS_AS(decode_text("\x82", TextEncoding::kCp932), CsvError);  // truncated lead byte
}
