// Out-of-process mini-apps ("isolation": "process") against the real server: the same notes.so
// fixture runs in a real `machi plugin-host` process started from the real machi binary. Every
// host function and hook crosses the socket; a plugin that segfaults or aborts costs only its own
// in-flight requests while another mini-app serves load; the host comes back after a back-off;
// a crash loop marks the mini-app failed until a manifest reload.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "runtime/plugin/remote_instance.h"
#include "tests/support/http_client.h"
#include "tests/support/sse_client.h"
#include "tests/support/test_server.h"
#include "tests/support/test_verifier.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

json::value parse(const Reply& r) { return json::parse(r.body); }

std::string sign_up(HttpClient& c, const std::string& login) {
  Reply r = call(c, "POST", "/api/v1/auth/register", "",
                 json::serialize(json::object{{"login", login},
                                              {"password", "correct horse battery"},
                                              {"display_name", "Hanako"}}));
  REQUIRE_MESSAGE(r.status == 201, r.body);
  return std::string(parse(r).at("access_token").as_string());
}

std::string sign_in(HttpClient& c, const std::string& login, const std::string& password) {
  Reply r = call(c, "POST", "/api/v1/auth/token", "",
                 json::serialize(json::object{{"grant_type", "password"}, {"login", login}, {"password", password}}));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return std::string(parse(r).at("access_token").as_string());
}

RemoteInstance* remote(TestServer& s, const std::string& id) {
  auto app = s.municipalities.all().front()->find(id);
  REQUIRE(app);
  return dynamic_cast<RemoteInstance*>(app->instance.get());
}

