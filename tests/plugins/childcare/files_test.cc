// The childcare data files a municipality maintains: the nursery list (CSV, UTF-8 or CP932,
// Japanese or English header) and the information items (JSON), each refused as a whole with
// every problem located.
#include "nurseries.h"

#include <doctest/doctest.h>

#include "info.h"
#include "tests/support/test_files.h"

using namespace childcare;

namespace {

std::string joined(const std::vector<std::string>& problems) {
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  return all;
}

}  // namespace

TEST_CASE("nurseries: the demo list reads; classes not taken are empty cells") {
  NurseriesFile file = parse_nurseries(machi::test::read_file(MACHI_CHILDCARE_DEMO "/nurseries.csv"), "nurseries.csv");
  INFO(joined(file.problems));
  REQUIRE(file.problems.empty());
  REQUIRE(file.rows.size() == 5);
  const Facility& umi = file.rows[3];
  CHECK(umi.id == "umi");
  CHECK(umi.district == "南部");
  CHECK(umi.vacancies[2] == 1);
  CHECK_FALSE(umi.vacancies[3]);
  CHECK(file.rows[0].latitude == doctest::Approx(33.2494));
}

TEST_CASE("nurseries: CP932 with an English header in another order") {
  std::string csv = "name,id,district,address,latitude,longitude,class_5,class_4,class_3,class_2,class_1,class_0\r\n"
                    "わかば園,wakaba,西部,デモ市西1-1,33.1,130.2,1,,,,,3\r\n";
  NurseriesFile file = parse_nurseries(machi::test::to_cp932(csv), "upload");
  INFO(joined(file.problems));
  REQUIRE(file.rows.size() == 1);
  CHECK(file.rows[0].name == "わかば園");
  CHECK(file.rows[0].vacancies[0] == 3);
  CHECK(file.rows[0].vacancies[5] == 1);
  CHECK_FALSE(file.rows[0].vacancies[1]);
}

TEST_CASE("nurseries: every bad cell is named by line and column, and nothing is kept") {
  std::string csv =
      "施設ID,施設名,地区,所在地,緯度,経度,0歳児,1歳児,2歳児,3歳児,4歳児,5歳児\n"
      "a,A園,中央,住所,33.2,130.3,1,2,3,4,5,6\n"
      "a,B園,中央,住所,33.2,130.3,1,,,,,\n"        // duplicate id
      "Bad Id,,中央,住所,95,130.3,x,,,,,\n"          // id, name, latitude, class 0
      "c,C園,中央,住所,33.2,200,,,,,,\n"            // longitude, no class
      "d,D園,中央\n";                                // short row
  NurseriesFile file = parse_nurseries(csv, "nurseries.csv");
  std::string all = joined(file.problems);
  CAPTURE(all);
  CHECK(file.rows.empty());
  CHECK(all.find("nurseries.csv:3:1: id 'a' is also on line 2") != std::string::npos);
  CHECK(all.find("nurseries.csv:4:1: id 'Bad Id' must be 1–32 of [a-z0-9_-]") != std::string::npos);
  CHECK(all.find("nurseries.csv:4:2: the name is empty") != std::string::npos);
  CHECK(all.find("nurseries.csv:4:5: latitude '95' is not a number in -90…90") != std::string::npos);
  CHECK(all.find("nurseries.csv:4:7: vacancies 'x' must be a whole number") != std::string::npos);
  CHECK(all.find("nurseries.csv:5:6: longitude '200'") != std::string::npos);
  CHECK(all.find("nurseries.csv:5:7: the facility takes no age class") != std::string::npos);
  CHECK(all.find("nurseries.csv:6:4: expected 12 columns (as the header), found 3") != std::string::npos);

  NurseriesFile header = parse_nurseries("id,name,color\n", "x.csv");
  std::string h = joined(header.problems);
  CHECK(h.find("x.csv:1:3: unknown column 'color'") != std::string::npos);
  CHECK(h.find("x.csv:1:1: the header has no 'district' column") != std::string::npos);
  CHECK(joined(parse_nurseries("", "e.csv").problems).find("e.csv: the file is empty") != std::string::npos);
  CHECK(joined(parse_nurseries("\xff\xfe\x00", "b.csv").problems).find("b.csv: line 1: invalid") != std::string::npos);
}

TEST_CASE("information items: the demo file reads and matches by age; a bad file is refused with pointers") {
  std::vector<machi::sdk::ConfigProblem> problems;
  auto items = parse_info(machi::test::read_file(MACHI_CHILDCARE_DEMO "/info.json"), problems);
  REQUIRE(items);
  Days birth = *machi::sdk::parse_date("2026-07-01");
  std::vector<std::string> at_four_months;
  for (const auto& item : *items) {
    if (applies(item, birth, *machi::sdk::parse_date("2026-11-05"))) at_four_months.push_back(item.id);
  }
  CHECK(at_four_months == std::vector<std::string>{"kenshin-4m", "nursery-apply"});
  CHECK((*items)[0].title.in("en") == "Birth registration and child allowance");
  CHECK((*items)[0].title.in("ja-easy") == "うまれたら とどけでを しましょう");
  CHECK((*items)[2].title.in("ja-easy") == "離乳食教室");  // falls back to Japanese

  problems.clear();
  CHECK_FALSE(parse_info(R"({"format": 1, "items": [{"id": "x", "title": "T", "body": "B", "ages": {"from": "1y"}, "link": "http://a"},
                                                     {"id": "x", "title": "", "body": "B", "ages": {"from": "0d", "until": "1y"}}]})",
                         problems));
  std::string all;
  for (const auto& p : problems) all += p.path + ": " + p.message + "\n";
  CAPTURE(all);
  CHECK(all.find("/items/0/ages/until: is required") != std::string::npos);
  CHECK(all.find("/items/0/link: must be an https:// address") != std::string::npos);
  CHECK(all.find("/items/1/id: 'x' is used twice") != std::string::npos);
  CHECK(all.find("/items/1/title: must be a non-empty string") != std::string::npos);
}
