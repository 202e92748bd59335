// The disaster engine without the runtime: distances and bearings against known values, both
// national site layouts (UTF-8 and CP932) and precise problems for bad rows, learning content
// with per-item fallback to the Japanese base, and photos rewritten without their metadata.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "geo.h"
#include "learning.h"
#include "photo.h"
#include "sites.h"
#include "tests/plugins/disaster_learning/test_images.h"
#include "tests/support/test_files.h"

using namespace disaster;
using namespace machi::test;

namespace {
std::string demo(const std::string& name) { return read_file(std::filesystem::path(MACHI_DISASTER_DEMO) / name); }
bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }
const Site* by_name(const SitesFile& f, const std::string& name) {
  for (const Site& s : f.sites) {
    if (s.name == name) return &s;
  }
  return nullptr;
}
}  // namespace

TEST_CASE("distance and bearing on the sphere, compass names") {
  // One degree of arc on the mean-radius sphere: 6371008.8 * pi / 180 = 111195.08 m.
  CHECK(distance_m({0, 0}, {0, 1}) == doctest::Approx(111195.08).epsilon(1e-6));
  CHECK(distance_m({0, 0}, {1, 0}) == doctest::Approx(111195.08).epsilon(1e-6));
  CHECK(distance_m({33.25, 130.3}, {33.25, 130.3}) == 0);
  // Saga City Hall to Saga Station: 0.0149° of latitude north, about 1.66 km.
  double d = distance_m({33.2494, 130.2988}, {33.2643, 130.2973});
  CHECK(d > 1600);
  CHECK(d < 1700);
  CHECK(bearing_deg({0, 0}, {1, 0}) == doctest::Approx(0));
  CHECK(bearing_deg({0, 0}, {0, 1}) == doctest::Approx(90));
  CHECK(bearing_deg({0, 0}, {-1, 0}) == doctest::Approx(180));
  CHECK(bearing_deg({0, 0}, {0, -1}) == doctest::Approx(270));
  CHECK(compass_en(0) == "N");
  CHECK(compass_en(11.2) == "N");
  CHECK(compass_en(11.3) == "NNE");
  CHECK(compass_en(45) == "NE");
  CHECK(compass_en(348.8) == "N");
  CHECK(compass_en(348.7) == "NNW");
  CHECK(compass_ja(135) == "南東");
  CHECK(compass_ja(292.5) == "西北西");
}

TEST_CASE("the GSI download layout imports evacuation sites with their hazards") {
  SitesFile f = parse_sites(demo("evacuation_sites.csv"), "evacuation_sites.csv", SiteKind::kEvacuationSite);
  REQUIRE_MESSAGE(f.problems.empty(), f.problems.front());
  CHECK(f.layout == "gsi");
  REQUIRE(f.sites.size() == 9);
  const Site* kanko = by_name(f, "勧興小学校");
  REQUIRE(kanko);
  CHECK(kanko->id == "e-4120100001");
  CHECK(kanko->kind == SiteKind::kEvacuationSite);
  CHECK(kanko->point.latitude == doctest::Approx(33.254));
  CHECK(kanko->accepts(Hazard::kFlood));
  CHECK(kanko->accepts(Hazard::kTsunami));
  CHECK_FALSE(kanko->accepts(Hazard::kLandslide));
  CHECK(kanko->also_other);
  CHECK(kanko->note == "校舎3階以上");
  const Site* park = by_name(f, "佐賀城公園");
  REQUIRE(park);
  CHECK(park->hazards == ((1u << static_cast<unsigned>(Hazard::kEarthquake)) | (1u << static_cast<unsigned>(Hazard::kFire))));
  CHECK_FALSE(park->also_other);

  // The same file as Shift_JIS (CP932), as many city sites still publish it.
  SitesFile sjis = parse_sites(to_cp932(demo("evacuation_sites.csv")), "sjis.csv", SiteKind::kEvacuationSite);
  REQUIRE_MESSAGE(sjis.problems.empty(), sjis.problems.front());
  CHECK(sjis.sites.size() == 9);
  CHECK(by_name(sjis, "佐賀県総合運動場"));
}