// Polls GET /apps/{id}/pid until the mini-app answers from a process other than `old_pid`.
int64_t wait_for_new_host(HttpClient& c, const std::string& id, int64_t old_pid) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    Reply r = c.get("/apps/" + id + "/pid", "localhost");
    if (r.status == 200) {
      int64_t pid = parse(r).at("pid").as_int64();
      if (pid != old_pid) return pid;
    } else {
      CHECK_MESSAGE(r.status == 503, r.body);  // restarting: unavailable, never anything else
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

double sample(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("out of process: the same plugin serves requests, storage, host functions and hooks from its own process") {
  TestServer s;
  TestVerifier verifier;
  std::string manifest = manifest_json("demo", "localhost",
      R"({"id": "notes-a", "name": "A", "plugin": "notes.so", "isolation": "process", "process": {"workers": 2}},
         {"id": "notes-b", "name": "B", "plugin": "notes.so"})");
  manifest.insert(1, "\"staff_roles\": [\"counter\"], \"verifiers\": [" + verifier.manifest_entry() + "], ");
  REQUIRE(s.load("m.json", manifest).empty());
  HttpClient c(s.port());

  RemoteInstance* host = remote(s, "notes-a");
  REQUIRE(host != nullptr);
  CHECK(dynamic_cast<RemoteInstance*>(s.municipalities.all().front()->find("notes-b")->instance.get()) == nullptr);
  Reply pid = c.get("/apps/notes-a/pid", "localhost");
  REQUIRE(pid.status == 200);
  CHECK(parse(pid).at("pid").as_int64() == host->host_pid());
  CHECK(parse(pid).at("pid").as_int64() != ::getpid());
  CHECK(parse(c.get("/apps/notes-b/pid", "localhost")).at("pid").as_int64() == ::getpid());
  CHECK(host->plugin().id == "notes");  // what the host reported at Ready
  bool mapped = host->plugin().hooks.on_request != nullptr;
  CHECK_FALSE(mapped);  // its code is never mapped here

  // Claims and storage.
  std::string token = sign_up(c, "hanako@example.jp");
  Reply who = call(c, "GET", "/apps/notes-a/whoami", token);
  REQUIRE(who.status == 200);
  std::string subject(parse(who).at(MACHI_CLAIM_SUBJECT).as_string());
  CHECK(subject != std::string(parse(call(c, "GET", "/apps/notes-b/whoami", token)).at(MACHI_CLAIM_SUBJECT).as_string()));
  CHECK(call(c, "POST", "/apps/notes-a/notes", token, "buy rice").status == 201);
  CHECK(call(c, "POST", "/apps/notes-a/notes", token, "ごみ出し").status == 201);
  Reply notes = call(c, "GET", "/apps/notes-a/notes", token);
  REQUIRE(notes.status == 200);
  CHECK(parse(notes).at("notes").as_array().size() == 2);

  // Credentials never cross; the response is checked again on this side (Set-Cookie dropped).
  Reply headers = c.request("GET", "/apps/notes-a/headers", "localhost",
                            {{"Authorization", "Bearer " + token}, {"Cookie", "machi_session=x"}, {"X-Thing", "1"}});
  REQUIRE(headers.status == 200);
  CHECK_FALSE(parse(headers).as_object().contains("authorization"));
  CHECK_FALSE(parse(headers).as_object().contains("cookie"));
  CHECK(parse(headers).at("x-thing").as_string() == "1");
  CHECK(headers.headers.count("set-cookie") == 0);
  CHECK(headers.headers["x-notes"] == "1");

  // A deferred answer completed from a plugin thread in the host.
  Reply slow = c.get("/apps/notes-a/slow?ms=30", "localhost");
  CHECK(slow.status == 200);
  CHECK(slow.body == R"({"slow":true})");

  // publish → the runtime's live hub.
  SseClient board(s.port(), "/apps/notes-a/live/board");
  REQUIRE(board.status == 200);
  REQUIRE(board.next());  // ready
  Reply published = call(c, "POST", "/apps/notes-a/publish?channel=board", token, "3 waiting");
  REQUIRE(published.status == 200);
  CHECK(parse(published).at("delivered").as_int64() == 1);
  auto event = board.next();
  REQUIRE(event);
  CHECK(json::parse(event->data).at("message").as_string() == "3 waiting");

  // notify (the recipient check asks the runtime) → outbox in the host's database → inbox.
  Reply notified = call(c, "POST", "/apps/notes-a/notify", token,
                        R"({"key": "n1", "category": "info", "title": "from the host"})");
  REQUIRE_MESSAGE(notified.status == 200, notified.body);
  CHECK(parse(notified).at("notified").as_bool());
  Reply unknown = call(c, "POST", "/apps/notes-a/notify?subject=nobody", token,
                       R"({"key": "n2", "category": "info", "title": "x"})");
  CHECK(parse(unknown).at("notified").as_bool() == false);
  // Scheduled events run in the host.
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  REQUIRE(c.request("POST", "/apps/notes-a/remind?key=r1&due=" + std::to_string(now_ms - 1000), "localhost").status == 200);
  auto pass = s.scheduler.run_once();
  CHECK(pass.notifications == 1);
  CHECK(pass.events == 1);
  auto events = parse(c.get("/apps/notes-a/events", "localhost")).as_array();
  REQUIRE(events.size() == 1);
  CHECK(events[0].at(0).as_string() == "r1");
  auto inbox = parse(call(c, "GET", "/api/v1/me/notifications", token)).at("items").as_array();
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0].at("title").as_string() == "from the host");
  CHECK(s.scheduler.run_once().notifications == 0);  // removed from the host's outbox

  // Hooks: info card, export, health (status endpoint), erase on account deletion.
  Reply cards = call(c, "GET", "/api/v1/me/cards?locale=en", token);
  REQUIRE_MESSAGE(cards.status == 200, cards.body);
  CHECK(cards.body.find("2 notes") != std::string::npos);
  Reply exported = call(c, "GET", "/api/v1/me/export", token);
  REQUIRE(exported.status == 200);
  CHECK(exported.body.find("ごみ出し") != std::string::npos);

  // A staff scan resolves a citizen card through the runtime, from inside the host.
  std::string nonce(parse(call(c, "POST", "/api/v1/me/verification/nonce", token, "{}")).at("nonce").as_string());
  REQUIRE(call(c, "POST", "/api/v1/me/verification", token,
               json::serialize(json::object{{"assertion", verifier.assertion("https://localhost", nonce)}})).status == 200);
  std::string verified = sign_in(c, "hanako@example.jp", "correct horse battery");
  REQUIRE(staff_add(s, "desk@city.example", "counter") == 0);
  std::string staff = sign_in(c, "desk@city.example", "staff password 1");
  Reply card = call(c, "GET", "/api/v1/me/citizen-card", verified);
  REQUIRE(card.status == 200);
  std::string card_token(parse(card).at("token").as_string());
  Reply checkin = call(c, "POST", "/apps/notes-a/checkin", staff, card_token);
  REQUIRE_MESSAGE(checkin.status == 200, checkin.body);
  CHECK(parse(checkin).at("resident").as_string() == subject);
  CHECK(call(c, "POST", "/apps/notes-a/checkin", staff, card_token).status == 403);  // spent

  Reply metrics = c.get("/metrics", "localhost");
  CHECK(sample(metrics.body, R"(machi_mini_app_healthy{municipality="demo",mini_app="notes-a"})") == 1);
  CHECK(sample(metrics.body, R"(machi_mini_app_host_restarts_total{municipality="demo",mini_app="notes-a"})") == 0);

  Reply erased = call(c, "DELETE", "/api/v1/me", token, R"({"password": "correct horse battery"})");
  REQUIRE_MESSAGE(erased.status < 300, erased.body);
  Reply after = call(c, "GET", "/apps/notes-a/notes", sign_up(c, "other@example.jp"));
  CHECK(parse(after).at("notes").as_array().empty());
}

