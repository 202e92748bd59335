// The disaster mini-app through the real server: a live client on the shelters channel sees the
// shelter open and fill; shelter staff check a verified resident and the family in with the
// resident's real citizen-card token (a spent card is refused); the resident sees where they are
// checked in; a report with a photo goes through moderation onto the GeoJSON map with its
// location metadata gone, and the author's inbox hears the outcome.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "tests/plugins/disaster_learning/test_images.h"
#include "tests/support/http_client.h"
#include "tests/support/sse_client.h"
#include "tests/support/test_server.h"
#include "tests/support/test_verifier.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

json::value parse(const Reply& r) { return json::parse(r.body); }

struct City {
  TestServer s;
  TestVerifier verifier;
  std::unique_ptr<HttpClient> c;
  std::string shelter_staff, moderator;

  City() {
    std::filesystem::copy(MACHI_DISASTER_DEMO, s.dir / "disaster");
    std::string manifest = manifest_json("demo", "localhost", R"({"id": "bousai", "name": "防災",
      "plugin": "disaster_learning.so", "grants": ["district", "household"], "data_dir": "disaster", "deadline_ms": 15000,
      "audience": ["residents", "visitors"],
      "config": {"districts": {"honjo": {"latitude": 33.2310, "longitude": 130.2950}}}})");
    manifest.insert(1, "\"staff_roles\": [\"shelter\", \"moderator\"], \"districts\": [{\"id\": \"honjo\", \"name\": \"本庄町\"}], "
                       "\"verifiers\": [" + verifier.manifest_entry() + "], ");
    auto problems = s.load("m.json", manifest);
    REQUIRE_MESSAGE(problems.empty(), problems.front());
    c = std::make_unique<HttpClient>(s.port());
    REQUIRE(staff_add(s, "shelter@bousai.example", "shelter") == 0);
    REQUIRE(staff_add(s, "mod@bousai.example", "moderator") == 0);
    shelter_staff = sign_in("shelter@bousai.example", "staff password 1");
    moderator = sign_in("mod@bousai.example", "staff password 1");
  }
  std::string sign_in(const std::string& login, const std::string& password) {
    Reply r = call(*c, "POST", "/api/v1/auth/token", "",
                   json::serialize(json::object{{"grant_type", "password"}, {"login", login}, {"password", password}}));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return std::string(parse(r).at("access_token").as_string());
  }
  // A verified resident with a household and district shared with the mini-app.
  std::string resident(const std::string& login) {
    Reply r = call(*c, "POST", "/api/v1/auth/register", "",
                   json::serialize(json::object{{"login", login}, {"password", "correct horse battery"}, {"display_name", "住民"}}));
    REQUIRE_MESSAGE(r.status == 201, r.body);
    std::string token(parse(r).at("access_token").as_string());
    std::string nonce(parse(call(*c, "POST", "/api/v1/me/verification/nonce", token)).at("nonce").as_string());
    expect("POST", "/api/v1/me/verification", token,
           json::serialize(json::object{{"assertion", verifier.assertion("https://localhost", nonce)}}), 200);
    token = sign_in(login, "correct horse battery");
    expect("PATCH", "/api/v1/me", token,
           R"({"district": "honjo", "household": [{"name": "はなこ", "birthdate": "2019-05-01", "relation": "child"},
                                                   {"name": "たろう", "birthdate": "2021-08-10", "relation": "child"}]})",
           200);
    expect("PUT", "/api/v1/me/consents/bousai", token, R"({"claims": ["district", "household"]})", 200);
    return token;
  }
  std::string citizen_card(const std::string& resident) {
    return std::string(expect("GET", "/api/v1/me/citizen-card", resident, "", 200).at("token").as_string());
  }
  json::value expect(const std::string& method, const std::string& path, const std::string& bearer, const std::string& body,
                     unsigned status) {
    Reply r = call(*c, method, path, bearer, body);
    REQUIRE_MESSAGE(r.status == status, (method + " " + path + " -> " + std::to_string(r.status) + " " + r.body));
    return r.body.empty() ? json::value() : parse(r);
  }
};

// A live event's data is {"channel", "message"}; the plugin's message is the shelter's state.
json::value shelter_state(const SseEvent& e) {
  CHECK(e.event == "live");
  return json::parse(json::parse(e.data).at("message").as_string());
}

}  // namespace