TEST_CASE("the recommended open-data layout imports shelters with capacity and English names") {
  SitesFile f = parse_sites(demo("shelters.csv"), "shelters.csv", SiteKind::kShelter);
  REQUIRE_MESSAGE(f.problems.empty(), f.problems.front());
  CHECK(f.layout == "recommended");
  REQUIRE(f.sites.size() == 7);
  const Site* kanko = by_name(f, "勧興小学校");
  REQUIRE(kanko);
  CHECK(kanko->id == "s-4120100001");
  CHECK(kanko->capacity == 320);
  CHECK(kanko->name_en == "Kanko Elementary School");
  CHECK(kanko->kana == "カンコウショウガッコウ");
  CHECK(kanko->hazards == 0);  // hazards come from the linked evacuation site
  const Site* library = by_name(f, "佐賀市立図書館");
  REQUIRE(library);
  CHECK(library->accepts(Hazard::kFlood));
  CHECK_FALSE(library->accepts(Hazard::kVolcano));

  // The recommended layout is also how evacuation sites are published: it imports as those too.
  SitesFile as_sites = parse_sites(demo("shelters.csv"), "shelters.csv", SiteKind::kEvacuationSite);
  REQUIRE_MESSAGE(as_sites.problems.empty(), as_sites.problems.front());
  CHECK(as_sites.sites.front().id == "e-4120100001");
}

TEST_CASE("bad site rows are refused with file, line and column") {
  std::string header = "NO,共通ID,施設・場所名,住所,洪水,崖崩れ、土石流及び地滑り,高潮,地震,津波,大規模な火事,内水氾濫,火山現象,指定避難所との住所同一,緯度,経度,備考\n";
  std::string good = "1,A1,公民館,佐賀市1-1,1,,,1,,,,,,33.25,130.30,\n";
  SitesFile f = parse_sites(header + good + "2,A2,体育館,佐賀市2-2,1,,,1,,,,,,95.1,130.30,\n" +
                                "3,A3,公園,佐賀市3-3,はい,,,1,,,,,,33.2,130.3,\n" + "4,A1,重複,佐賀市4-4,1,,,,,,,,,33.2,130.3,\n" +
                                "5,A5,,佐賀市5,1,,,,,,,,,33.2,130.3,\n" + "6,A6,座標なし,佐賀市6,1,,,,,,,,,0,0,\n",
                            "sites.csv", SiteKind::kEvacuationSite);
  REQUIRE(f.problems.size() == 5);
  CHECK(f.problems[0] == "sites.csv:3:14: '95.1' is not a latitude in decimal degrees (-90 to 90)");
  CHECK(f.problems[1] == "sites.csv:4:5: 'はい' is not a mark (1 or ○ for yes, blank for no)");
  CHECK(f.problems[2] == "sites.csv:5:2: the site 'A1' is listed twice");
  CHECK(f.problems[3] == "sites.csv:6:3: the name is empty");
  CHECK(f.problems[4] == "sites.csv:7:14: the coordinates are 0, 0 (missing)");

  // An evacuation-site file must say which hazards each site accepts.
  SitesFile no_hazards = parse_sites("名称,所在地_連結表記,緯度,経度\n公民館,佐賀市1-1,33.25,130.30\n", "x.csv", SiteKind::kEvacuationSite);
  REQUIRE_FALSE(no_hazards.problems.empty());
  CHECK(no_hazards.problems.front() == "x.csv:1:1: the header has no '洪水' column");
  // A shelter file need not; other columns of the national layout are skipped.
  SitesFile shelters = parse_sites("ID,名称,所在地_連結表記,緯度,経度,電話番号,想定収容人数\nB1,公民館,佐賀市1-1,33.25,130.30,0952,８０人\n",
                                   "y.csv", SiteKind::kShelter);
  REQUIRE_MESSAGE(shelters.problems.empty(), shelters.problems.front());
  CHECK(shelters.sites.at(0).capacity == 80);  // full-width digits and 人 read
  CHECK(parse_sites("", "e.csv", SiteKind::kShelter).problems.front().starts_with("e.csv: the file is empty"));
  CHECK(parse_sites("ID,名称,所在地_連結表記,緯度,経度\n", "h.csv", SiteKind::kShelter).problems.front() == "h.csv: the file lists no sites");
}

