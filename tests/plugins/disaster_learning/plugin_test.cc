// The disaster plugin through the real loader with the demo city's data_dir: evacuation practice
// (nearest suitable sites, distance and bearing, district or location), shelters' status and
// occupancy with live messages, check-in by card with the family (double check-in, closed
// shelter), quizzes and progress, reports with photo cleaning and moderation, GeoJSON, data
// uploads refused whole, a bad data file that keeps the last good content, export and erase.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "runtime/plugin/plugin_instance.h"
#include "tests/plugins/disaster_learning/test_images.h"
#include "tests/support/plugin_harness.h"
#include "tests/support/test_files.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

const char* kConfig = R"({"districts": {"honjo": {"latitude": 33.2310, "longitude": 130.2950}},
  "staff_roles": ["shelter"], "moderator_roles": ["moderator"], "reports_per_day": 3})";

struct Bousai {
  Harness h;
  std::unique_ptr<PluginInstance> app;
  std::mutex live_mutex;
  std::vector<json::value> live;  // messages on the "shelters" channel
  std::map<std::string, std::string> cards;  // card token → subject (a test card resolver)

  explicit Bousai(std::filesystem::path data = MACHI_DISASTER_DEMO) {
    h.data_dir = std::filesystem::canonical(data);
    h.known_subject = [](std::string_view s) { return s.starts_with("sub-"); };
    h.live.subscribe("testcity/bousai/shelters", [this](std::string_view m) {
      std::lock_guard lock(live_mutex);
      live.push_back(json::parse(m));
    });
    start();
  }
  void start() { app = h.instance(std::filesystem::path(MACHI_PLUGIN_DIR) / "disaster_learning.so", "bousai", kConfig); }

  PluginResponse send(const std::string& method, const std::string& path, const std::string& body = "",
                      const std::string& subject = "", const std::string& query = "") {
    PluginRequest r = make_request(method, path, query, body);
    if (!subject.empty()) {
      r.claims.values[MACHI_CLAIM_SUBJECT] = subject;
      r.claims.values[MACHI_CLAIM_HOUSEHOLD] = json::serialize(json::array{
          {{"name", "はなこ"}, {"birthdate", "2019-05-01"}, {"relation", "child"}},
          {{"name", "じろう"}, {"birthdate", "1950-02-03"}, {"relation", "parent"}}});
    }
    return call(*app, r);
  }
  PluginResponse staff(const std::string& method, const std::string& path, const std::string& body = "",
                       const char* roles = R"(["shelter"])") {
    PluginRequest r = make_request(method, path, "", body);
    r.claims.values[MACHI_CLAIM_SUBJECT] = "staff-1";
    r.claims.values[MACHI_CLAIM_ROLES] = roles;
    r.resolve_card = [this](std::string_view card, std::string& out) {
      auto it = cards.find(std::string(card));
      if (it == cards.end()) return out = "the citizen card is invalid", false;
      out = it->second;
      cards.erase(it);  // spent, as the identity provider does
      return true;
    };
    return call(*app, r);
  }
  json::value ok(const PluginResponse& r, unsigned status = 200) {
    REQUIRE_MESSAGE(r.status == status, r.body);
    return r.body.empty() ? json::value() : json::parse(r.body);
  }
  std::string error(const PluginResponse& r, unsigned status) {
    REQUIRE_MESSAGE(r.status == status, r.body);
    return std::string(json::parse(r.body).at("error").at("code").as_string());
  }
  std::vector<json::value> live_messages() {
    std::lock_guard lock(live_mutex);
    return live;
  }
};

std::vector<std::string> ids(const json::value& list) {
  std::vector<std::string> out;
  for (const auto& s : list.as_array()) out.emplace_back(s.at("id").as_string());
  return out;
}

}  // namespace

