// machi/sdk/text.h and dates.h: Japanese search folding, the LIKE patterns built from a query,
// and local calendar dates.
#include <doctest/doctest.h>

#include <machi/sdk/dates.h>
#include <machi/sdk/text.h>

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