TEST_CASE("learning content: Japanese base, translations per item, answers from the base") {
  std::vector<machi::sdk::ConfigProblem> problems;
  auto ja = parse_learning(demo("learning.ja.json"), "ja", true, problems);
  auto en = parse_learning(demo("learning.en.json"), "en", false, problems);
  auto easy = parse_learning(demo("learning.ja-easy.json"), "ja-easy", false, problems);
  REQUIRE_MESSAGE(problems.empty(), (problems.empty() ? std::string() : problems.front().path + ": " + problems.front().message));
  Learning learning({{"ja", std::make_shared<const LearningFile>(*ja)},
                     {"en", std::make_shared<const LearningFile>(*en)},
                     {"ja-easy", std::make_shared<const LearningFile>(*easy)}});
  REQUIRE(learning.has_base());
  CHECK(learning.article("earthquake-shaking", "ja-easy")->title == "じしん（地震）が おきたら");
  CHECK(learning.article("landslide-signs", "ja-easy")->title == "土砂災害の前ぶれ");  // not translated: the base
  CHECK(learning.article("kids-flood", "en")->title == "おおあめのときのやくそく");
  CHECK(learning.article("kids-flood", "en-GB")->title == "おおあめのときのやくそく");
  CHECK(learning.article("flood-prepare", "en-GB")->title == "Preparing for heavy rain and floods");
  CHECK(learning.articles("en").size() == 6);
  CHECK(learning.quiz("flood-basics", "en")->title == "Flood basics");
  CHECK(learning.base_quiz("flood-basics")->questions[0].answer == 2);
  auto list = learning.checklist("flood", "en");
  REQUIRE(list.size() == 9);
  CHECK(list.front().starts_with("Drinking water"));
  CHECK(list.back() == "Plastic bags (keep valuables dry)");
  CHECK(learning.checklist("landslide", "en").back() == "ヘルメットまたは帽子");  // no English list: the base
  CHECK(learning.warnings().empty());

  // A translation with another shape is not used, and the staff page says so.
  std::string other = R"({"format": 1, "articles": [], "quizzes": [{"id": "flood-basics", "hazard": "flood", "title": "Wrong",
    "questions": [{"text": "Only one?", "choices": ["a", "b"]}]}, {"id": "nope", "title": "x",
    "questions": [{"text": "q", "choices": ["a", "b"], "answer": 1}]}], "checklists": {"common": ["one item"]}})";
  auto fr = parse_learning(other, "fr", false, problems);
  REQUIRE(fr);
  Learning mixed({{"ja", std::make_shared<const LearningFile>(*ja)}, {"fr", std::make_shared<const LearningFile>(*fr)}});
  CHECK(mixed.quiz("flood-basics", "fr")->title == "洪水の基礎知識");
  CHECK(mixed.checklist("flood", "fr").front().starts_with("飲料水"));
  auto warnings = mixed.warnings();
  REQUIRE(warnings.size() == 3);
  CHECK(warnings[0] == "fr: quiz 'flood-basics' has other questions, choices or answers than the Japanese base; the base is shown");
  CHECK(warnings[1] == "fr: quiz 'nope' is not in the Japanese base");
}

TEST_CASE("malformed learning files: every problem with its JSON pointer") {
  std::vector<machi::sdk::ConfigProblem> problems;
  auto bad = parse_learning(R"({"format": 1, "articles": [{"id": "a", "hazard": "meteor", "title": "t", "steps": []},
      {"id": "a", "title": "u", "steps": ["x"], "track": "adults"}],
    "quizzes": [{"id": "q", "title": "t", "questions": [{"text": "?", "choices": ["a", "b"], "answer": 2},
                                                         {"text": "?", "choices": ["a", "b"]}]}],
    "checklists": {"flood": ["x"], "snow": ["y"]}})", "ja", true, problems);
  CHECK_FALSE(bad);
  std::vector<std::string> got;
  for (const auto& p : problems) got.push_back(p.path + ": " + p.message);
  REQUIRE(got.size() == 8);
  CHECK(got[0].starts_with("/articles/0/hazard: 'meteor' is not a hazard"));
  CHECK(got[1] == "/articles/0/steps: must list at least 1 entry");
  CHECK(got[2] == "/articles/1/id: 'a' is used twice");
  CHECK(got[3] == "/articles/1/track: must be \"general\" or \"children\"");
  CHECK(got[4] == "/quizzes/0/questions/0/answer: must be the index of one of the choices (0–1)");
  CHECK(got[5] == "/quizzes/0/questions/1/answer: is required");
  CHECK(got[6] == "/checklists/snow: 'snow' is not \"common\" or a hazard id");
  CHECK(got[7] == "/checklists/common: is required (what to take for every hazard)");
  problems.clear();
  CHECK_FALSE(parse_learning("{\"format\": 1,", "ja", true, problems));
  CHECK(problems.at(0).message.starts_with("invalid JSON at byte"));
  problems.clear();
  CHECK_FALSE(parse_learning(R"({"format": 1, "locale": "en", "articles": [], "checklists": {"common": ["x"]}})", "ja", true, problems));
  CHECK(problems.at(0).path == "/locale");
}