TEST_CASE("shelter live status and check-in with a real citizen card, family together") {
  City city;
  SseClient live(city.s.port(), "/apps/bousai/live/shelters");
  REQUIRE(live.status == 200);
  REQUIRE(live.next());  // ready

  std::string resident = city.resident("hanako@example.jp");
  // The resident's district is the practice origin; the household is kept for check-in.
  auto practice = city.expect("GET", "/apps/bousai/practice?hazard=flood", resident, "", 200);
  CHECK(practice.at("from").at("source").as_string() == "district");
  CHECK(practice.at("sites").at(0).at("name").as_string() == "本庄小学校");
  auto household = city.expect("GET", "/apps/bousai/me/household", resident, "", 200);
  REQUIRE(household.at("members").as_array().size() == 2);

  city.expect("PUT", "/apps/bousai/staff/shelters/s-4120100005", resident, R"({"status": "open"})", 403);
  city.expect("PUT", "/apps/bousai/staff/shelters/s-4120100005", city.shelter_staff, R"({"status": "open", "capacity": 3})", 200);
  auto opened = live.next();
  REQUIRE(opened);
  CHECK(shelter_state(*opened).at("status").as_string() == "open");

  std::string card = city.citizen_card(resident);
  auto in = city.expect("POST", "/apps/bousai/staff/shelters/s-4120100005/checkins", city.shelter_staff,
                        json::serialize(json::object{{"card", card}, {"members", "all"}}), 201);
  CHECK(in.at("party").as_int64() == 3);
  CHECK(in.at("status").as_string() == "full");  // 3 of 3
  auto filled = live.next();
  REQUIRE(filled);
  CHECK(shelter_state(*filled).at("occupancy").as_int64() == 3);
  CHECK(shelter_state(*filled).at("status").as_string() == "full");

  // The same card again is spent; a fresh card for the same resident is a double check-in.
  auto spent = city.expect("POST", "/apps/bousai/staff/shelters/s-4120100005/checkins", city.shelter_staff,
                           json::serialize(json::object{{"card", card}}), 403);
  CHECK(spent.at("error").at("code").as_string() == "card_refused");
  auto twice = city.expect("POST", "/apps/bousai/staff/shelters/s-4120100005/checkins", city.shelter_staff,
                           json::serialize(json::object{{"card", city.citizen_card(resident)}}), 409);
  CHECK(twice.at("error").at("code").as_string() == "already_checked_in");

  auto mine = city.expect("GET", "/apps/bousai/me/checkin", resident, "", 200);
  CHECK(mine.at("current").at("site_name").as_string() == "本庄小学校");
  CHECK(mine.at("current").at("members").as_array().size() == 2);
  auto cards = city.expect("GET", "/api/v1/me/cards", resident, "", 200);
  bool seen = false;
  for (const auto& item : cards.at("cards").as_array()) seen = seen || item.at("body").as_string() == "本庄小学校に避難中（3人）";
  CHECK(seen);

  // Check-out by a freshly scanned card: occupancy back to 0, the live client sees it.
  city.expect("POST", "/apps/bousai/staff/shelters/s-4120100005/checkouts", city.shelter_staff,
              json::serialize(json::object{{"card", city.citizen_card(resident)}}), 200);
  auto left = live.next();
  REQUIRE(left);
  CHECK(shelter_state(*left).at("occupancy").as_int64() == 0);
  CHECK(shelter_state(*left).at("status").as_string() == "open");
}

TEST_CASE("a citizen report with a photo: metadata stripped, moderated, on the map, the author told") {
  City city;
  std::string resident = city.resident("taro@example.jp");
  auto report = city.expect("POST", "/apps/bousai/me/reports", resident,
                            R"({"latitude": 33.2412, "longitude": 130.2944, "category": "road_blocked", "text": "倒木で通れません"})", 201);
  std::string id = std::to_string(report.at("id").as_int64());
  auto refused = city.expect("PUT", "/apps/bousai/me/reports/" + id + "/photo", resident, "%PDF-1.7 not an image", 415);
  CHECK(refused.at("error").at("code").as_string() == "unsupported_photo");
  auto photo = city.expect("PUT", "/apps/bousai/me/reports/" + id + "/photo", resident, jpeg(1024, 768), 200);
  CHECK(photo.at("photo").at("type").as_string() == "image/jpeg");

  // Not public yet; the moderator approves it.
  CHECK(city.expect("GET", "/apps/bousai/reports", "", "", 200).at("reports").as_array().empty());
  city.expect("GET", "/apps/bousai/staff/reports", city.shelter_staff, "", 403);
  auto pending = city.expect("GET", "/apps/bousai/staff/reports", city.moderator, "", 200);
  REQUIRE(pending.at("reports").as_array().size() == 1);
  city.expect("POST", "/apps/bousai/staff/reports/" + id + "/decision", city.moderator, R"({"decision": "approve"})", 200);

  Reply map = call(*city.c, "GET", "/apps/bousai/map.geojson?layers=reports", "");
  REQUIRE(map.status == 200);
  auto features = parse(map).at("features").as_array();
  REQUIRE(features.size() == 1);
  CHECK(features[0].at("properties").at("text").as_string() == "倒木で通れません");
  std::string url(features[0].at("properties").at("photo").at("url").as_string());
  Reply image = call(*city.c, "GET", "/apps/bousai" + url, "");
  REQUIRE(image.status == 200);
  CHECK(image.body.starts_with("\xff\xd8"));
  CHECK(image.body.find("SECRET") == std::string::npos);  // no GPS, XMP, comment or trailer
  CHECK(image.body.find("Exif") != std::string::npos);     // only the orientation block is left

  CHECK(city.s.scheduler.run_once().notifications == 1);
  auto inbox = city.expect("GET", "/api/v1/me/notifications", resident, "", 200).at("items").as_array();
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0].at("title").as_string() == "投稿が災害マップに掲載されました");
}
