// Routing, header filtering, deadlines, concurrency, hung plugins, several municipalities.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <future>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

const std::string kApps = R"(
  {"id": "notes", "name": "Notes", "plugin": "notes.so", "order": 2, "deadline_ms": 300,
   "concurrency": 2, "config": {"city": "one"}},
  {"id": "hello", "name": "Hello", "plugin": "hello.so", "order": 1,
   "audience": ["residents", "visitors"], "config": {"greeting": "ようこそ"}},
  {"id": "off", "name": "Off", "plugin": "hello.so", "enabled": false})";

json::value body(const Reply& r) { return json::parse(r.body); }

}  // namespace

TEST_CASE("runtime routes: health, app list in manifest order, mini-apps, JSON errors") {
  TestServer s;
  REQUIRE(s.load("one.json", manifest_json("one", "one.example", kApps)).empty());
  HttpClient c(s.port());
  CHECK(c.get("/healthz", "anything").status == 200);

  Reply apps = c.get("/api/v1/apps", "one.example");
  REQUIRE(apps.status == 200);
  auto list = body(apps).at("apps").as_array();
  REQUIRE(list.size() == 2);  // "off" is disabled
  CHECK(list[0].at("id").as_string() == "hello");
  CHECK(list[0].at("version").as_string() == "1.0.0");
  CHECK(list[0].at("audience").as_array().size() == 2);
  CHECK(list[1].at("id").as_string() == "notes");
  CHECK(list[1].at("name").as_string() == "Notes");
  CHECK(list[1].at("url").as_string() == "https://one.example/apps/notes/");

  Reply hello = c.get("/apps/hello/", "one.example");
  CHECK(hello.status == 200);
  CHECK(body(hello).at("message").as_string() == "ようこそ");
  CHECK(!hello.headers["x-request-id"].empty());
  CHECK(c.get("/apps/hello", "one.example").status == 200);  // no trailing slash: path "/"
  CHECK(c.get("/apps/hello/missing", "one.example").status == 404);

  Reply notes = c.get("/apps/notes/config?x=1", "one.example");
  CHECK(body(notes).at("city").as_string() == "one");

  Reply unknown = c.get("/apps/off/", "one.example");
  CHECK(unknown.status == 404);
  CHECK(body(unknown).at("error").at("code").as_string() == "unknown_mini_app");
  Reply nowhere = c.get("/nowhere", "one.example");
  CHECK(nowhere.status == 404);
  CHECK(body(nowhere).at("error").at("message").as_string().size() > 0);
  CHECK(c.request("POST", "/api/v1/apps", "one.example").status == 405);
  Reply host = c.get("/api/v1/apps", "evil.example");
  CHECK(host.status == 404);
  CHECK(body(host).at("error").at("code").as_string() == "unknown_host");
}

