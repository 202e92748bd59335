// machi/sdk/text.h, csv_table.h and dates.h: Japanese search folding, the LIKE patterns built from a query,
// open-data tables with a header row,
// and local calendar dates.
#include <doctest/doctest.h>

#include <machi/sdk/dates.h>
#include <machi/sdk/text.h>
#include <machi/sdk/csv_table.h>

#include <algorithm>

using namespace machi::sdk;

TEST_CASE("search folding: width, katakana/hiragana and case variants fold to one text") {
  CHECK(fold("ペットボトル") == "ぺっとぼとる");
  CHECK(fold("ﾍﾟｯﾄﾎﾞﾄﾙ") == "ぺっとぼとる");
  CHECK(fold("ぺっとぼとる") == "ぺっとぼとる");
  CHECK(fold("ＰＣ　Ｃａｓｅ") == "pc case");
  CHECK(fold("") == "");
}

TEST_CASE("a query splits into folded words on any space; LIKE metacharacters are escaped") {
  auto words = search_words("  ﾊﾘｰ　ポッター  ＪＫ ");
  REQUIRE(words.size() == 3);
  CHECK(words[0] == fold("ハリー"));  // ICU spells the long-vowel mark out: はりい
  CHECK(words[0] == fold("はりー"));
  CHECK(words[1] == fold("ポッター"));
  CHECK(words[2] == "jk");
  CHECK(search_words("　 ").empty());
  CHECK(like_contains("100%_a\\b") == "%100\\%\\_a\\\\b%");
}

TEST_CASE("dates: only real YYYY-MM-DD dates parse; day arithmetic crosses months and years") {
  CHECK(parse_date("2026-02-28"));
  CHECK_FALSE(parse_date("2026-02-29"));
  CHECK(parse_date("2028-02-29"));
  CHECK_FALSE(parse_date("2026-13-01"));
  CHECK_FALSE(parse_date("2026-1-01"));
  CHECK_FALSE(parse_date("2026-01-0x"));
  CHECK(add_days("2026-12-30", 3) == "2027-01-02");
  CHECK(add_days("2028-03-01", -1) == "2028-02-29");
  CHECK(weekday_of("2026-11-27") == 5);  // a Friday
  CHECK(weekday_of("2026-11-22") == 0);  // a Sunday
  CHECK(is_time_of_day("09:00"));
  CHECK(is_time_of_day("23:59"));
  CHECK_FALSE(is_time_of_day("24:00"));
  CHECK_FALSE(is_time_of_day("9:00"));
  CHECK_FALSE(is_time_of_day("09:60"));
  CHECK_FALSE(is_time_of_day("0900 "));
  CHECK(day_label("2026-11-27", false) == "11月27日(金)");
  CHECK(day_label("2027-01-03", true) == "Sun 3 Jan");
}

TEST_CASE("csv_table: columns by folded alias in any order, short rows and unknown columns located, a cap on problems") {
  std::vector<CsvColumn> columns = {{"id", {"番号"}, true}, {"name", {"名前"}, true}, {"note", {}}};
  CsvTable table("ＮＡＭＥ,番号\nはな,1\nたろう\n,3\n", "f.csv", columns);
  REQUIRE(table.ok());
  std::vector<std::string> ids;
  while (table.next()) {
    ids.push_back(table.cell(0));
    if (table.cell(1).empty()) table.problem(1, "the name is empty");
    CHECK_FALSE(table.has(2));
    CHECK(table.cell(2).empty());
  }
  CHECK(ids == std::vector<std::string>{"1", "3"});
  auto problems = table.problems();
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] == "f.csv:3:2: expected 2 columns (as the header), found 1");
  CHECK(problems[1] == "f.csv:4:1: the name is empty");

  CsvTable header("id,colour,id\n", "h.csv", columns);
  CHECK_FALSE(header.ok());
  CHECK_FALSE(header.next());
  auto h = header.problems();
  CHECK(std::find(h.begin(), h.end(), "h.csv:1:2: unknown column 'colour'") != h.end());
  CHECK(std::find(h.begin(), h.end(), "h.csv:1:3: column 'id' appears twice") != h.end());
  CHECK(std::find(h.begin(), h.end(), "h.csv:1:1: the header has no 'name' column") != h.end());

  std::string many = "id,name\n";
  for (int i = 0; i < 10; ++i) many += "x\n";
  CsvTable capped(many, "c.csv", columns, 3);
  while (capped.next()) {
  }
  auto c = capped.problems();
  REQUIRE(c.size() == 4);
  CHECK(c.back() == "c.csv: … and 7 more problems");
  CHECK(CsvTable("\xff\xfe", "b.csv", columns).problems().at(0).starts_with("b.csv: line 1: invalid"));
}

TEST_CASE("csv_table: a file that does not decode reports it, and asking for columns is safe") {
  // Found by the disaster_files fuzz harness: has() read past an empty column map.
  machi::sdk::CsvTable t(std::string_view("\x82\xa0\xff\xfe,\x80", 6), "sites.csv",
                         {{"名称", {}, true}, {"緯度", {}, true}});
  CHECK_FALSE(t.ok());
  CHECK_FALSE(t.has(0));
  CHECK_FALSE(t.has(1));
  CHECK_FALSE(t.next());
  REQUIRE(t.has_problems());
  CHECK(t.problems()[0].starts_with("sites.csv: "));
}