TEST_CASE("practice: the nearest sites for the hazard, with distance, bearing and the checklist") {
  Bousai b;
  auto overview = b.ok(b.send("GET", "/"));
  CHECK(overview.at("evacuation_sites").as_int64() == 9);
  CHECK(overview.at("shelters").as_int64() == 7);
  CHECK(overview.at("open_shelters").as_int64() == 0);

  // Next to 赤松小学校 (33.249, 130.301), earthquake: shelters are closed, so only evacuation
  // sites, nearest first.
  auto p = b.ok(b.send("GET", "/practice", "", "", "hazard=earthquake&lat=33.2485&lon=130.3005&lang=en"));
  auto sites = p.at("sites").as_array();
  REQUIRE(sites.size() == 5);
  CHECK(sites[0].at("id").as_string() == "e-4120100004");
  CHECK(sites[0].at("name").as_string() == "Akamatsu Elementary School");  // the linked shelter's English name
  CHECK(sites[0].at("distance_m").as_int64() == 72);
  CHECK(sites[0].at("direction").as_string() == "NE");
  CHECK(sites[0].at("walking_minutes").as_int64() == 2);
  for (size_t i = 1; i < sites.size(); ++i) {
    CHECK(sites[i - 1].at("distance_m").as_int64() <= sites[i].at("distance_m").as_int64());
    CHECK(sites[i].at("kind").as_string() == "evacuation_site");
  }
  CHECK(p.at("checklist").as_array().back().as_string() == "Slippers (glass on the floor)");
  // Floods: the parks (earthquake and fire only) never appear.
  auto flood = b.ok(b.send("GET", "/practice", "", "", "hazard=flood&lat=33.245&lon=130.303&limit=20"));
  for (const auto& id : ids(flood.at("sites"))) {
    CHECK(id != "e-4120100101");
    CHECK(id != "e-4120100102");
  }
  CHECK(flood.at("sites").as_array().size() == 6);  // the six schools and the sports park marked for floods

  // From the resident's district (granted claim) when no location is given.
  PluginRequest r = make_request("GET", "/practice", "hazard=flood");
  r.claims.values[MACHI_CLAIM_DISTRICT] = "honjo";
  auto district = b.ok(call(*b.app, r));
  CHECK(district.at("from").at("source").as_string() == "district");
  CHECK(district.at("sites").at(0).at("id").as_string() == "e-4120100005");  // 本庄小学校
  CHECK(district.at("sites").at(0).at("direction").as_string() == "東北東");

  CHECK(b.error(b.send("GET", "/practice", "", "", "hazard=flood"), 400) == "no_location");
  CHECK(b.error(b.send("GET", "/practice", "", "", "hazard=flood&lat=91&lon=130"), 400) == "invalid_coordinates");
  CHECK(b.error(b.send("GET", "/practice", "", "", "hazard=flood&lat=abc&lon=130"), 400) == "invalid_coordinates");
  CHECK(b.error(b.send("GET", "/practice", "", "", "hazard=meteor&lat=33&lon=130"), 400) == "unknown_hazard");
  CHECK(b.error(b.send("GET", "/practice", "", "", "hazard=flood&lat=33&lon=130&limit=0"), 400) == "invalid_limit");
}