TEST_CASE("out of process: a plugin that crashes costs only its own in-flight requests, and its host comes back") {
  TestServer s({}, 6);
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost",
      R"({"id": "crashy", "name": "C", "plugin": "notes.so", "isolation": "process", "breaker": {"failures": 0}},
         {"id": "steady", "name": "S", "plugin": "notes.so"})")).empty());
  HttpClient c(s.port());
  std::string token = sign_up(c, "hanako@example.jp");
  REQUIRE(call(c, "POST", "/apps/crashy/notes", token, "kept across crashes").status == 201);

  // Load on the other mini-app for the whole test.
  std::atomic<bool> stop{false};
  std::atomic<int> served{0}, failed{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 2; ++t) {
    load.emplace_back([&] {
      HttpClient lc(s.port());
      while (!stop) {
        Reply r = lc.get("/apps/steady/whoami", "localhost");
        (r.status == 200 ? served : failed).fetch_add(1);
      }
    });
  }

  int64_t pid = parse(c.get("/apps/crashy/pid", "localhost")).at("pid").as_int64();
  for (const char* how : {"segv", "abort"}) {
    // Two requests in flight on the host when it dies: they are its cost.
    auto in_flight = [&] {
      return std::async(std::launch::async, [&] {
        HttpClient own(s.port());
        return own.get("/apps/crashy/sleep?ms=1500", "localhost");
      });
    };
    auto first = in_flight();
    auto second = in_flight();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Reply crash = c.get(std::string("/apps/crashy/crash?how=") + how, "localhost");
    CHECK(crash.status == 502);
    CHECK(parse(crash).at("error").at("code").as_string() == "mini_app_crashed");
    Reply a = first.get();
    Reply b = second.get();
    CHECK(a.status == 502);
    CHECK(b.status == 502);
    int64_t next = wait_for_new_host(c, "crashy", pid);
    REQUIRE(next > 0);
    CHECK(next != pid);
    pid = next;
    // Committed data survived the crash.
    Reply notes = call(c, "GET", "/apps/crashy/notes", token);
    REQUIRE(notes.status == 200);
    CHECK(parse(notes).at("notes").as_array().size() == 1);
  }
  stop = true;
  for (auto& t : load) t.join();
  CHECK(failed.load() == 0);
  CHECK(served.load() > 20);
  CHECK(remote(s, "crashy")->restarts() == 2);
  Reply metrics = c.get("/metrics", "localhost");
  CHECK(sample(metrics.body, R"(machi_mini_app_host_restarts_total{municipality="demo",mini_app="crashy"})") == 2);
  CHECK(sample(metrics.body, R"(machi_mini_app_healthy{municipality="demo",mini_app="crashy"})") == 1);
}