TEST_CASE("credentials and proxy headers never reach a plugin, in either isolation mode; its Set-Cookie never leaves") {
  TestServer s;
  REQUIRE(s.load("one.json", manifest_json("one", "one.example", kApps + R"(,
    {"id": "notes-remote", "name": "Notes", "plugin": "notes.so", "isolation": "process"})")).empty());
  HttpClient c(s.port());
  for (const char* app : {"notes", "notes-remote"}) {
    CAPTURE(app);
    Reply r = c.request("GET", std::string("/apps/") + app + "/headers", "one.example",
                        {{"Proxy-Authorization", "Basic c2VjcmV0LXRva2Vu"},  // valid bearer tokens:
                         {"Cookie", "tracking=s3cret"},                     // accounts_test.cc
                         {"X-CSRF-Token", "csrf-s3cret"},
                         {"X-Forwarded-For", "203.0.113.9"},
                         {"Forwarded", "for=203.0.113.9"},
                         {"Accept-Language", "ja"}});
    REQUIRE(r.status == 200);
    auto seen = body(r).as_object();
    CHECK(seen.contains("accept-language"));
    CHECK(seen.contains("host"));
    for (std::string_view hidden : kHiddenRequestHeaders) CHECK_FALSE(seen.contains(hidden));
    CHECK_FALSE(seen.contains("proxy-authorization"));
    CHECK_FALSE(seen.contains("cookie"));
    CHECK_FALSE(seen.contains("x-csrf-token"));
    CHECK_FALSE(seen.contains("x-forwarded-for"));
    CHECK_FALSE(seen.contains("forwarded"));
    CHECK(r.body.find("s3cret") == std::string::npos);
    CHECK(r.body.find("c2VjcmV0LXRva2Vu") == std::string::npos);
    CHECK(r.headers.count("set-cookie") == 0);
    CHECK(r.headers["x-notes"] == "1");
  }
}

TEST_CASE("past the deadline the client gets 504; the late answer is dropped") {
  TestServer s;
  REQUIRE(s.load("one.json", manifest_json("one", "one.example", kApps)).empty());
  HttpClient c(s.port());
  auto start = std::chrono::steady_clock::now();
  Reply slow = c.get("/apps/notes/slow?ms=1000", "one.example");  // deferred, answers late
  CHECK(slow.status == 504);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(900));
  CHECK(body(slow).at("error").at("code").as_string() == "deadline_exceeded");
  Reply blocked = c.get("/apps/notes/sleep?ms=600", "one.example");  // blocks a worker
  CHECK(blocked.status == 504);
  CHECK(c.get("/apps/notes/slow?ms=10", "one.example").status == 200);  // keeps serving
}

TEST_CASE("a mini-app at its concurrency limit answers 503; others are unaffected") {
  TestServer s;
  REQUIRE(s.load("one.json", manifest_json("one", "one.example", kApps)).empty());
  // Two requests that hold both of notes' slots (concurrency 2) for 250 ms.
  auto hold = [&] { return HttpClient(s.port()).get("/apps/notes/sleep?ms=250", "one.example"); };
  auto a = std::async(std::launch::async, hold);
  auto b = std::async(std::launch::async, hold);
  HttpClient c(s.port());
  // Wait (bounded) until both are running on workers, however loaded the machine is.
  for (int i = 0; i < 200 && json::parse(c.get("/readyz").body).at("workers").at("busy").as_int64() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  Reply busy = c.get("/apps/notes/config", "one.example");
  CHECK(busy.status == 503);
  CHECK(body(busy).at("error").at("code").as_string() == "mini_app_busy");
  CHECK(busy.headers["retry-after"] == "1");
  CHECK(c.get("/apps/hello/", "one.example").status == 200);
  CHECK(a.get().status == 200);
  CHECK(b.get().status == 200);
  CHECK(c.get("/apps/notes/config", "one.example").status == 200);  // slots given back
}

TEST_CASE("a hung plugin costs its workers, the pool reports them, the rest keeps serving") {
  TestServer s({}, /*workers=*/3, /*stuck_after=*/std::chrono::milliseconds(100));
  REQUIRE(s.load("one.json", manifest_json("one", "one.example", kApps + R"(,
    {"id": "other", "name": "Other", "plugin": "notes.so"})")).empty());
  auto hang = [&] { return HttpClient(s.port()).get("/apps/notes/sleep?ms=1500", "one.example"); };
  auto a = std::async(std::launch::async, hang);
  auto b = std::async(std::launch::async, hang);
  CHECK(a.get().status == 504);  // answered at the deadline while the hook still runs
  CHECK(b.get().status == 504);
  HttpClient c(s.port());
  Reply ready = c.get("/readyz", "one.example");
  auto workers = body(ready).at("workers");
  CHECK(workers.at("busy").as_int64() == 2);
  REQUIRE(workers.at("stuck").as_array().size() == 2);
  CHECK(workers.at("stuck").as_array()[0].at("task").as_string() == "one/notes");
  // Its two slots are held until the hooks return, so it cannot take the third worker...
  CHECK(c.get("/apps/notes/config", "one.example").status == 503);
  // ...which still serves everyone else, through the pool and inline.
  CHECK(c.get("/apps/other/config", "one.example").status == 200);
  CHECK(c.get("/apps/hello/", "one.example").status == 200);
}

TEST_CASE("two municipalities on one port, chosen by Host, each with its own instances") {
  TestServer s;
  REQUIRE(s.load("saga.json", manifest_json("saga", "saga.example", R"(
    {"id": "notes", "name": "N", "plugin": "notes.so", "config": {"city": "saga"}})")).empty());
  REQUIRE(s.load("takeo.json", manifest_json("takeo", "takeo.example", R"(
    {"id": "notes", "name": "N", "plugin": "notes.so", "config": {"city": "takeo"}})")).empty());
  HttpClient c(s.port());
  CHECK(body(c.get("/apps/notes/config", "saga.example")).at("city").as_string() == "saga");
  CHECK(body(c.get("/apps/notes/config", "takeo.example:8080")).at("city").as_string() == "takeo");
  CHECK(body(c.get("/api/v1/apps", "TAKEO.example")).at("municipality").as_string() == "takeo");
  CHECK(std::filesystem::exists(s.dir / "data/saga/apps/notes.db"));
  CHECK(std::filesystem::exists(s.dir / "data/takeo/apps/notes.db"));

  // A third manifest claiming a host already served is refused; the first keeps it.
  auto problems = s.load("copy.json", manifest_json("copy", "saga.example", "{\"id\": \"n\", \"name\": \"n\", \"plugin\": \"hello.so\"}"));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("already served") != std::string::npos);
  CHECK(body(c.get("/api/v1/apps", "saga.example")).at("municipality").as_string() == "saga");
}

TEST_CASE("Strict-Transport-Security on every answer of a municipality served over https, not over http") {
  TestServer s;
  REQUIRE(s.load("one.json", manifest_json("one", "one.example", kApps)).empty());  // https://one.example
  REQUIRE(s.load("plain.json", R"({"municipality": "plain", "name": "P", "public_url": "http://plain.example",
    "hostnames": ["plain.example"], "timezone": "Asia/Tokyo",
    "mini_apps": [{"id": "hello", "name": "H", "plugin": "hello.so"}]})").empty());
  HttpClient c(s.port());
  for (const char* path : {"/api/v1/apps", "/apps/hello/", "/apps/nowhere/", "/.well-known/jwks.json"}) {
    CAPTURE(path);
    CHECK(c.get(path, "one.example").headers["strict-transport-security"] == "max-age=31536000");
    CHECK(c.get(path, "plain.example").headers.count("strict-transport-security") == 0);
  }
}