TEST_CASE("shelters: status and occupancy by staff, live messages, full at capacity, open ones in practice") {
  Bousai b;
  CHECK(b.error(b.send("PUT", "/staff/shelters/s-4120100004", R"({"status": "open"})", "sub-a"), 403) == "staff_only");
  CHECK(b.error(b.staff("PUT", "/staff/shelters/e-4120100004", R"({"status": "open"})"), 404) == "unknown_shelter");
  CHECK(b.error(b.staff("PUT", "/staff/shelters/s-4120100004", R"({"status": "ajar"})"), 400) == "invalid_status");
  CHECK(b.error(b.staff("PUT", "/staff/shelters/s-4120100004", R"({"occupancy": -1})"), 400) == "invalid_occupancy");
  CHECK(b.live_messages().empty());

  auto opened = b.ok(b.staff("PUT", "/staff/shelters/s-4120100004", R"({"status": "open", "capacity": 10})"));
  CHECK(opened.at("status").as_string() == "open");
  CHECK(opened.at("capacity").as_int64() == 10);
  auto full = b.ok(b.staff("PUT", "/staff/shelters/s-4120100004", R"({"occupancy": 10})"));
  CHECK(full.at("status").as_string() == "full");
  auto messages = b.live_messages();
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].at("status").as_string() == "open");
  CHECK(messages[1].at("status").as_string() == "full");
  CHECK(messages[1].at("occupancy").as_int64() == 10);

  // A full shelter is not offered; with room again it is, between the evacuation sites.
  auto p = b.ok(b.send("GET", "/practice", "", "", "hazard=earthquake&lat=33.2485&lon=130.3005&limit=20"));
  auto offered = ids(p.at("sites"));
  CHECK(std::count(offered.begin(), offered.end(), "s-4120100004") == 0);
  b.ok(b.staff("PUT", "/staff/shelters/s-4120100004", R"({"occupancy": 4})"));
  p = b.ok(b.send("GET", "/practice", "", "", "hazard=earthquake&lat=33.2485&lon=130.3005&limit=2"));
  CHECK(ids(p.at("sites")) == std::vector<std::string>{"e-4120100004", "s-4120100004"});
  CHECK(p.at("sites").at(1).at("occupancy").as_int64() == 4);

  auto list = b.ok(b.send("GET", "/shelters")).at("shelters").as_array();
  REQUIRE(list.size() == 7);
  auto card = json::parse(b.app->info_card(Claims{}, "ja").value());
  CHECK(card.at("body").as_string() == "開設中の避難所: 1か所");
  CHECK(b.ok(b.send("GET", "/")).at("open_shelters").as_int64() == 1);
}

TEST_CASE("a shelter opening is told once to residents whose district is near, urgently") {
  Bousai b;
  for (const char* subject : {"sub-near", "sub-gone"}) {
    PluginRequest r = make_request("GET", "/me/checkin");
    r.claims.values[MACHI_CLAIM_SUBJECT] = subject;
    r.claims.values[MACHI_CLAIM_DISTRICT] = "honjo";
    b.ok(call(*b.app, r));
  }
  b.ok(b.send("GET", "/me/checkin", "", "sub-far"));  // no district shared
  PluginRequest stop = make_request("GET", "/me/checkin");  // sub-gone stops sharing the district
  stop.claims.values[MACHI_CLAIM_SUBJECT] = "sub-gone";
  b.ok(call(*b.app, stop));

  b.ok(b.staff("PUT", "/staff/shelters/s-4120100006", R"({"status": "open"})"));  // 鍋島, ≈ 4 km from honjo's point
  CHECK(drain_notifications(*b.app).empty());
  b.ok(b.staff("PUT", "/staff/shelters/s-4120100005", R"({"status": "open"})"));  // 本庄小学校, ≈ 0.5 km
  auto told = drain_notifications(*b.app);
  REQUIRE(told.size() == 1);
  CHECK(told[0].at("to").as_string() == "sub-near");
  CHECK(told[0].at("urgency").as_string() == "high");
  CHECK(told[0].at("title").as_string() == "避難所が開設されました: 本庄小学校");
  b.ok(b.staff("PUT", "/staff/shelters/s-4120100005", R"({"status": "open", "occupancy": 5})"));  // already open
  b.ok(b.staff("PUT", "/staff/shelters/s-4120100005", R"({"status": "full"})"));
  CHECK(drain_notifications(*b.app).empty());
  CHECK(json::parse(b.app->export_subject("sub-near").value()).at("district").as_string() == "honjo");
}