TEST_CASE("out of process: a crash loop marks the mini-app failed until a manifest reload starts it afresh") {
  TestServer s;
  const std::string json = manifest_json("demo", "localhost",
      R"({"id": "crashy", "name": "C", "plugin": "notes.so", "isolation": "process", "breaker": {"failures": 0},
          "process": {"crash_limit": 3, "crash_window_ms": 60000}})");
  REQUIRE(s.load("m.json", json).empty());
  HttpClient c(s.port());
  int64_t pid = parse(c.get("/apps/crashy/pid", "localhost")).at("pid").as_int64();
  for (int i = 0; i < 2; ++i) {
    CHECK(c.get("/apps/crashy/crash", "localhost").status == 502);
    pid = wait_for_new_host(c, "crashy", pid);
    REQUIRE(pid > 0);
  }
  CHECK(c.get("/apps/crashy/crash", "localhost").status == 502);  // the third death within the window
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!remote(s, "crashy")->failed() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(remote(s, "crashy")->failed());
  Reply refused = c.get("/apps/crashy/pid", "localhost");
  CHECK(refused.status == 503);
  CHECK(parse(refused).at("error").at("code").as_string() == "mini_app_failed");
  CHECK(remote(s, "crashy")->host_pid() == 0);
  Reply metrics = c.get("/metrics", "localhost");
  CHECK(sample(metrics.body, R"(machi_mini_app_healthy{municipality="demo",mini_app="crashy"})") == 0);

  // The operator fixes the cause and reloads (same manifest): a failed instance is never kept.
  REQUIRE(s.load("m.json", json).empty());
  Reply back = c.get("/apps/crashy/pid", "localhost");
  REQUIRE(back.status == 200);
  CHECK(parse(back).at("pid").as_int64() != pid);
  CHECK_FALSE(remote(s, "crashy")->failed());
}

