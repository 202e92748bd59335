// Notifications against the real server: a plugin notifies a resident through the host's notify()
// (the transactional outbox in its own database), a scheduler pass moves committed items into the
// resident's inbox exactly once, the inbox API pages and marks read, scheduled reminders notify,
// jobs expire, wait while their mini-app is disabled, and local times follow the manifest's zone.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "runtime/scheduler/local_time.h"
#include "tests/support/http_client.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

std::string apps(bool b_enabled = true) {
  return std::string(R"({"id": "notes-a", "name": "A", "plugin": "notes.so"},
    {"id": "notes-b", "name": "B", "plugin": "notes.so", "enabled": )") +
         (b_enabled ? "true" : "false") + "}";
}

json::value parse(const Reply& r) { return json::parse(r.body); }

struct Resident {
  std::string token;
  std::string subject_a;  // the pairwise subject notes-a knows
};

Resident sign_up(HttpClient& c, const std::string& login) {
  Reply r = call(c, "POST", "/api/v1/auth/register", "",
                 json::serialize(json::object{{"login", login},
                                              {"password", "correct horse battery"},
                                              {"display_name", "Hanako"}}));
  REQUIRE_MESSAGE(r.status == 201, r.body);
  Resident resident;
  resident.token = std::string(parse(r).at("access_token").as_string());
  Reply who = call(c, "GET", "/apps/notes-a/whoami", resident.token);
  REQUIRE(who.status == 200);
  resident.subject_a = std::string(parse(who).at(MACHI_CLAIM_SUBJECT).as_string());
  return resident;
}

json::object inbox(HttpClient& c, const Resident& r, const std::string& query = "") {
  Reply reply = call(c, "GET", "/api/v1/me/notifications" + query, r.token);
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  return parse(reply).as_object();
}

const std::string kHello =
    R"({"key": "hello-1", "category": "info", "title": "こんにちは", "body": "line 1\nline 2", "link": "/notes"})";

}  // namespace

TEST_CASE("a plugin's notification reaches the inbox once, after the scheduler pass") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", apps())).empty());
  HttpClient c(s.port());
  Resident hanako = sign_up(c, "hanako@example.jp");

  Reply sent = call(c, "POST", "/apps/notes-a/notify", hanako.token, kHello);
  REQUIRE_MESSAGE(sent.status == 200, sent.body);
  CHECK(parse(sent).at("notified").as_bool());
  CHECK(inbox(c, hanako).at("items").as_array().empty());  // committed in the outbox only

  CHECK(s.scheduler.run_once().notifications == 1);
  auto box = inbox(c, hanako);
  REQUIRE(box.at("items").as_array().size() == 1);
  CHECK(box.at("unread").as_int64() == 1);
  const auto& n = box.at("items").as_array()[0].as_object();
  CHECK(n.at("title").as_string() == "こんにちは");
  CHECK(n.at("body").as_string() == "line 1\nline 2");
  CHECK(n.at("source").as_string() == "notes-a");
  CHECK(n.at("link").as_string() == "/apps/notes-a/notes");
  CHECK(n.at("urgency").as_string() == "normal");
  CHECK_FALSE(n.at("read").as_bool());

  // The same key again (a plugin retrying after a crash): still one notification.
  REQUIRE(call(c, "POST", "/apps/notes-a/notify", hanako.token, kHello).status == 200);
  CHECK(s.scheduler.run_once().notifications == 1);  // moved out of the outbox…
  CHECK(inbox(c, hanako).at("items").as_array().size() == 1);  // …but not added twice

  // Mark read: one, then all.
  int64_t id = n.at("id").as_int64();
  CHECK(call(c, "POST", "/api/v1/me/notifications/" + std::to_string(id) + "/read", hanako.token).status == 204);
  CHECK(inbox(c, hanako).at("unread").as_int64() == 0);
  CHECK(call(c, "POST", "/api/v1/me/notifications/999999/read", hanako.token).status == 404);
  CHECK(call(c, "GET", "/api/v1/me/notifications", "").status == 401);
}