TEST_CASE("check-in by citizen card with the family; double check-in and closed shelters refused") {
  Bousai b;
  // The resident shared the household with this mini-app (any /me call keeps it).
  auto household = b.ok(b.send("GET", "/me/household", "", "sub-a")).at("members").as_array();
  REQUIRE(household.size() == 2);
  std::string hanako(household[1].at("id").as_string());  // ordered by birth date: じろう, はなこ
  CHECK(household[1].at("name").as_string() == "はなこ");

  b.cards["card-1"] = "sub-a";
  CHECK(b.error(b.staff("POST", "/staff/shelters/s-4120100001/checkins", R"({"card": "card-1"})"), 409) == "shelter_closed");
  CHECK(b.cards.contains("card-1"));  // the card is not spent on a refused check-in
  b.ok(b.staff("PUT", "/staff/shelters/s-4120100001", R"({"status": "open"})"));
  CHECK(b.error(b.staff("POST", "/staff/shelters/s-4120100001/checkins", R"({"card": "forged"})"), 403) == "card_refused");
  CHECK(b.error(b.staff("POST", "/staff/shelters/s-4120100001/checkins", R"({"card": "card-1", "members": ["nobody"]})"), 400) ==
        "unknown_member");
  b.cards["card-1"] = "sub-a";
  auto in = b.ok(b.staff("POST", "/staff/shelters/s-4120100001/checkins",
                         R"({"card": "card-1", "members": [")" + hanako + R"("], "guests": 1})"), 201);
  CHECK(in.at("party").as_int64() == 3);
  CHECK(in.at("occupancy").as_int64() == 3);
  CHECK(in.at("members").at(0).at("name").as_string() == "はなこ");
  int64_t checkin = in.at("checkin").as_int64();

  // Where the resident is, on their own screen and on the home card.
  auto mine = b.ok(b.send("GET", "/me/checkin", "", "sub-a"));
  CHECK(mine.at("current").at("site_name").as_string() == "勧興小学校");
  Claims claims;
  claims.values[MACHI_CLAIM_SUBJECT] = "sub-a";
  CHECK(json::parse(b.app->info_card(claims, "ja").value()).at("body").as_string() == "勧興小学校に避難中（3人）");

  // The same resident again, here or elsewhere: refused, nothing counted twice.
  b.ok(b.staff("PUT", "/staff/shelters/s-4120100002", R"({"status": "open"})"));
  b.cards["card-2"] = "sub-a";
  auto twice = b.staff("POST", "/staff/shelters/s-4120100002/checkins", R"({"card": "card-2", "members": "all"})");
  CHECK(b.error(twice, 409) == "already_checked_in");
  CHECK(json::parse(twice.body).at("error").at("message").as_string().find("勧興小学校") != std::string::npos);
  CHECK(b.error(b.staff("PUT", "/staff/shelters/s-4120100001", R"({"status": "closed"})"), 409) == "shelter_occupied");

  auto roster = b.ok(b.staff("GET", "/staff/shelters/s-4120100001/checkins"));
  CHECK(roster.at("checked_in_people").as_int64() == 3);
  REQUIRE(roster.at("checkins").as_array().size() == 1);

  // Check-out by the roster's id: the occupancy follows; then the whole family by card elsewhere.
  auto out = b.ok(b.staff("POST", "/staff/shelters/s-4120100001/checkouts", json::serialize(json::object{{"checkin", checkin}})));
  CHECK(out.at("occupancy").as_int64() == 0);
  CHECK(b.error(b.staff("POST", "/staff/shelters/s-4120100001/checkouts", json::serialize(json::object{{"checkin", checkin}})), 409) ==
        "already_checked_out");
  b.cards["card-3"] = "sub-a";
  auto family = b.ok(b.staff("POST", "/staff/shelters/s-4120100002/checkins", R"({"card": "card-3", "members": "all"})"), 201);
  CHECK(family.at("party").as_int64() == 3);
  auto self_out = b.ok(b.send("POST", "/me/checkout", "", "sub-a"));
  CHECK(self_out.at("site").as_string() == "s-4120100002");
  CHECK(b.ok(b.send("GET", "/me/checkin", "", "sub-a")).at("current").is_null());
  CHECK(b.ok(b.send("GET", "/me/checkin", "", "sub-a")).at("history").as_array().size() == 2);

  // Every change reached the live channel: opened ×2, in, out, in, out.
  auto messages = b.live_messages();
  REQUIRE(messages.size() == 6);
  CHECK(messages[1].at("id").as_string() == "s-4120100001");
  CHECK(messages[1].at("occupancy").as_int64() == 3);
  CHECK(messages[3].at("occupancy").as_int64() == 0);
  CHECK(messages[4].at("id").as_string() == "s-4120100002");
  CHECK(messages[4].at("occupancy").as_int64() == 3);
}

