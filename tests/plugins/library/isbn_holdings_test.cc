// ISBN checking and conversion, and the holdings importer: the demo city's file, CP932 with
// Japanese headers, and every kind of bad row reported as file:line:column.
#include <doctest/doctest.h>

#include "holdings.h"
#include "isbn.h"
#include "tests/support/test_files.h"

using namespace library;
using machi::test::to_cp932;

namespace {

const std::vector<Branch> kBranches = {{"central", "中央図書館", true}, {"east", "東分館", true}};

}  // namespace

TEST_CASE("ISBN-10 and ISBN-13 of one book give one ISBN-13; check digits are verified") {
  std::string error;
  CHECK(to_isbn13("978-0-306-40615-7", error) == "9780306406157");
  CHECK(to_isbn13("0-306-40615-2", error) == "9780306406157");
  CHECK(to_isbn13("080442957X", error) == "9780804429573");
  CHECK(to_isbn13("0-8044-2957-x", error) == "9780804429573");  // lower-case x
  CHECK(to_isbn13("９７８０３０６４０６１５７", error) == "9780306406157");  // full-width digits
  CHECK(to_isbn13("979-10-3000000-9", error) == "9791030000009");
  CHECK(isbn10_of("9780306406157") == "0306406152");
  CHECK(isbn10_of("9780804429573") == "080442957X");
  CHECK(isbn10_of("9791030000009") == "");

  CHECK_FALSE(to_isbn13("978-0-306-40615-8", error));
  CHECK(error == "ISBN-13 978-0-306-40615-8: check digit should be 7");
  CHECK_FALSE(to_isbn13("0-306-40615-3", error));
  CHECK(error == "ISBN-10 0-306-40615-3: check digit should be 2");
  CHECK_FALSE(to_isbn13("97803064061", error));
  CHECK(error == "'97803064061' has 11 digits: an ISBN has 10 or 13");
  CHECK_FALSE(to_isbn13("977-0-306-40615-7", error));
  CHECK(error.find("must begin with 978 or 979") != std::string::npos);
  CHECK_FALSE(to_isbn13("03064X6152", error));
  CHECK(error.find("X may only be the check digit") != std::string::npos);
  CHECK_FALSE(to_isbn13("ISBN 0306406152", error));
  CHECK(looks_like_isbn("978-0-306-40615-8"));
  CHECK_FALSE(looks_like_isbn("1Q84"));
  CHECK_FALSE(looks_like_isbn("2024"));
}

TEST_CASE("the demo city's holdings import without a problem") {
  std::string bytes = machi::test::read_file(std::string(MACHI_LIBRARY_DEMO) + "/holdings.csv");
  const std::vector<Branch> demo = {{"central", "中央図書館", true}, {"higashiyoka", "東与賀分館", true},
                                    {"mobile", "移動図書館", false}};
  auto file = parse_holdings(bytes, "holdings.csv", demo);
  CHECK(file.problems.empty());
  CHECK(file.rows.size() == 49);
  CHECK(file.rows[0].title == "こころ");
  CHECK(file.rows[0].shelf == Shelf::kAvailable);
}

TEST_CASE("CP932 with Japanese headers in another order; branch by name; status words in Japanese") {
  std::string csv =
      "資料ID,書名,書名ヨミ,著者,ISBN,出版年,所蔵館,状態\r\n"
      "A-1,銀河鉄道の夜,ギンガテツドウノヨル,宮沢賢治,0-306-40615-2,1934,中央図書館,貸出可\r\n"
      "A-2,銀河鉄道の夜,ギンガテツドウノヨル,宮沢賢治,978-0-306-40615-7,,east,禁帯出\r\n"
      "A-3,葉隠,ハガクレ,山本常朝,080442957X,1716,east,貸出中\r\n";
  auto file = parse_holdings(to_cp932(csv), "holdings.csv", kBranches);
  REQUIRE(file.problems.empty());
  REQUIRE(file.rows.size() == 3);
  CHECK(file.rows[0].isbn13 == "9780306406157");
  CHECK(file.rows[1].isbn13 == "9780306406157");  // ISBN-10 and -13: one book
  CHECK(file.rows[0].branch == "central");
  CHECK(file.rows[1].shelf == Shelf::kReference);
  CHECK(file.rows[1].year == 0);
  CHECK(file.rows[2].shelf == Shelf::kOnLoan);
  CHECK(file.rows[2].title_reading == "ハガクレ");
  CHECK(file.rows[2].line == 4);
}