TEST_CASE("out of process: deadlines abandon the request in the host; an unchanged reload keeps the host") {
  TestServer s;
  const std::string json = manifest_json("demo", "localhost",
      R"({"id": "notes-a", "name": "A", "plugin": "notes.so", "isolation": "process", "deadline_ms": 200})");
  REQUIRE(s.load("m.json", json).empty());
  HttpClient c(s.port());
  Reply late = c.get("/apps/notes-a/slow?ms=600", "localhost");
  CHECK(late.status == 504);
  // The plugin's late complete() finds the request expired, as in process.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  auto completions = parse(c.get("/apps/notes-a/completions", "localhost")).as_array();
  REQUIRE(completions.size() == 1);
  CHECK(completions[0].as_int64() == MACHI_ERR_EXPIRED);

  pid_t pid = remote(s, "notes-a")->host_pid();
  REQUIRE(s.load("m.json", json).empty());
  CHECK(remote(s, "notes-a")->host_pid() == pid);  // unchanged: the same process keeps serving
  // A changed deadline replaces the host (now with room for the request below).
  std::string roomy = json;
  roomy.replace(roomy.find(R"("deadline_ms": 200)"), 18, R"("deadline_ms": 9000)");
  REQUIRE(s.load("m.json", roomy).empty());
  CHECK(remote(s, "notes-a")->host_pid() != pid);
  pid = remote(s, "notes-a")->host_pid();
  // Another change replaces it again while a request is in flight on it: that request still
  // gets its answer, and the old host goes once that answer lets go of it.
  auto in_flight = std::async(std::launch::async, [&] {
    HttpClient own(s.port());
    return own.get("/apps/notes-a/sleep?ms=400", "localhost");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string changed = json;
  changed.replace(changed.find(R"("deadline_ms": 200)"), 18, R"("deadline_ms": 300)");
  REQUIRE(s.load("m.json", changed).empty());
  pid_t replaced = remote(s, "notes-a")->host_pid();
  CHECK(replaced != pid);
  Reply answered = in_flight.get();
  CHECK(answered.status == 200);
  auto gone_by = std::chrono::steady_clock::now() + std::chrono::seconds(6);
  while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < gone_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(::kill(pid, 0) != 0);
  pid = replaced;
  // Switching isolation replaces the instance: now in process.
  std::string in_process = json;
  in_process.replace(in_process.find(R"("isolation": "process")"), 22, R"("isolation": "in_process")");
  in_process.replace(in_process.find(R"("deadline_ms": 200)"), 18, R"("deadline_ms": 300)");
  REQUIRE(s.load("m.json", in_process).empty());
  CHECK(remote(s, "notes-a") == nullptr);
  CHECK(parse(c.get("/apps/notes-a/pid", "localhost")).at("pid").as_int64() == ::getpid());
  // The old host was stopped, not left behind.
  CHECK(::kill(pid, 0) != 0);
}

TEST_CASE("out of process: what the host refuses is reported as manifest problems, and the last good manifest keeps serving") {
  TestServer s;
  auto garbage = [](const std::string& suspension) {
    return manifest_json("demo", "localhost",
                         R"({"id": "garbage", "name": "G", "plugin": "garbage_calendar.so", "isolation": "process",
                             "config": {"suspension": ")" + suspension + R"("}})");
  };
  // At start-up the refused mount fails alone (start with what works), with the host's reason.
  REQUIRE(s.load("m.json", garbage("sometimes")).empty());
  REQUIRE(s.municipalities.all().front()->failed.size() == 1);
  std::string reason = s.municipalities.all().front()->failed.front().reason;
  CHECK_MESSAGE(reason.starts_with("/mini_apps/0/config/suspension: "), reason);
  // Once it serves, the same refusal in a change is kept out and the last good manifest serves.
  REQUIRE(s.load("m.json", garbage("skip")).empty());
  REQUIRE(s.municipalities.all().front()->find("garbage") != nullptr);
  auto problems = s.load("m.json", garbage("sometimes"));
  REQUIRE_FALSE(problems.empty());
  CHECK_MESSAGE(problems.front().starts_with("/mini_apps/0/config/suspension: "), problems.front());
  CHECK(s.municipalities.all().front()->find("garbage") != nullptr);

  auto bad = s.load("m2.json", R"({"municipality": "x", "name": "x", "public_url": "https://x", "hostnames": ["x"],
      "timezone": "Asia/Tokyo", "mini_apps": [{"id": "a", "name": "A", "plugin": "notes.so", "isolation": "sandbox"},
      {"id": "b", "name": "B", "plugin": "notes.so", "process": {"workers": 2}}]})");
  REQUIRE(bad.size() == 2);
  CHECK(bad[0].find("/mini_apps/0/isolation") == 0);
  CHECK(bad[1].find("/mini_apps/1/process") == 0);

  // A runtime that does not know its executable cannot start hosts and says so.
  PluginLoader loader(s.dir / "cache2");
  Municipalities alone(loader, MunicipalitiesOptions{{plugin_dir(), fixture_dir()}, s.dir / "data2", nullptr, {}});
  auto none = alone.load(s.write_manifest("m3.json", manifest_json("y", "y", R"({"id": "a", "name": "A", "plugin": "notes.so", "isolation": "process"})")));
  CHECK(none.empty());
  REQUIRE(alone.all().front()->failed.size() == 1);
  CHECK(alone.all().front()->failed[0].reason.find("does not know its own executable") != std::string::npos);
}