TEST_CASE("learning and quizzes: localized, scored, progress kept per resident") {
  Bousai b;
  auto easy = b.ok(b.send("GET", "/learn", "", "", "lang=ja-easy&hazard=earthquake"));
  REQUIRE(easy.at("articles").as_array().size() == 2);
  CHECK(easy.at("articles").at(0).at("title").as_string() == "じしん（地震）が おきたら");
  auto kids = b.ok(b.send("GET", "/learn", "", "", "track=children"));
  CHECK(ids(kids.at("articles")) == std::vector<std::string>{"kids-earthquake", "kids-flood"});
  auto article = b.ok(b.send("GET", "/learn/flood-prepare", "", "", "lang=en"));
  CHECK(article.at("steps").as_array().size() == 5);
  CHECK(article.at("steps").at(0).at("number").as_int64() == 1);
  CHECK(b.error(b.send("GET", "/learn/none"), 404) == "unknown_article");
  CHECK(b.error(b.send("GET", "/learn", "", "", "hazard=meteor"), 400) == "unknown_hazard");

  auto quiz = b.ok(b.send("GET", "/quizzes/flood-basics", "", "", "lang=en"));
  CHECK(quiz.at("questions").as_array().size() == 3);
  CHECK_FALSE(quiz.at("questions").at(0).as_object().contains("answer"));  // answers stay on the server

  // Anonymous: scored, nothing kept. Signed in: best and attempts kept, passed once ≥ 80 %.
  auto anon = b.ok(b.send("POST", "/quizzes/flood-basics/answers", R"({"answers": [2, 1, 0]})"));
  CHECK(anon.at("score").as_int64() == 3);
  CHECK_FALSE(anon.as_object().contains("best"));
  auto first = b.ok(b.send("POST", "/quizzes/flood-basics/answers", R"({"answers": [0, 1, 1]})", "sub-a", "lang=en"));
  CHECK(first.at("score").as_int64() == 1);
  CHECK_FALSE(first.at("passed").as_bool());
  CHECK(first.at("results").at(0).at("answer").as_int64() == 2);
  CHECK(first.at("results").at(0).at("explanation").as_string().starts_with("At alert level 4"));
  auto second = b.ok(b.send("POST", "/quizzes/flood-basics/answers", R"({"answers": [2, 1, 0]})", "sub-a"));
  CHECK(second.at("passed").as_bool());
  CHECK(second.at("best").as_int64() == 3);
  CHECK(second.at("attempts").as_int64() == 2);
  b.ok(b.send("POST", "/quizzes/flood-basics/answers", R"({"answers": [0, 0, 1]})", "sub-a"));  // worse: best stays
  CHECK(b.error(b.send("POST", "/quizzes/flood-basics/answers", R"({"answers": [2, 1]})", "sub-a"), 400) == "invalid_answers");
  CHECK(b.error(b.send("POST", "/quizzes/flood-basics/answers", R"({"answers": [2, 1, 9]})", "sub-a"), 400) == "invalid_answers");
  CHECK(b.error(b.send("POST", "/quizzes/flood-basics/answers", "not json", "sub-a"), 400) == "invalid_json");

  b.ok(b.send("POST", "/me/articles/flood-prepare/read", "", "sub-a"), 204);
  CHECK(b.error(b.send("POST", "/me/articles/none/read", "", "sub-a"), 404) == "unknown_article");
  auto progress = b.ok(b.send("GET", "/me/progress", "", "sub-a"));
  CHECK(progress.at("articles_read").as_int64() == 1);
  CHECK(progress.at("quizzes_passed").as_int64() == 1);
  CHECK(progress.at("quizzes").as_int64() == 3);
  for (const auto& q : progress.at("quiz_results").as_array()) {
    if (q.at("id").as_string() == "flood-basics") {
      CHECK(q.at("best").as_int64() == 3);
      CHECK(q.at("last").as_int64() == 0);
      CHECK(q.at("attempts").as_int64() == 3);
    }
  }
  auto list = b.ok(b.send("GET", "/quizzes", "", "sub-a"));
  CHECK(list.at("quizzes").at(0).at("passed").as_bool());
  Claims claims;
  claims.values[MACHI_CLAIM_SUBJECT] = "sub-a";
  CHECK(json::parse(b.app->info_card(claims, "ja").value()).at("body").as_string() == "防災クイズ: 3問中1問合格");
  CHECK(b.error(b.send("GET", "/me/progress"), 401) == "sign_in_required");
}