TEST_CASE("every bad row is reported with its line and column; nothing is returned") {
  std::string csv =
      "isbn,title,author,branch,copy_id,status,year\n"
      "978-0-306-40615-8,A,x,central,1,available,2020\n"       // 2: bad check digit (col 1)
      "0306406152,,x,central,2,available,2020\n"               // 3: empty title (col 2)
      "0306406152,B,x,nowhere,3,available,2020\n"              // 4: unknown branch (col 4)
      "9780804429573,C,x,central,3,available,20x0\n"           // 5: copy id again (col 5), year (col 7)
      "9780804429573,C,x,central,4,lost-ish,2020\n"            // 6: unknown status (col 6)
      "9780804429573,D,x,central,5,available,2020\n"           // 7: same ISBN, another title (col 2)
      "9780804429573,C,x\n"                                    // 8: 3 columns, not 7
      "9780804429573,C,x,central,bad id!,available,2020\n";    // 9: copy id (col 5)
  auto file = parse_holdings(csv, "holdings.csv", kBranches);
  CHECK(file.rows.empty());
  std::vector<std::string> want = {
      "holdings.csv:2:1: ISBN-13 978-0-306-40615-8: check digit should be 7",
      "holdings.csv:3:2: the title is empty",
      "holdings.csv:4:4: unknown branch 'nowhere' (the manifest lists the branches)",
      "holdings.csv:5:7: year '20x0' is not a four-digit year",
      "holdings.csv:5:5: copy id '3' is also on line 4",
      "holdings.csv:6:6: unknown status 'lost-ish' (available/貸出可, reference/禁帯出, missing/不明, on_loan/貸出中)",
      "holdings.csv:7:2: ISBN 9780804429573 has title 'C' on line 5, here 'D'",
      "holdings.csv:8:4: expected 7 columns (as the header), found 3",
      "holdings.csv:9:5: copy id 'bad id!' must be 1–32 of [A-Za-z0-9-]",
  };
  CHECK(file.problems == want);
}

TEST_CASE("header problems: missing required columns, unknown and repeated columns, empty files") {
  auto missing = parse_holdings("title,branch\nA,central\n", "h.csv", kBranches);
  REQUIRE(missing.problems.size() == 2);
  CHECK(missing.problems[0] == "h.csv:1:1: the header has no 'isbn' column");
  CHECK(missing.problems[1] == "h.csv:1:1: the header has no 'copy_id' column");
  auto unknown = parse_holdings("isbn,title,branch,copy_id,colour,title\n", "h.csv", kBranches);
  REQUIRE(unknown.problems.size() == 2);
  CHECK(unknown.problems[0] == "h.csv:1:5: unknown column 'colour'");
  CHECK(unknown.problems[1] == "h.csv:1:6: column 'title' appears twice");
  CHECK(parse_holdings("", "h.csv", kBranches).problems.front().starts_with("h.csv: the file is empty"));
  CHECK(parse_holdings("isbn,title,branch,copy_id\n", "h.csv", kBranches).problems ==
        std::vector<std::string>{"h.csv: no copies (only a header row)"});
  auto bad_bytes = parse_holdings("isbn,title,branch,copy_id\n\xff\xff\xff,x,central,1\n", "h.csv", kBranches);
  REQUIRE(bad_bytes.problems.size() == 1);
  CHECK(bad_bytes.problems[0].starts_with("h.csv: "));
}

TEST_CASE("a file with thousands of bad rows lists the first 200 and counts the rest") {
  std::string csv = "isbn,title,branch,copy_id\n";
  for (int i = 0; i < 1000; ++i) csv += "123,x,central," + std::to_string(i) + "\n";
  auto file = parse_holdings(csv, "h.csv", kBranches);
  REQUIRE(file.problems.size() == kMaxProblems + 1);
  CHECK(file.problems.back() == "h.csv: … and 800 more problems");
}