TEST_CASE("a JPEG loses its Exif, XMP, IPTC, comment and trailer but keeps its orientation") {
  std::string original = jpeg(640, 480);
  REQUIRE(contains(original, "SECRET-GPS"));
  std::string error;
  auto clean = clean_image(original, error);
  REQUIRE_MESSAGE(clean, error);
  CHECK(clean->type == "image/jpeg");
  CHECK(clean->width == 640);
  CHECK(clean->height == 480);
  CHECK(clean->orientation == 6);
  CHECK(clean->removed == std::vector<std::string>{"Exif", "IPTC", "XMP", "comment"});
  CHECK_FALSE(contains(clean->bytes, "SECRET"));
  CHECK(clean->bytes.ends_with("\xff\xd9"));
  CHECK(clean->bytes.size() < original.size());
  // The kept orientation is an Exif block of its own right after JFIF; cleaning again changes nothing.
  CHECK(clean->bytes.substr(20, 10) == std::string("\xff\xe1\x00\x22" "Exif\0\0", 10));
  auto again = clean_image(clean->bytes, error);
  REQUIRE(again);
  CHECK(again->bytes == clean->bytes);
  CHECK(again->orientation == 6);
  // Upright photos carry no Exif at all; a photo without metadata comes back byte for byte.
  auto upright = clean_image(jpeg(64, 48, true, 1), error);
  REQUIRE(upright);
  CHECK_FALSE(contains(upright->bytes, "Exif"));
  CHECK(clean_image(jpeg(64, 48, false), error)->bytes == jpeg(64, 48, false));
}

TEST_CASE("a PNG keeps only image and colour chunks") {
  std::string error;
  auto clean = clean_image(png(32, 16), error);
  REQUIRE_MESSAGE(clean, error);
  CHECK(clean->type == "image/png");
  CHECK(clean->width == 32);
  CHECK(clean->height == 16);
  CHECK(clean->removed == std::vector<std::string>{"eXIf", "tEXt", "tIME"});
  CHECK_FALSE(contains(clean->bytes, "SECRET"));
  CHECK(clean->bytes == png(32, 16, false));
}

TEST_CASE("what is not a whole, reasonable image is refused with the reason") {
  std::string error;
  CHECK_FALSE(clean_image("GIF89a....", error));
  CHECK(error == "not a JPEG or PNG image");
  CHECK_FALSE(clean_image("<svg xmlns='http://www.w3.org/2000/svg'/>", error));
  std::string j = jpeg();
  CHECK_FALSE(clean_image(j.substr(0, j.size() / 2), error));
  CHECK(error.starts_with("malformed JPEG"));
  std::string no_end = jpeg(64, 48, false);
  CHECK_FALSE(clean_image(no_end.substr(0, no_end.size() - 2), error));
  CHECK(error == "truncated JPEG: no end marker");
  CHECK_FALSE(clean_image(jpeg(20000, 100), error));
  CHECK(error.starts_with("the image is 20000×100 pixels"));
  CHECK_FALSE(clean_image(png(8000, 8000), error));  // 64 million pixels
  std::string p = png(32, 16, false);
  CHECK_FALSE(clean_image(p.substr(0, p.size() - 12), error));
  CHECK(error == "truncated PNG: no IEND chunk");
  CHECK_FALSE(clean_image(p.substr(0, 8) + png_chunk("IDAT", "x") + png_chunk("IEND", ""), error));
  CHECK(error == "malformed PNG: the first chunk is not IHDR");
}