TEST_CASE("reports: photo checked and cleaned, moderated, then on the map") {
  Bousai b;
  auto made = b.ok(b.send("POST", "/me/reports",
                          R"({"latitude": 33.2501, "longitude": 130.3012, "category": "flooding", "text": "道路が冠水しています"})",
                          "sub-a"), 201);
  int64_t id = made.at("id").as_int64();
  CHECK(made.at("status").as_string() == "pending");
  CHECK(made.at("category_name").as_string() == "冠水・浸水");
  std::string base = "/me/reports/" + std::to_string(id);

  CHECK(b.error(b.send("POST", "/me/reports", R"({"latitude": 91, "longitude": 130, "category": "fire", "text": "x"})", "sub-a"), 400) ==
        "invalid_coordinates");
  CHECK(b.error(b.send("POST", "/me/reports", R"({"latitude": 33, "longitude": 200, "category": "fire", "text": "x"})", "sub-a"), 400) ==
        "invalid_coordinates");
  CHECK(b.error(b.send("POST", "/me/reports", R"({"latitude": 33, "longitude": 130, "category": "ufo", "text": "x"})", "sub-a"), 400) ==
        "unknown_category");
  CHECK(b.error(b.send("POST", "/me/reports", R"({"latitude": 33, "longitude": 130, "category": "fire", "text": ""})", "sub-a"), 400) ==
        "invalid_text");
  CHECK(b.error(b.send("PUT", base + "/photo", "<svg/>", "sub-a"), 415) == "unsupported_photo");
  CHECK(b.error(b.send("PUT", base + "/photo", std::string(950 * 1024, 'x'), "sub-a"), 413) == "photo_too_large");
  CHECK(b.error(b.send("PUT", base + "/photo", jpeg(), "sub-b"), 404) == "unknown_report");  // not theirs

  auto with_photo = b.ok(b.send("PUT", base + "/photo", jpeg(800, 600), "sub-a"));
  CHECK(with_photo.at("photo").at("width").as_int64() == 800);
  CHECK(with_photo.at("metadata_removed").as_array().size() == 4);
  // Pending: the author sees it, nobody else does.
  CHECK(b.ok(b.send("GET", "/reports")).at("reports").as_array().empty());
  CHECK(b.send("GET", "/reports/" + std::to_string(id) + "/photo").status == 404);
  auto own_photo = b.send("GET", base + "/photo", "", "sub-a");
  REQUIRE(own_photo.status == 200);
  CHECK(own_photo.content_type == "image/jpeg");
  CHECK(own_photo.body.find("SECRET") == std::string::npos);

  // Moderation: role checked, decision once, the author told.
  CHECK(b.error(b.staff("GET", "/staff/reports"), 403) == "staff_only");
  auto pending = b.ok(b.staff("GET", "/staff/reports", "", R"(["moderator"])"));
  REQUIRE(pending.at("reports").as_array().size() == 1);
  CHECK(b.staff("GET", "/staff/reports/" + std::to_string(id) + "/photo", "", R"(["moderator"])").status == 200);
  CHECK(b.error(b.staff("POST", "/staff/reports/" + std::to_string(id) + "/decision", R"({"decision": "maybe"})", R"(["moderator"])"), 400) ==
        "invalid_decision");
  b.ok(b.staff("POST", "/staff/reports/" + std::to_string(id) + "/decision", R"({"decision": "approve"})", R"(["moderator"])"));
  CHECK(b.error(b.staff("POST", "/staff/reports/" + std::to_string(id) + "/decision", R"({"decision": "reject"})", R"(["moderator"])"), 409) ==
        "already_moderated");
  auto told = drain_notifications(*b.app);
  REQUIRE(told.size() == 1);
  CHECK(told[0].at("to").as_string() == "sub-a");
  CHECK(told[0].at("title").as_string() == "投稿が災害マップに掲載されました");
  CHECK(b.error(b.send("PUT", base + "/photo", png(), "sub-a"), 409) == "report_moderated");

  auto published = b.ok(b.send("GET", "/reports")).at("reports").as_array();
  REQUIRE(published.size() == 1);
  CHECK_FALSE(published[0].as_object().contains("status"));  // no moderation details in public
  auto photo = b.send("GET", "/reports/" + std::to_string(id) + "/photo");
  REQUIRE(photo.status == 200);
  CHECK(photo.body.find("SECRET") == std::string::npos);

  // The map: RFC 7946 points [longitude, latitude], sites and the approved report.
  auto map = b.send("GET", "/map.geojson", "", "", "layers=shelters,reports");
  REQUIRE(map.status == 200);
  CHECK(map.content_type == "application/geo+json");
  CHECK(map.body.find("E1") == std::string::npos);  // plain decimals, not 3.3254E1
  auto geo = json::parse(map.body);
  CHECK(geo.at("type").as_string() == "FeatureCollection");
  auto features = geo.at("features").as_array();
  REQUIRE(features.size() == 8);  // 7 shelters + 1 report
  const auto& report = features.back();
  CHECK(report.at("properties").at("layer").as_string() == "reports");
  CHECK(report.at("geometry").at("coordinates").at(0).as_double() == doctest::Approx(130.3012));
  CHECK(report.at("geometry").at("coordinates").at(1).as_double() == doctest::Approx(33.2501));
  CHECK(b.error(b.send("GET", "/map.geojson", "", "", "layers=roads"), 400) == "unknown_layer");

  // At most reports_per_day (3) in 24 hours.
  for (int i = 0; i < 2; ++i) {
    b.ok(b.send("POST", "/me/reports", R"({"latitude": 33.25, "longitude": 130.3, "category": "other", "text": "x"})", "sub-a"), 201);
  }
  CHECK(b.error(b.send("POST", "/me/reports", R"({"latitude": 33.25, "longitude": 130.3, "category": "other", "text": "x"})", "sub-a"), 429) ==
        "too_many_reports");
}