TEST_CASE("a notification inside a rolled-back transaction never reaches the inbox") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", apps())).empty());
  HttpClient c(s.port());
  Resident hanako = sign_up(c, "hanako@example.jp");
  Reply failed = call(c, "POST", "/apps/notes-a/notify?rollback=1", hanako.token, kHello);
  CHECK(failed.status == 500);
  CHECK(s.scheduler.run_once().notifications == 0);
  CHECK(inbox(c, hanako).at("items").as_array().empty());
}

TEST_CASE("notify refuses unknown subjects, other mini-apps' subjects and malformed notifications") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", apps())).empty());
  HttpClient c(s.port());
  Resident hanako = sign_up(c, "hanako@example.jp");
  Reply unknown = call(c, "POST", "/apps/notes-a/notify?subject=nobody", hanako.token, kHello);
  REQUIRE(unknown.status == 200);
  CHECK_FALSE(parse(unknown).at("notified").as_bool());
  // notes-a's subject means nothing to notes-b: pairwise subjects do not cross mini-apps.
  Reply crossed = call(c, "POST", "/apps/notes-b/notify?subject=" + hanako.subject_a, hanako.token, kHello);
  REQUIRE(crossed.status == 200);
  CHECK_FALSE(parse(crossed).at("notified").as_bool());
  for (const char* bad : {R"({"key": "k", "category": "Bad Category", "title": "t"})",
                          R"({"key": "k", "category": "c"})",
                          R"({"key": "k", "category": "c", "title": "t", "link": "https://evil.example/"})",
                          R"({"key": "k", "category": "c", "title": "t", "urgency": "panic"})",
                          R"({"key": "k", "category": "c", "title": "t", "expires_unix_ms": 5})",
                          R"({"key": "k", "category": "c", "title": "t", "extra": 1})"}) {
    CAPTURE(bad);
    CHECK(call(c, "POST", "/apps/notes-a/notify", hanako.token, bad).status == 500);
    // A good call between the failures: five in a row would open notes-a's circuit breaker.
    REQUIRE(call(c, "GET", "/apps/notes-a/whoami", hanako.token).status == 200);
  }
  CHECK(s.scheduler.run_once().notifications == 0);
}

TEST_CASE("a due reminder job notifies in the same pass; an expired job is dropped, not late") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", apps())).empty());
  HttpClient c(s.port());
  Resident hanako = sign_up(c, "hanako@example.jp");
  int64_t now = unix_now_ms();
  Reply r = call(c, "POST", "/apps/notes-a/remind?key=garbage-day&due=" + std::to_string(now - 1000) +
                                "&payload=notify:" + hanako.subject_a, hanako.token);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  // Due at an hour ago, expired a second ago (the runtime was down meanwhile).
  Reply late = call(c, "POST", "/apps/notes-a/remind-local?key=stale&at=2020-01-01T07:00&expires=" +
                                   std::to_string(now - 1000), hanako.token);
  REQUIRE_MESSAGE(late.status == 200, late.body);

  auto pass = s.scheduler.run_once();
  CHECK(pass.events == 1);
  CHECK(pass.notifications == 1);
  auto box = inbox(c, hanako);
  REQUIRE(box.at("items").as_array().size() == 1);
  CHECK(box.at("items").as_array()[0].at("title").as_string() == "Reminder: garbage-day");
  auto events = parse(call(c, "GET", "/apps/notes-a/events", hanako.token)).as_array();
  REQUIRE(events.size() == 1);  // "stale" was dropped
  CHECK(events[0].as_array()[0].as_string() == "garbage-day");
  CHECK(s.scheduler.run_once().events == 0);  // delivered once
}

