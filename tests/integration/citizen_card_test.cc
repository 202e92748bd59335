// The digital citizen card, staff roles, disclosures and counter recovery against the real server,
// with staff created by the real `machi staff add`.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <sys/wait.h>

#include <cstdio>

#include "tests/support/http_client.h"
#include "tests/support/test_server.h"
#include "tests/support/test_verifier.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

json::value parse(const Reply& r) { return json::parse(r.body); }

Reply send_json(HttpClient& c, const std::string& method, const std::string& path, const std::string& bearer,
           const json::object& body = {}) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"}};
  if (!bearer.empty()) headers.emplace_back("Authorization", "Bearer " + bearer);
  return c.request(method, path, "localhost", headers, method == "GET" ? "" : json::serialize(body));
}

std::string sign_in(HttpClient& c, const std::string& login, const std::string& password) {
  Reply r = send_json(c, "POST", "/api/v1/auth/token", "",
                 {{"grant_type", "password"}, {"login", login}, {"password", password}});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return std::string(parse(r).at("access_token").as_string());
}

struct World {
  TestServer s;
  TestVerifier verifier;
  std::unique_ptr<HttpClient> c;
  std::string resident;  // access token of a verified resident

  World() {
    std::string manifest = manifest_json("demo", "localhost", R"({"id": "notes-a", "name": "A", "plugin": "notes.so"})");
    manifest.insert(1, "\"staff_roles\": [\"counter\", \"shelter\"], \"verifiers\": [" +
                           verifier.manifest_entry() + "], ");
    REQUIRE(s.load("m.json", manifest).empty());
    c = std::make_unique<HttpClient>(s.port());
    Reply r = send_json(*c, "POST", "/api/v1/auth/register", "",
                   {{"login", "hanako@example.jp"}, {"password", "correct horse battery"}, {"display_name", "花子"}});
    REQUIRE(r.status == 201);
    std::string token(parse(r).at("access_token").as_string());
    std::string nonce(parse(send_json(*c, "POST", "/api/v1/me/verification/nonce", token)).at("nonce").as_string());
    REQUIRE(send_json(*c, "POST", "/api/v1/me/verification", token,
                 {{"assertion", verifier.assertion("https://localhost", nonce)}}).status == 200);
    resident = sign_in(*c, "hanako@example.jp", "correct horse battery");  // now "verified"
  }
  std::string card() {
    Reply r = send_json(*c, "GET", "/api/v1/me/citizen-card", resident);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return std::string(parse(r).at("token").as_string());
  }
};

}  // namespace

TEST_CASE("a verified resident's card, as token and QR, verifies once for staff; the resident sees it") {
  World w;
  HttpClient& c = *w.c;
  REQUIRE(staff_add(w.s, "shelter1@city.example", "shelter") == 0);
  CHECK(staff_add(w.s, "x@city.example", "mayor") == 1);  // not a role of this manifest
  std::string staff = sign_in(c, "shelter1@city.example", "staff password 1");

  Reply card_reply = send_json(c, "GET", "/api/v1/me/citizen-card", w.resident);
  REQUIRE(card_reply.status == 200);
  auto card = parse(card_reply);
  CHECK(card.at("expires_in").as_int64() == 120);
  CHECK(card.at("qr_svg").as_string().starts_with("<svg"));
  std::string token(card.at("token").as_string());
  // No personal data in the card itself.
  std::string payload = token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
  CHECK(payload.find("花子") == std::string::npos);
  Reply svg = c.request("GET", "/api/v1/me/citizen-card?format=svg", "localhost",
                        {{"Authorization", "Bearer " + w.resident}});
  CHECK(svg.headers["content-type"] == "image/svg+xml");

  Reply verified = send_json(c, "POST", "/api/v1/staff/citizen-card/verify", staff, {{"card", token}});
  REQUIRE_MESSAGE(verified.status == 200, verified.body);
  CHECK(parse(verified).at("legal_name").as_string() == "佐賀 花子");
  CHECK(parse(verified).at("birthdate").as_string() == "1990-04-01");
  CHECK(parse(verified).at("address").at("line").as_string() == "佐賀市本庄町1-1");
  Reply replay = send_json(c, "POST", "/api/v1/staff/citizen-card/verify", staff, {{"card", token}});
  CHECK(replay.status == 403);
  CHECK(parse(replay).at("error").at("message").as_string().find("already verified") != std::string::npos);

  auto log = parse(send_json(c, "GET", "/api/v1/me/disclosures", w.resident)).at("disclosures").as_array();
  REQUIRE(log.size() == 1);
  CHECK(log[0].at("by").as_string() == "shelter1@city.example");
  CHECK(log[0].at("purpose").as_string() == "citizen-card");
  CHECK(log[0].at("claims").as_array().size() == 3);

  // Staff roles reach mini-apps in the claims; residents have none.
  CHECK(parse(send_json(c, "GET", "/apps/notes-a/whoami", staff)).at("roles").as_string() == R"(["shelter"])");
  CHECK_FALSE(parse(send_json(c, "GET", "/apps/notes-a/whoami", w.resident)).as_object().contains("roles"));
}