TEST_CASE("site and content uploads are checked whole; a bad data_dir file keeps the last good") {
  ScratchDir scratch;
  std::filesystem::copy(MACHI_DISASTER_DEMO, scratch / "data");
  Bousai b(scratch / "data");
  {
    std::string bad = "NO,共通ID,施設・場所名,住所,洪水,崖崩れ、土石流及び地滑り,高潮,地震,津波,大規模な火事,内水氾濫,火山現象,"
                      "指定避難所との住所同一,緯度,経度,備考\n1,X1,公民館,佐賀市,1,,,,,,,,,33.2,abc,\n";
    auto refused = b.staff("PUT", "/staff/data/evacuation_sites", bad);
    CHECK(b.error(refused, 422) == "invalid_evacuation_sites");
    CHECK(json::parse(refused.body).at("error").at("problems").at(0).as_string() ==
          "upload:2:15: 'abc' is not a longitude in decimal degrees (-180 to 180)");
    CHECK(b.ok(b.send("GET", "/")).at("evacuation_sites").as_int64() == 9);  // nothing changed
    // The recommended layout uploaded as evacuation sites replaces the GSI list.
    auto replaced = b.ok(b.staff("PUT", "/staff/data/evacuation_sites", read_file(scratch / "data" / "shelters.csv")));
    CHECK(replaced.at("layout").as_string() == "recommended");
    CHECK(replaced.at("sites").as_int64() == 7);
    CHECK(b.ok(b.send("GET", "/")).at("evacuation_sites").as_int64() == 7);
    CHECK(b.error(b.staff("PUT", "/staff/data/learning.ja", R"({"format": 1})"), 422) == "invalid_learning.ja");
    CHECK(b.error(b.staff("PUT", "/staff/data/passwords", "x"), 404) == "unknown_file");
    auto state = b.ok(b.staff("GET", "/staff/data"));
    CHECK(state.at("evacuation_sites").at("imported").at("origin").as_string() == "upload");
    CHECK(state.at("learning.ja").at("imported").at("origin").as_string() == "data_dir");
  }
  // The city breaks its Japanese content file: the saved content keeps being served, health says why.
  std::ofstream(scratch / "data" / "learning.ja.json") << R"({"format": 1, "articles": [{"id": "x"}]})";
  b.app.reset();
  b.start();
  auto health = b.app->health();
  CHECK_FALSE(health.healthy);
  CHECK(health.reason.find("learning.ja.json was not imported: learning.ja.json:/articles/0/title: is required") != std::string::npos);
  CHECK(b.ok(b.send("GET", "/learn/flood-prepare")).at("title").as_string() == "大雨・洪水に備える");
}

