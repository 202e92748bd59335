// Childcare through the real server: the household a resident enters in their profile reaches the
// mini-app only when granted and consented; a dose recorded over HTTP moves the schedule; a
// vacancy alert reaches the inbox exactly once per opening; the home card shows the next dose.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>

#include "tests/support/http_client.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

json::value parse(const Reply& r) { return json::parse(r.body); }

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string days_ago(int n) {
  auto day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now() + std::chrono::hours(9)) - std::chrono::days(n);
  std::chrono::year_month_day ymd(day);
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return out;
}

struct City {
  TestServer s;
  std::unique_ptr<HttpClient> c;
  std::string staff;

  City() {
    std::filesystem::copy(MACHI_CHILDCARE_DEMO, s.dir / "childcare");
    std::string manifest = manifest_json("demo", "localhost", R"({"id": "childcare", "name": "子育てナビ",
      "plugin": "childcare.so", "grants": ["household"], "data_dir": "childcare", "deadline_ms": 15000})");
    manifest.insert(1, "\"staff_roles\": [\"childcare\"], ");
    auto problems = s.load("m.json", manifest);
    REQUIRE_MESSAGE(problems.empty(), problems.front());
    c = std::make_unique<HttpClient>(s.port());
    REQUIRE(staff_add(s, "desk@kosodate.example", "childcare") == 0);
    staff = token(call(*c, "POST", "/api/v1/auth/token", "",
                       R"({"grant_type": "password", "login": "desk@kosodate.example", "password": "staff password 1"})"));
  }
  static std::string token(const Reply& r) {
    REQUIRE_MESSAGE((r.status == 200 || r.status == 201), r.body);
    return std::string(parse(r).at("access_token").as_string());
  }
  json::value expect(const std::string& method, const std::string& path, const std::string& bearer, const std::string& body,
                     unsigned status) {
    Reply r = call(*c, method, path, bearer, body);
    REQUIRE_MESSAGE(r.status == status, (method + " " + path + " -> " + std::to_string(r.status) + " " + r.body));
    return r.body.empty() ? json::value() : parse(r);
  }
  size_t deliver() { return s.scheduler.run_once(now_ms()).notifications; }
};

}  // namespace

TEST_CASE("childcare end to end: consent gates the household, doses move the schedule, one inbox message per opening") {
  City city;
  std::string parent = City::token(call(*city.c, "POST", "/api/v1/auth/register", "",
                                        R"({"login": "oya@example.jp", "password": "correct horse battery", "display_name": "親"})"));
  city.expect("PATCH", "/api/v1/me", parent,
              R"({"household": [{"name": "はなこ", "birthdate": ")" + days_ago(60) + R"(", "relation": "child"}]})", 200);

  // Granted in the manifest but not consented: the mini-app does not see the children.
  auto refused = city.expect("GET", "/apps/childcare/me/schedule", parent, "", 403);
  CHECK(refused.at("error").at("code").as_string() == "household_not_shared");
  city.expect("PUT", "/api/v1/me/consents/childcare", parent, R"({"claims": ["household"]})", 200);
  auto schedule = city.expect("GET", "/apps/childcare/me/schedule", parent, "", 200);
  REQUIRE(schedule.at("children").as_array().size() == 1);
  auto hanako = schedule.at("children").at(0);
  CHECK(hanako.at("name").as_string() == "はなこ");
  std::string child(hanako.at("id").as_string());

  auto recorded = city.expect("POST", "/apps/childcare/me/children/" + child + "/doses", parent,
                              R"({"vaccine": "hepb", "date": ")" + days_ago(3) + R"("})", 201);
  CHECK(recorded.at("vaccine").at("doses").at(0).at("state").as_string() == "done");
  CHECK(recorded.at("vaccine").at("doses").at(1).at("earliest").as_string() == days_ago(-25));  // 27 clear days later
  Reply malformed = call(*city.c, "POST", "/apps/childcare/me/children/" + child + "/doses", parent, "{\"vaccine\": ");
  CHECK(malformed.status == 400);
  CHECK(city.expect("GET", "/apps/childcare/me/schedule", parent, "", 200)
            .at("children").at(0).at("vaccines").at(0).at("doses").at(0).at("given").at("date").as_string() == days_ago(3));

  // The home screen's card for this mini-app names the next dose.
  auto cards = city.expect("GET", "/api/v1/me/cards", parent, "", 200).at("cards").as_array();
  REQUIRE(cards.size() == 1);
  std::string body(cards[0].at("body").as_string());
  CHECK((body.starts_with("接種できます: はなこ") || body.starts_with("次の予防接種: はなこ")));

  // A vacancy alert: delivered to the inbox once per opening, whatever the staff do meanwhile.
  city.expect("POST", "/apps/childcare/me/alerts", parent, R"({"facility": "nagomi", "class": 0})", 201);
  city.expect("PUT", "/apps/childcare/staff/nurseries/nagomi/vacancies", parent, R"({"vacancies": {"0": 1}})", 403);
  city.expect("PUT", "/apps/childcare/staff/nurseries/nagomi/vacancies", city.staff, R"({"vacancies": {"0": 1}})", 200);
  city.expect("PUT", "/apps/childcare/staff/nurseries/nagomi/vacancies", city.staff, R"({"vacancies": {"0": 2}})", 200);
  city.deliver();
  auto vacancy_messages = [&] {
    size_t n = 0;
    json::value inbox = city.expect("GET", "/api/v1/me/notifications", parent, "", 200);
    for (const auto& item : inbox.at("items").as_array()) {
      n += item.at("title").as_string().find("保育施設に空きが出ました") == 0;
    }
    return n;
  };
  CHECK(vacancy_messages() == 1);
  city.deliver();
  CHECK(vacancy_messages() == 1);
  city.expect("PUT", "/apps/childcare/staff/nurseries/nagomi/vacancies", city.staff, R"({"vacancies": {"0": 0}})", 200);
  city.expect("PUT", "/apps/childcare/staff/nurseries/nagomi/vacancies", city.staff, R"({"vacancies": {"0": 1}})", 200);
  city.deliver();
  CHECK(vacancy_messages() == 2);

  // Consent withdrawn: the children are gone from the mini-app at once; the server keeps serving.
  city.expect("PUT", "/api/v1/me/consents/childcare", parent, R"({"claims": []})", 200);
  city.expect("GET", "/apps/childcare/me/schedule", parent, "", 403);
  CHECK(city.expect("GET", "/apps/childcare/nurseries", "", "", 200).at("facilities").as_array().size() == 5);
}