TEST_CASE("local times follow the manifest's zone; bad local times are refused") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", apps())).empty());
  HttpClient c(s.port());
  Resident hanako = sign_up(c, "hanako@example.jp");
  Reply r = call(c, "POST", "/apps/notes-a/remind-local?key=k&at=2026-11-23T07:00", hanako.token);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(parse(r).at("due_unix_ms").as_int64() == 1795384800000);  // 2026-11-22T22:00Z (JST +9)
  CHECK(call(c, "POST", "/apps/notes-a/remind-local?key=k&at=2026-13-01T07:00", hanako.token).status == 500);
  CHECK(call(c, "POST", "/apps/notes-a/remind-local?key=k&at=tomorrow", hanako.token).status == 500);
  // A zone with daylight saving: a time skipped by the spring change is the change's instant.
  CHECK(local_to_unix_ms("Europe/Berlin", "2026-03-29T02:30").value() ==
        local_to_unix_ms("Europe/Berlin", "2026-03-29T03:00").value());
  // A repeated autumn time is the earlier instant (still summer time, UTC+2).
  CHECK(local_to_unix_ms("Europe/Berlin", "2026-10-25T02:30").value() ==
        local_to_unix_ms("UTC", "2026-10-25T00:30").value());
}

TEST_CASE("jobs of a disabled mini-app wait, and run once it is enabled again") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", apps())).empty());
  HttpClient c(s.port());
  Resident hanako = sign_up(c, "hanako@example.jp");
  int64_t due = unix_now_ms() + 300;
  REQUIRE(call(c, "POST", "/apps/notes-b/remind?key=paused&due=" + std::to_string(due), hanako.token).status == 200);
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", apps(false))).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(s.scheduler.run_once().events == 0);  // due, but notes-b is disabled
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", apps(true))).empty());
  CHECK(s.scheduler.run_once().events == 1);
  auto events = parse(call(c, "GET", "/apps/notes-b/events", hanako.token)).as_array();
  REQUIRE(events.size() == 1);
  CHECK(events[0].as_array()[0].as_string() == "paused");
}

TEST_CASE("the inbox pages newest first and is part of the export; deletion removes it") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", apps())).empty());
  HttpClient c(s.port());
  Resident hanako = sign_up(c, "hanako@example.jp");
  for (int i = 0; i < 5; ++i) {
    std::string body = R"({"key": "k)" + std::to_string(i) + R"(", "category": "info", "title": "n)" +
                       std::to_string(i) + R"("})";
    REQUIRE(call(c, "POST", "/apps/notes-a/notify", hanako.token, body).status == 200);
  }
  CHECK(s.scheduler.run_once().notifications == 5);
  auto first = inbox(c, hanako, "?limit=2");
  REQUIRE(first.at("items").as_array().size() == 2);
  CHECK(first.at("items").as_array()[0].at("title").as_string() == "n4");
  CHECK(first.at("unread").as_int64() == 5);
  auto second = inbox(c, hanako, "?limit=2&before=" + std::to_string(first.at("next_before").as_int64()));
  CHECK(second.at("items").as_array()[0].at("title").as_string() == "n2");
  auto last = inbox(c, hanako, "?limit=2&before=" + std::to_string(second.at("next_before").as_int64()));
  CHECK(last.at("items").as_array().size() == 1);
  CHECK(last.at("next_before").is_null());
  CHECK(call(c, "GET", "/api/v1/me/notifications?limit=0", hanako.token).status == 400);
  CHECK(call(c, "GET", "/api/v1/me/notifications?before=abc", hanako.token).status == 400);
  Reply marked = call(c, "POST", "/api/v1/me/notifications/read-all", hanako.token);
  REQUIRE(marked.status == 200);
  CHECK(parse(marked).at("marked").as_int64() == 5);

  Reply exported = call(c, "GET", "/api/v1/me/export", hanako.token);
  REQUIRE(exported.status == 200);
  CHECK(parse(exported).at("notifications").as_array().size() == 5);

  Reply deleted = call(c, "DELETE", "/api/v1/me", hanako.token,
                       R"({"password": "correct horse battery"})");
  REQUIRE_MESSAGE(deleted.status == 204, deleted.body);
  // The subject is forgotten with the account: the mini-app can no longer address it.
  Resident other = sign_up(c, "other@example.jp");
  Reply gone = call(c, "POST", "/apps/notes-a/notify?subject=" + hanako.subject_a, other.token, kHello);
  REQUIRE(gone.status == 200);
  CHECK_FALSE(parse(gone).at("notified").as_bool());
}