TEST_CASE("export and erase cover check-ins, quizzes, reports and the household") {
  Bousai b;
  b.ok(b.send("GET", "/me/household", "", "sub-a"));
  b.ok(b.staff("PUT", "/staff/shelters/s-4120100003", R"({"status": "open"})"));
  b.cards["c"] = "sub-a";
  b.ok(b.staff("POST", "/staff/shelters/s-4120100003/checkins", R"({"card": "c", "members": "all"})"), 201);
  b.ok(b.send("POST", "/quizzes/kids-quiz/answers", R"({"answers": [0, 1]})", "sub-a"));
  b.ok(b.send("POST", "/me/reports", R"({"latitude": 33.25, "longitude": 130.3, "category": "other", "text": "倒木"})", "sub-a"), 201);

  auto exported = json::parse(b.app->export_subject("sub-a").value());
  CHECK(exported.at("household").as_array().size() == 2);
  CHECK(exported.at("checkins").at(0).at("party").as_int64() == 3);
  CHECK(exported.at("quiz_results").at(0).at("best").as_int64() == 2);
  CHECK(exported.at("reports").at(0).at("text").as_string() == "倒木");

  REQUIRE(b.app->erase_subject("sub-a").ok());
  auto after = json::parse(b.app->export_subject("sub-a").value());
  for (const char* key : {"household", "checkins", "quiz_results", "articles_read", "reports"}) {
    CHECK(after.at(key).as_array().empty());
  }
  // The erased resident's open check-in left the shelter.
  CHECK(b.ok(b.send("GET", "/sites/s-4120100003")).at("occupancy").as_int64() == 0);
}
