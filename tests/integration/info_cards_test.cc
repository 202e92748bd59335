// GET /api/v1/me/cards against the real server: each visible mini-app's information card, in the
// resident's home order and language, with links made absolute; a hidden mini-app gives none, a
// mini-app whose hook throws is listed as unavailable and the others still answer; signed-out
// callers are refused.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "tests/support/http_client.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

json::value ok(const Reply& r, unsigned status = 200) {
  REQUIRE_MESSAGE(r.status == status, r.body);
  return r.body.empty() ? json::value() : json::parse(r.body);
}

}  // namespace

TEST_CASE("information cards: home order, locale, absolute links, hidden and failing mini-apps") {
  TestServer s;
  std::filesystem::copy(MACHI_LIBRARY_DEMO, s.dir / "library");
  std::string manifest = manifest_json("demo", "localhost", R"(
    {"id": "library", "name": "図書館", "plugin": "library.so", "order": 10, "data_dir": "library",
     "config": {"branches": [{"id": "central", "name": "中央図書館"}, {"id": "higashiyoka", "name": "東与賀分館"},
                             {"id": "mobile", "name": "移動図書館", "pickup": false}]}},
    {"id": "broken", "name": "壊れたアプリ", "plugin": "hook_throws.so", "order": 20},
    {"id": "notes", "name": "メモ", "plugin": "notes.so", "order": 30})");
  manifest.insert(1, R"("staff_roles": ["library"], )");
  REQUIRE(s.load("m.json", manifest).empty());
  HttpClient c(s.port());
  std::string token(ok(call(c, "POST", "/api/v1/auth/register", "",
                            R"({"login": "hanako@example.jp", "password": "correct horse battery", "display_name": "花子"})"),
                       201).at("access_token").as_string());
  REQUIRE(staff_add(s, "desk@library.example", "library") == 0);
  std::string staff(ok(call(c, "POST", "/api/v1/auth/token", "",
                            R"({"grant_type": "password", "login": "desk@library.example", "password": "staff password 1"})"))
                        .at("access_token").as_string());

  // A library card with a ready hold gives the library a card; notes always has one.
  ok(call(c, "POST", "/apps/library/staff/cards", staff, R"({"card": "5000001", "pin": "1234"})"), 201);
  ok(call(c, "POST", "/apps/library/me/card", token, R"({"card": "5000001", "pin": "1234"})"), 201);
  ok(call(c, "POST", "/apps/library/me/holds", token, R"({"isbn": "9784901010009", "branch": "central"})"), 201);

  auto cards = ok(call(c, "GET", "/api/v1/me/cards", token));
  CHECK(cards.at("locale").as_string() == "ja");
  auto list = cards.at("cards").as_array();
  REQUIRE(list.size() == 2);
  CHECK(list[0].at("app").as_string() == "library");  // manifest order: library, (broken), notes
  CHECK(list[0].at("app_name").as_string() == "図書館");
  CHECK(list[0].at("body").as_string() == "予約の本が1冊 受け取れます");
  CHECK(list[0].at("link").as_string() == "/apps/library/me");
  CHECK(list[1].at("app").as_string() == "notes");
  CHECK(list[1].at("title").as_string() == "メモ 0 件");
  CHECK(list[1].at("link").as_string() == "/apps/notes/");
  REQUIRE(cards.at("unavailable").as_array().size() == 1);
  CHECK(cards.at("unavailable").at(0).as_string() == "broken");

  auto english = ok(call(c, "GET", "/api/v1/me/cards?locale=en", token));
  CHECK(english.at("cards").at(0).at("body").as_string() == "1 hold ready for pickup");
  CHECK(english.at("cards").at(1).at("title").as_string() == "0 notes");
  CHECK(call(c, "GET", "/api/v1/me/cards?locale=%3Cscript%3E", token).status == 400);

  // The resident's own order, with library hidden: only notes remains.
  ok(call(c, "PUT", "/api/v1/me/apps", token,
          R"({"apps": [{"id": "notes"}, {"id": "broken"}, {"id": "library", "hidden": true}]})"));
  auto reordered = ok(call(c, "GET", "/api/v1/me/cards", token)).at("cards").as_array();
  REQUIRE(reordered.size() == 1);
  CHECK(reordered[0].at("app").as_string() == "notes");

  CHECK(call(c, "GET", "/api/v1/me/cards", "").status == 401);
  CHECK(call(c, "POST", "/api/v1/me/cards", token).status == 405);
  // The failing hook did not stop the mini-app's requests.
  CHECK(call(c, "GET", "/apps/notes/whoami", token).status == 200);
}