TEST_CASE("preferences: muted categories are not delivered unless critical; bad input is refused") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", apps())).empty());
  HttpClient c(s.port());
  Resident hanako = sign_up(c, "hanako@example.jp");
  Reply set = call(c, "PUT", "/api/v1/me/notification-preferences", hanako.token,
                   R"({"muted": [{"source": "notes-a", "category": "events"}, {"source": null, "category": "tourism"}],
                       "quiet_hours": {"start": "22:30", "end": "06:45"}, "language": "ja"})");
  REQUIRE_MESSAGE(set.status == 200, set.body);
  auto prefs = parse(call(c, "GET", "/api/v1/me/notification-preferences", hanako.token)).as_object();
  CHECK(prefs.at("muted").as_array().size() == 2);
  CHECK(prefs.at("quiet_hours").at("start").as_string() == "22:30");
  CHECK(prefs.at("quiet_hours").at("end").as_string() == "06:45");

  REQUIRE(call(c, "POST", "/apps/notes-a/notify", hanako.token,
               R"({"key": "e1", "category": "events", "title": "festival"})").status == 200);
  REQUIRE(call(c, "POST", "/apps/notes-a/notify", hanako.token,
               R"({"key": "e2", "category": "events", "title": "evacuate", "urgency": "critical"})").status == 200);
  REQUIRE(call(c, "POST", "/apps/notes-a/notify", hanako.token,
               R"({"key": "g1", "category": "garbage", "title": "burnables"})").status == 200);
  s.scheduler.run_once();
  auto items = inbox(c, hanako).at("items").as_array();
  REQUIRE(items.size() == 2);  // the muted "festival" was not delivered
  CHECK(items[0].at("title").as_string() == "burnables");
  CHECK(items[1].at("title").as_string() == "evacuate");

  for (const char* bad : {R"({"muted": [{"source": "nowhere", "category": "x"}]})",
                          R"({"muted": [{"source": null, "category": "Not Valid"}]})",
                          R"({"quiet_hours": {"start": "25:00", "end": "07:00"}})",
                          R"({"quiet_hours": {"start": "7:00", "end": "08:00"}})",
                          R"({"language": "fr"})",
                          R"({"colour": "blue"})"}) {
    CAPTURE(bad);
    CHECK(call(c, "PUT", "/api/v1/me/notification-preferences", hanako.token, bad).status == 400);
  }
  // Nothing changed by the refused requests.
  CHECK(parse(call(c, "GET", "/api/v1/me/notification-preferences", hanako.token)).at("muted").as_array().size() == 2);
  CHECK(call(c, "PUT", "/api/v1/me/notification-preferences", hanako.token, R"({"quiet_hours": null})").status == 200);
  CHECK(parse(call(c, "GET", "/api/v1/me/notification-preferences", hanako.token)).at("quiet_hours").is_null());
}

TEST_CASE("local windows: inside, outside, wrapping midnight, in the municipality's zone") {
  // 2026-11-22T14:00Z is 23:00 in Tokyo.
  int64_t at_23 = 1795356000000;
  auto end = end_of_local_window("Asia/Tokyo", at_23, 22 * 60, 7 * 60);
  REQUIRE(end);
  CHECK(*end == 1795384800000);  // 07:00 the next morning in Tokyo = 2026-11-22T22:00Z
  CHECK_FALSE(end_of_local_window("Asia/Tokyo", at_23, 7 * 60, 22 * 60));
  auto same_day = end_of_local_window("Asia/Tokyo", at_23, 22 * 60, 23 * 60 + 30);
  REQUIRE(same_day);
  CHECK(*same_day == at_23 + 30 * 60 * 1000);
  CHECK_FALSE(end_of_local_window("UTC", at_23, 22 * 60, 7 * 60));  // 14:00 there
}
