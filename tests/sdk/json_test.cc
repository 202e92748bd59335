#include "machi/sdk/json.h"

#include <doctest/doctest.h>

using namespace machi::sdk;

TEST_CASE("parse_json reports where the text stops being JSON") {
  std::string error;
  CHECK(parse_json(R"({"a":1})", error).has_value());
  CHECK_FALSE(parse_json(R"({"a":})", error).has_value());
  CHECK(error.find("byte 5") != std::string::npos);
}

TEST_CASE("ConfigReader collects every problem with its JSON pointer") {
  std::string error;
  auto config = parse_json(R"({"name": 3, "limit": 900, "nested": {"on": "yes"},
                               "list": {}, "a/b": "x"})", error);
  std::vector<ConfigProblem> problems;
  ConfigReader reader(*config, problems);
  CHECK(reader.string("name", "fallback") == "fallback");
  CHECK(reader.integer("limit", 10, 1, 100) == 10);
  CHECK(reader.string("missing", "d", true) == "d");
  auto nested = reader.object("nested");
  REQUIRE(nested);
  CHECK(nested->boolean("on", false) == false);
  CHECK(reader.array("list") == nullptr);
  CHECK(reader.string("a/b", "") == "x");
  reader.problem("a/b", "custom");
  REQUIRE(problems.size() == 6);
  CHECK(problems[0].path == "/name");
  CHECK(problems[0].message == "must be a string");
  CHECK(problems[1].path == "/limit");
  CHECK(problems[1].message == "must be between 1 and 100");
  CHECK(problems[2].path == "/missing");
  CHECK(problems[2].message == "is required");
  CHECK(problems[3].path == "/nested/on");
  CHECK(problems[4].path == "/list");
  CHECK(problems[5].path == "/a~1b");
}

TEST_CASE("ConfigReader on a non-object says so at its own pointer") {
  std::vector<ConfigProblem> problems;
  ConfigReader reader(boost::json::value(boost::json::array{}), problems, "/x");
  CHECK(reader.string("a", "d") == "d");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].path == "/x");
}

TEST_CASE("ConfigReader::strings reports each bad element and a short list") {
  std::string error;
  auto config = parse_json(R"({"areas": ["本庄町", "", 3], "none": []})", error);
  std::vector<ConfigProblem> problems;
  ConfigReader reader(*config, problems);
  CHECK(reader.strings("areas") == std::vector<std::string>{"本庄町"});
  CHECK(reader.strings("none", true, 1).empty());
  CHECK(reader.strings("missing", true).empty());
  REQUIRE(problems.size() == 4);
  CHECK(problems[0].path == "/areas/1");
  CHECK(problems[1].path == "/areas/2");
  CHECK(problems[2].path == "/none");
  CHECK(problems[2].message == "must list at least 1 entry");
  CHECK(problems[3].path == "/missing");
}

TEST_CASE("config ids are 1-32 of [a-z0-9_-]") {
  CHECK(machi::sdk::is_config_id("central"));
  CHECK(machi::sdk::is_config_id("honcho_2-b"));
  CHECK_FALSE(machi::sdk::is_config_id(""));
  CHECK_FALSE(machi::sdk::is_config_id("Central"));
  CHECK_FALSE(machi::sdk::is_config_id("a/b"));
  CHECK_FALSE(machi::sdk::is_config_id(std::string(33, 'a')));
}

TEST_CASE("to_json_text: plain decimals that read back as the same double; the rest as Boost writes it") {
  using machi::sdk::to_json_text;
  for (double d : {33.2494, 130.2988, 0.1, -0.5, 1e-7, 123456789.125, 1e21, -180.0, 5e-324}) {
    std::string text = to_json_text(boost::json::value(d));
    CAPTURE(text);
    CHECK(text.find_first_of("eE") == std::string::npos);
    CHECK(boost::json::parse(text).as_double() == d);
  }
  CHECK(to_json_text(boost::json::value(33.2494)) == "33.2494");
  CHECK(to_json_text(boost::json::value(1.5)) == "1.5");  // Boost: 1.5E0
  CHECK(to_json_text(boost::json::value(130.0)) == "130.0");
  CHECK(boost::json::parse(to_json_text(boost::json::value(-180.0))).is_double());
  CHECK(to_json_text(boost::json::value(std::nan(""))) == "null");
  boost::json::value mixed = {{"s", "引用符\"と\\改行\n"}, {"n", 7}, {"u", 18446744073709551615ULL}, {"b", true},
                              {"z", nullptr}, {"a", boost::json::array{-3, "x"}}};
  CHECK(to_json_text(mixed) == boost::json::serialize(mixed));  // only doubles are written differently
  CHECK(boost::json::parse(to_json_text(mixed)) == mixed);
}

TEST_CASE("LocalizedText: a string or per-locale object with ja; falls back by language, then ja") {
  std::vector<machi::sdk::ConfigProblem> problems;
  auto doc = boost::json::parse(R"({"a": "こんにちは", "b": {"ja": "地震", "en": "Earthquake", "ja-easy": "じしん"},
                                   "c": {"en": "only English"}, "d": {"ja": ""}})");
  machi::sdk::ConfigReader r(doc, problems);
  auto a = machi::sdk::read_localized(r, "a", true);
  auto b = machi::sdk::read_localized(r, "b", true);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->in("en") == "こんにちは");
  CHECK(b->in("en-GB") == "Earthquake");
  CHECK(b->in("ja-easy") == "じしん");
  CHECK(b->in("ja-x-unknown") == "地震");
  CHECK(b->in("fr") == "地震");
  CHECK_FALSE(machi::sdk::read_localized(r, "c", true));
  CHECK_FALSE(machi::sdk::read_localized(r, "d", true));
  CHECK_FALSE(machi::sdk::read_localized(r, "e", true));
  REQUIRE(problems.size() == 3);
  CHECK(problems[0].path == "/c");
  CHECK(problems[1].path == "/d");
  CHECK(problems[2].message == "is required");
}

TEST_CASE("valid_utf8 keeps well-formed text and replaces every ill-formed byte with U+FFFD") {
  using machi::sdk::is_valid_utf8;
  using machi::sdk::valid_utf8;
  CHECK(valid_utf8("今宿町 abc") == "今宿町 abc");
  CHECK(is_valid_utf8("\xf0\x9f\x97\xbe"));                          // U+1F5FE, four bytes
  CHECK(valid_utf8("a\xff" "b") == "a\xef\xbf\xbd" "b");               // not a lead byte
  CHECK(valid_utf8("\xe5\xb7") == "\xef\xbf\xbd\xef\xbf\xbd");    // truncated sequence
  CHECK(valid_utf8("\xc0\xaf") == "\xef\xbf\xbd\xef\xbf\xbd");    // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));                        // a surrogate
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));                   // above U+10FFFF
  CHECK(is_valid_utf8(valid_utf8("\x80\xe3\x81\x82\xe3\x81")));
}

TEST_CASE("to_json_text writes valid JSON even for ill-formed strings and keys") {
  boost::json::object o{{"message", "no area '\xe5\xb7\x9d\xe5' here"}, {"k\xff", 1}};
  std::string text = machi::sdk::to_json_text(o);
  boost::system::error_code ec;
  auto back = boost::json::parse(text, ec);
  REQUIRE_FALSE(ec);
  CHECK(back.at("message").as_string() == "no area '\xe5\xb7\x9d\xef\xbf\xbd' here");
  CHECK(back.as_object().contains("k\xef\xbf\xbd"));
}
