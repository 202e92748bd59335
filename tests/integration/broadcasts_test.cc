// Broadcasts against the real server: operators preview and send municipality notices to an
// audience defined by attributes (district, age, children, audience, language); audiences below
// the manifest's minimum are refused with nothing written; each resident gets one copy however
// often the request is repeated; open streams hear it; delivery and open rate are readable.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <sqlite3.h>

#include "tests/support/http_client.h"
#include "tests/support/sse_client.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

json::value parse(const Reply& r) { return json::parse(r.body); }

std::string token_of(const Reply& r) { return std::string(parse(r).at("access_token").as_string()); }

struct Town {
  TestServer s;
  std::unique_ptr<HttpClient> c;
  std::map<std::string, std::string> residents;  // login → token
  std::string operator_token;

  Town() {
    std::string manifest = manifest_json("demo", "localhost", R"({"id": "notes-a", "name": "A", "plugin": "notes.so"})");
    manifest.insert(1, R"("districts": [{"id": "honjo", "name": "本庄町"}, {"id": "nabeshima", "name": "鍋島町"}],
      "staff_roles": ["operator", "counter"], "broadcasts": {"minimum_audience": 3}, )");
    REQUIRE(s.load("m.json", manifest).empty());
    c = std::make_unique<HttpClient>(s.port());
    auto add = [&](const std::string& login, const std::string& district, const std::string& household) {
      Reply r = call(*c, "POST", "/api/v1/auth/register", "",
                     R"({"login": ")" + login + R"(", "password": "correct horse battery", "display_name": "R"})");
      REQUIRE_MESSAGE(r.status == 201, r.body);
      residents[login] = token_of(r);
      Reply p = call(*c, "PATCH", "/api/v1/me", residents[login],
                     R"({"district": ")" + district + R"(", "household": )" + household + "}");
      REQUIRE_MESSAGE(p.status == 200, p.body);
    };
    add("h1@example.jp", "honjo", R"([{"name": "子", "birthdate": "2023-05-01", "relation": "child"}])");
    add("h2@example.jp", "honjo", "[]");
    add("h3@example.jp", "honjo", "[]");
    add("h4@example.jp", "honjo", "[]");
    add("n1@example.jp", "nabeshima", "[]");
    add("n2@example.jp", "nabeshima", "[]");
    // A verified birth date comes from eKYC; set it in the database as an assertion would.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((s.dir / "data" / "demo" / "runtime.db").c_str(), &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    REQUIRE(sqlite3_exec(db, "UPDATE accounts SET birthdate = '1950-01-01' WHERE login = 'h2@example.jp'",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    REQUIRE(staff_add(s, "ops@city.example", "operator") == 0);
    REQUIRE(staff_add(s, "desk@city.example", "counter") == 0);
    Reply signed_in = call(*c, "POST", "/api/v1/auth/token", "",
                           R"({"grant_type": "password", "login": "ops@city.example", "password": "staff password 1"})");
    REQUIRE_MESSAGE(signed_in.status == 200, signed_in.body);
    operator_token = token_of(signed_in);
  }

  int64_t preview(const std::string& audience) {
    Reply r = call(*c, "POST", "/api/v1/staff/broadcasts/preview", operator_token, R"({"audience": )" + audience + "}");
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return parse(r).at("audience_size").as_int64();
  }
  size_t inbox_size(const std::string& login) {
    Reply r = call(*c, "GET", "/api/v1/me/notifications", residents[login]);
    REQUIRE(r.status == 200);
    return parse(r).at("items").as_array().size();
  }
};

const std::string kNotice =
    R"("notification": {"key": "water-1", "category": "notice", "title": "断水のお知らせ", "body": "明日 9時〜12時", "link": "/notices/water-1"})";

}  // namespace

TEST_CASE("broadcast preview counts the audience by every attribute") {
  Town t;
  CHECK(t.preview("null") == 6);
  CHECK(t.preview(R"({"districts": ["honjo"]})") == 4);
  CHECK(t.preview(R"({"districts": ["nabeshima"]})") == 2);
  CHECK(t.preview(R"({"age": {"min": 65}})") == 1);
  CHECK(t.preview(R"({"age": {"max": 64}})") == 0);  // nobody else has a verified birth date
  CHECK(t.preview(R"({"children_under": 6})") == 1);
  CHECK(t.preview(R"({"children_under": 2})") == 0);
  CHECK(t.preview(R"({"audience": "visitor"})") == 0);
  CHECK(t.preview(R"({"languages": ["ja"], "districts": ["honjo", "nabeshima"]})") == 6);
  Reply small = call(*t.c, "POST", "/api/v1/staff/broadcasts/preview", t.operator_token,
                     R"({"audience": {"districts": ["nabeshima"]}})");
  CHECK_FALSE(parse(small).at("allowed").as_bool());
  CHECK(parse(small).at("minimum").as_int64() == 3);
  for (const char* bad : {R"({"audience": {"districts": ["atlantis"]}})", R"({"audience": {"age": {"min": -1}}})",
                          R"({"audience": {"age": {"min": 70, "max": 60}}})", R"({"audience": {"shoe_size": 42}})",
                          R"({"audience": {"languages": ["fr"]}})", R"({"audience": {"audience": "tourist"}})"}) {
    CAPTURE(bad);
    CHECK(call(*t.c, "POST", "/api/v1/staff/broadcasts/preview", t.operator_token, bad).status == 400);
  }
}