TEST_CASE("card attacks: no staff role, a card as access token, an access token as card, unverified") {
  World w;
  HttpClient& c = *w.c;
  std::string card = w.card();
  CHECK(send_json(c, "POST", "/api/v1/staff/citizen-card/verify", w.resident, {{"card", card}}).status == 403);
  CHECK(send_json(c, "GET", "/api/v1/me", card).status == 401);  // a card is not an access token
  REQUIRE(staff_add(w.s, "counter1@city.example", "counter") == 0);
  std::string staff = sign_in(c, "counter1@city.example", "staff password 1");
  Reply wrong_kind = send_json(c, "POST", "/api/v1/staff/citizen-card/verify", staff, {{"card", w.resident}});
  CHECK(wrong_kind.status == 403);
  CHECK(parse(wrong_kind).at("error").at("message").as_string().find("wrong token type") != std::string::npos);
  CHECK(send_json(c, "POST", "/api/v1/staff/citizen-card/verify", staff, {{"card", "garbage"}}).status == 403);
  // The card was not spent by the failed attempts: staff can still verify it once.
  CHECK(send_json(c, "POST", "/api/v1/staff/citizen-card/verify", staff, {{"card", card}}).status == 200);
  Reply unverified = send_json(c, "POST", "/api/v1/auth/register", "",
                          {{"login", "new@example.jp"}, {"password", "correct horse battery"}, {"display_name", "n"}});
  std::string fresh(parse(unverified).at("access_token").as_string());
  CHECK(send_json(c, "GET", "/api/v1/me/citizen-card", fresh).status == 403);
}

TEST_CASE("counter recovery: staff who verified the card issue a one-time code") {
  World w;
  HttpClient& c = *w.c;
  REQUIRE(staff_add(w.s, "counter1@city.example", "counter") == 0);
  REQUIRE(staff_add(w.s, "shelter1@city.example", "shelter") == 0);
  std::string counter = sign_in(c, "counter1@city.example", "staff password 1");
  std::string shelter = sign_in(c, "shelter1@city.example", "staff password 1");
  CHECK(send_json(c, "POST", "/api/v1/staff/recovery", shelter, {{"card", w.card()}}).status == 403);

  Reply issued = send_json(c, "POST", "/api/v1/staff/recovery", counter, {{"card", w.card()}});
  REQUIRE_MESSAGE(issued.status == 200, issued.body);
  std::string code(parse(issued).at("code").as_string());
  CHECK(code.size() == 12);
  CHECK(parse(issued).at("login").as_string() == "hanako@example.jp");

  json::object reset{{"login", "hanako@example.jp"}, {"code", code}, {"new_password", "a brand new phrase"}};
  CHECK(send_json(c, "POST", "/api/v1/auth/recover", "", reset).status == 204);
  CHECK(send_json(c, "POST", "/api/v1/auth/recover", "", reset).status == 401);  // single use
  CHECK(send_json(c, "GET", "/api/v1/me", "").status == 401);
  CHECK(send_json(c, "POST", "/api/v1/auth/token", "", {{"grant_type", "password"}, {"login", "hanako@example.jp"},
                                                   {"password", "correct horse battery"}}).status == 401);
  sign_in(c, "hanako@example.jp", "a brand new phrase");
  auto log = parse(send_json(c, "GET", "/api/v1/me/disclosures", sign_in(c, "hanako@example.jp", "a brand new phrase")));
  CHECK(log.at("disclosures").as_array()[0].at("purpose").as_string() == "recovery");
}

TEST_CASE("ABI 1.1 card_resolve: staff in a mini-app get that mini-app's subject of the resident") {
  World w;
  HttpClient& c = *w.c;
  REQUIRE(staff_add(w.s, "library1@city.example", "counter") == 0);
  std::string staff = sign_in(c, "library1@city.example", "staff password 1");
  std::string resident_sub(parse(send_json(c, "GET", "/apps/notes-a/whoami", w.resident)).at("sub").as_string());

  std::string card = w.card();
  Reply checkin = c.request("POST", "/apps/notes-a/checkin", "localhost", {{"Authorization", "Bearer " + staff}}, card);
  REQUIRE_MESSAGE(checkin.status == 200, checkin.body);
  CHECK(parse(checkin).at("resident").as_string() == resident_sub);  // the same pairwise subject
  Reply again = c.request("POST", "/apps/notes-a/checkin", "localhost", {{"Authorization", "Bearer " + staff}}, card);
  CHECK(again.status == 403);  // spent
  CHECK(parse(again).at("error").at("message").as_string().find("already verified") != std::string::npos);
  // A resident cannot resolve cards (the plugin's own check, and the host refuses too).
  Reply resident_try = c.request("POST", "/apps/notes-a/checkin", "localhost",
                                 {{"Authorization", "Bearer " + w.resident}}, w.card());
  CHECK(resident_try.status == 403);

  auto log = parse(send_json(c, "GET", "/api/v1/me/disclosures", w.resident)).at("disclosures").as_array();
  REQUIRE(log.size() >= 1);
  CHECK(log[0].at("purpose").as_string() == "notes-a");
  CHECK(log[0].at("by").as_string() == "library1@city.example");
}