TEST_CASE("only operators broadcast; a too-small audience is refused and nothing is written") {
  Town t;
  Reply desk = call(*t.c, "POST", "/api/v1/auth/token", "",
                    R"({"grant_type": "password", "login": "desk@city.example", "password": "staff password 1"})");
  std::string counter = token_of(desk);
  std::string body = R"({"audience": {"districts": ["honjo"]}, )" + kNotice + "}";
  CHECK(call(*t.c, "POST", "/api/v1/staff/broadcasts", counter, body).status == 403);
  CHECK(call(*t.c, "POST", "/api/v1/staff/broadcasts", t.residents["h1@example.jp"], body).status == 403);
  CHECK(call(*t.c, "POST", "/api/v1/staff/broadcasts", "", body).status == 401);
  Reply small = call(*t.c, "POST", "/api/v1/staff/broadcasts", t.operator_token,
                     R"({"audience": {"districts": ["nabeshima"]}, )" + kNotice + "}");
  CHECK(small.status == 422);
  CHECK(parse(small).at("error").at("code").as_string() == "audience_too_small");
  CHECK(t.inbox_size("n1@example.jp") == 0);
  CHECK(parse(call(*t.c, "GET", "/api/v1/staff/broadcasts", t.operator_token)).at("broadcasts").as_array().empty());
  CHECK(call(*t.c, "POST", "/api/v1/staff/broadcasts", t.operator_token,
             R"({"audience": null, "notification": {"key": "x", "category": "notice"}})").status == 400);
}

TEST_CASE("a broadcast reaches its audience once, streams hear it, and open rate is reported") {
  Town t;
  SseClient stream(t.s.port(), "/api/v1/me/stream", {{"Authorization", "Bearer " + t.residents["h3@example.jp"]}});
  REQUIRE(stream.next());  // ready
  std::string body = R"({"audience": {"districts": ["honjo"]}, )" + kNotice + "}";
  Reply sent = call(*t.c, "POST", "/api/v1/staff/broadcasts", t.operator_token, body);
  REQUIRE_MESSAGE(sent.status == 201, sent.body);
  CHECK(parse(sent).at("recipients").as_int64() == 4);
  CHECK(parse(sent).at("created_by").as_string() == "ops@city.example");
  auto heard = stream.next();
  REQUIRE(heard);
  CHECK(heard->event == "notification");
  CHECK(json::parse(heard->data).at("notification").at("title").as_string() == "断水のお知らせ");
  CHECK(json::parse(heard->data).at("notification").at("source").is_null());

  Reply again = call(*t.c, "POST", "/api/v1/staff/broadcasts", t.operator_token, body);  // a retry
  CHECK(again.status == 200);
  CHECK(parse(again).at("id").as_int64() == parse(sent).at("id").as_int64());
  CHECK(t.inbox_size("h1@example.jp") == 1);
  CHECK(t.inbox_size("n1@example.jp") == 0);

  auto item = parse(call(*t.c, "GET", "/api/v1/me/notifications", t.residents["h1@example.jp"])).at("items").as_array()[0];
  CHECK(item.at("link").as_string() == "/notices/water-1");
  REQUIRE(call(*t.c, "POST", "/api/v1/me/notifications/" + std::to_string(item.at("id").as_int64()) + "/read",
               t.residents["h1@example.jp"]).status == 204);
  auto state = parse(call(*t.c, "GET", "/api/v1/staff/broadcasts/" + std::to_string(parse(sent).at("id").as_int64()),
                          t.operator_token));
  CHECK(state.at("recipients").as_int64() == 4);
  CHECK(state.at("read").as_int64() == 1);
  CHECK(state.at("open_rate").as_double() == doctest::Approx(0.25));
  CHECK(state.at("push_pending").as_int64() == 0);  // nobody has a push subscription
  CHECK(call(*t.c, "GET", "/api/v1/staff/broadcasts/999", t.operator_token).status == 404);
}

TEST_CASE("residents who muted municipality notices of a category are left out, unless critical") {
  Town t;
  REQUIRE(call(*t.c, "PUT", "/api/v1/me/notification-preferences", t.residents["h4@example.jp"],
               R"({"muted": [{"source": null, "category": "notice"}]})").status == 200);
  Reply sent = call(*t.c, "POST", "/api/v1/staff/broadcasts", t.operator_token,
                    R"({"audience": {"districts": ["honjo"]}, )" + kNotice + "}");
  REQUIRE(sent.status == 201);
  CHECK(parse(sent).at("recipients").as_int64() == 3);
  CHECK(t.inbox_size("h4@example.jp") == 0);
  Reply alarm = call(*t.c, "POST", "/api/v1/staff/broadcasts", t.operator_token,
                     R"({"audience": {"districts": ["honjo"]}, "notification": {"key": "flood-1", "category": "notice", "title": "避難指示", "urgency": "critical"}})");
  REQUIRE(alarm.status == 201);
  CHECK(parse(alarm).at("recipients").as_int64() == 4);
  CHECK(t.inbox_size("h4@example.jp") == 1);
}
