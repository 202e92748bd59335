#include "runtime/plugin/plugin_instance.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "runtime/log/log.h"
#include "runtime/plugin/health_tracker.h"
#include "tests/support/plugin_harness.h"

using namespace machi;
using machi::test::body_json;
using machi::test::call;
using machi::test::fixture;
using machi::test::Harness;
using machi::test::make_request;

namespace {

PluginRequest as_resident(PluginRequest r, const std::string& subject) {
  r.claims.values[MACHI_CLAIM_SUBJECT] = subject;
  return r;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("create failure is reported with the mount, the plugin and the plugin's reason") {
  Harness h;
  InstanceOptions options;
  options.mount_id = "broken";
  options.database_file = h.dir / "broken.db";
  auto created = PluginInstance::create(h.load(fixture("create_fails")), options);
  REQUIRE_FALSE(created.is_ok());
  CHECK(created.error().find("mini-app 'broken'") != std::string::npos);
  CHECK(created.error().find("create_fails") != std::string::npos);
  CHECK(created.error().find("config key 'api_url' is required") != std::string::npos);
}

TEST_CASE("a throwing hook answers 500, marks the instance unhealthy, and the runtime goes on") {
  Harness h;
  auto instance = h.instance(fixture("hook_throws"));
  CHECK(call(*instance, make_request("GET", "/")).status == 200);
  CHECK(instance->health().healthy);

  auto conflict = call(*instance, make_request("GET", "/http-error"));
  CHECK(conflict.status == 409);  // an HttpError is an answer, not a failure
  CHECK(body_json(conflict).at("error").at("code").as_string() == "conflict");
  CHECK(instance->healthy());

  auto failed = call(*instance, make_request("GET", "/throw"));
  CHECK(failed.status == 500);
  CHECK(body_json(failed).at("error").at("code").as_string() == "plugin_failed");
  CHECK(failed.body.find("database exploded") == std::string::npos);  // internals stay in logs
  CHECK_FALSE(instance->healthy());
  HealthReport health = instance->health();
  CHECK_FALSE(health.healthy);
  CHECK(health.reason.find("database exploded") != std::string::npos);

  CHECK(call(*instance, make_request("GET", "/throw-int")).status == 500);
  CHECK(call(*instance, make_request("GET", "/")).status == 200);  // still serving
  // Recovery on evidence: a run of successful requests (a failure in between starts it over).
  for (uint32_t i = 1; i < HealthTracker::kRecoverAfter - 1; ++i) {
    CHECK(call(*instance, make_request("GET", "/")).status == 200);
  }
  CHECK_FALSE(instance->healthy());  // one short of the run
  CHECK(call(*instance, make_request("GET", "/")).status == 200);
  CHECK(instance->healthy());
  CHECK(instance->health().healthy);
  CHECK(call(*instance, make_request("GET", "/throw")).status == 500);
  CHECK_FALSE(instance->healthy());
  auto card = instance->info_card({}, "ja");
  REQUIRE_FALSE(card.is_ok());
  CHECK(card.error().find("card bug") != std::string::npos);
}

TEST_CASE("malformed answers from a plugin become 500s or clear errors") {
  Harness h;
  auto instance = h.instance(fixture("malformed"));
  for (const char* path : {"/bad-status", "/crlf-header", "/no-answer", "/pending-without-defer",
                           "/unknown"}) {
    CAPTURE(path);
    auto answer = call(*instance, make_request("GET", path));
    CHECK(answer.status == 500);
    for (const auto& [name, value] : answer.headers) CHECK(name != "set-cookie");
  }
  auto twice = call(*instance, make_request("GET", "/respond-twice"));
  CHECK(twice.status == 200);  // the first answer stands; the second was refused

  auto cookie = call(*instance, make_request("GET", "/set-cookie"));
  CHECK(cookie.status == 200);
  REQUIRE(cookie.headers.size() == 1);
  CHECK(cookie.headers[0].first == "x-ok");  // Set-Cookie dropped, name lower-cased

  auto card = instance->info_card({}, "ja");
  REQUIRE_FALSE(card.is_ok());
  CHECK(card.error().find("malformed JSON") != std::string::npos);
  auto exported = instance->export_subject("s");
  REQUIRE_FALSE(exported.is_ok());
  CHECK(exported.error().find("on_subject_export") != std::string::npos);
  auto problems = validate_config(instance->plugin(), "{}");
  REQUIRE_FALSE(problems.is_ok());
  CHECK(problems.error().find("JSON array") != std::string::npos);
}

TEST_CASE("credentials and proxy headers never reach a plugin; Set-Cookie never leaves one") {
  Harness h;
  auto instance = h.instance(fixture("notes"));
  PluginRequest request = make_request("GET", "/headers");
  request.headers = {{"authorization", "Bearer secret-token"}, {"cookie", "machi_session=abc"},
                     {"proxy-authorization", "Basic x"}, {"x-forwarded-for", "10.0.0.1"},
                     {"forwarded", "for=10.0.0.1"}, {"x-real-ip", "10.0.0.1"},
                     {"accept-language", "ja"}, {"x-request-id", "r1"}};
  auto answer = call(*instance, request);
  REQUIRE(answer.status == 200);
  auto seen = body_json(answer).as_object();
  CHECK(seen.size() == 2);
  CHECK(seen.contains("accept-language"));
  CHECK(seen.contains("x-request-id"));
  CHECK(answer.body.find("secret-token") == std::string::npos);
  bool has_notes_header = false;
  for (const auto& [name, value] : answer.headers) {
    CHECK(name != "set-cookie");
    has_notes_header = has_notes_header || name == "x-notes";
  }
  CHECK(has_notes_header);
}

TEST_CASE("storage: each instance has its own database, data survives a restart") {
  Harness h;
  {
    auto a = h.instance(fixture("notes"), "notes-a");
    auto b = h.instance(fixture("notes"), "notes-b");
    CHECK(call(*a, as_resident(make_request("POST", "/notes", "", "ごみ出し"), "s1")).status == 201);
    CHECK(call(*a, make_request("POST", "/notes", "", "anonymous")).status == 401);
    auto in_b = body_json(call(*b, as_resident(make_request("GET", "/notes"), "s1")));
    CHECK(in_b.at("notes").as_array().empty());  // b has its own file
  }
  auto again = h.instance(fixture("notes"), "notes-a");
  auto listed = body_json(call(*again, as_resident(make_request("GET", "/notes"), "s1")));
  REQUIRE(listed.at("notes").as_array().size() == 1);
  CHECK(listed.at("notes").as_array()[0].as_string() == "ごみ出し");
}

TEST_CASE("config reaches the instance; on_config_validate reports problems by JSON pointer") {
  Harness h;
  auto instance = h.instance(fixture("notes"), "n", R"({"city":"saga"})");
  CHECK(body_json(call(*instance, make_request("GET", "/config"))).at("city").as_string() == "saga");

  auto hello = h.load(std::filesystem::path(MACHI_PLUGIN_DIR) / "hello.so");
  auto ok = validate_config(*hello, R"({"greeting":"ようこそ"})");
  REQUIRE(ok.is_ok());
  CHECK(ok.value().empty());
  auto bad = validate_config(*hello, R"({"greeting":""})");
  REQUIRE(bad.is_ok());
  REQUIRE(bad.value().size() == 1);
  CHECK(bad.value()[0].path == "/greeting");
  auto typed = validate_config(*hello, R"({"greeting":3})");
  REQUIRE(typed.value().size() == 1);
  CHECK(typed.value()[0].message == "must be a string");
  auto not_json = validate_config(*hello, "{");
  REQUIRE(not_json.value().size() == 1);
  CHECK(not_json.value()[0].message.find("invalid JSON") != std::string::npos);
}

TEST_CASE("a pending answer completes from a plugin thread") {
  Harness h;
  auto instance = h.instance(fixture("notes"));
  auto answer = call(*instance, make_request("GET", "/slow", "ms=20"));
  CHECK(answer.status == 200);
  CHECK(answer.body == R"({"slow":true})");
  CHECK(instance->pending_requests() == 0);
}

TEST_CASE("completing after the deadline answers EXPIRED to the plugin and 504 to the client") {
  Harness h;
  auto instance = h.instance(fixture("notes"), "m", "{}", std::chrono::milliseconds(10));
  auto promise = std::make_shared<std::promise<PluginResponse>>();
  auto future = promise->get_future();
  instance->handle_request(make_request("GET", "/slow", "ms=300"),
                           [promise](PluginResponse r) { promise->set_value(std::move(r)); });
  CHECK(instance->pending_requests() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(instance->expire_overdue(std::chrono::steady_clock::now()) == 1);
  REQUIRE(future.wait_for(std::chrono::seconds(1)) == std::future_status::ready);
  CHECK(future.get().status == 504);

  // Wait for the plugin's late complete() and read back the status it was given.
  std::string statuses;
  for (int i = 0; i < 200 && statuses.find(std::to_string(MACHI_ERR_EXPIRED)) == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    statuses = call(*instance, make_request("GET", "/completions")).body;
  }
  CHECK(statuses == "[" + std::to_string(MACHI_ERR_EXPIRED) + "]");
}

TEST_CASE("stopping an instance answers its pending requests with 503 before destroy") {
  Harness h;
  auto instance = h.instance(fixture("notes"));
  auto promise = std::make_shared<std::promise<PluginResponse>>();
  auto future = promise->get_future();
  instance->handle_request(make_request("GET", "/slow", "ms=50"),
                           [promise](PluginResponse r) { promise->set_value(std::move(r)); });
  instance.reset();  // joins the plugin thread, whose complete() then finds the token expired
  REQUIRE(future.wait_for(std::chrono::seconds(1)) == std::future_status::ready);
  CHECK(future.get().status == 503);
}

TEST_CASE("a job scheduled in a rolled-back transaction is not stored; a committed one runs") {
  Harness h;
  auto instance = h.instance(fixture("notes"));
  int64_t due = now_ms() - 1000;
  auto failed = call(*instance, make_request("POST", "/remind", "key=lost&due=" +
                                                               std::to_string(due) + "&fail=1"));
  CHECK(failed.status == 500);
  CHECK(call(*instance, make_request("POST", "/remind", "key=kept&due=" + std::to_string(due) +
                                                            "&payload=gomi"))
            .status == 200);
  CHECK(call(*instance, make_request("POST", "/remind", "key=later&due=" +
                                                            std::to_string(now_ms() + 3600'000)))
            .status == 200);
  CHECK(instance->deliver_due_events(now_ms()) == 1);  // only "kept" is due and stored
  CHECK(instance->deliver_due_events(now_ms()) == 0);  // delivered once, then removed
  CHECK(call(*instance, make_request("GET", "/events")).body == R"([["kept","gomi",1]])");
}

TEST_CASE("a failing event is retried later with its attempt counted") {
  Harness h;
  auto instance = h.instance(fixture("notes"));
  int64_t now = now_ms();
  REQUIRE(call(*instance, make_request("POST", "/remind", "key=f&payload=fail-once&due=" +
                                                              std::to_string(now - 1)))
              .status == 200);
  CHECK(instance->deliver_due_events(now) == 0);           // attempt 1 throws
  CHECK_FALSE(instance->healthy());
  CHECK(instance->deliver_due_events(now + 1000) == 0);    // backing off: not due yet
  CHECK(instance->deliver_due_events(now + 31'000) == 1);  // attempt 2 succeeds
  CHECK(call(*instance, make_request("GET", "/events")).body == R"([["f","fail-once",2]])");
  CHECK(instance->deliver_due_events(now + 3600'000) == 0);
}

TEST_CASE("events survive a restart of the instance") {
  Harness h;
  int64_t due = now_ms() + 50;
  {
    auto instance = h.instance(fixture("notes"), "persist");
    REQUIRE(call(*instance, make_request("POST", "/remind", "key=r&due=" + std::to_string(due)))
                .status == 200);
    CHECK(instance->deliver_due_events(due - 10) == 0);
  }
  auto restarted = h.instance(fixture("notes"), "persist");
  CHECK(restarted->deliver_due_events(due) == 1);
}

TEST_CASE("publish reaches the instance's own live channel only") {
  Harness h;
  auto instance = h.instance(fixture("notes"), "board");
  std::vector<std::string> received;
  h.live.subscribe(LiveHub::channel_key("testcity", "board", "news"),
                   [&](std::string_view m) { received.emplace_back(m); });
  h.live.subscribe(LiveHub::channel_key("testcity", "other", "news"),
                   [&](std::string_view) { FAIL("another mount's channel got the message"); });
  auto answer = call(*instance, make_request("POST", "/publish", "channel=news", "台風接近"));
  CHECK(body_json(answer).at("delivered").as_int64() == 1);
  REQUIRE(received.size() == 1);
  CHECK(received[0] == "台風接近");
  auto bad = call(*instance, make_request("POST", "/publish", "channel=Bad%20Channel", "x"));
  CHECK(bad.status == 500);  // invalid channel name refused by the host
}

TEST_CASE("info card, export and erase reach the plugin with the subject") {
  Harness h;
  auto instance = h.instance(fixture("notes"));
  for (const char* text : {"a", "b"}) {
    call(*instance, as_resident(make_request("POST", "/notes", "", text), "s1"));
  }
  Claims claims;
  claims.values[MACHI_CLAIM_SUBJECT] = "s1";
  CHECK(instance->info_card(claims, "en").value() == R"({"title":"2 notes"})");
  CHECK(instance->info_card(claims, "ja").value() == R"({"title":"メモ 2 件"})");
  CHECK(instance->info_card({}, "ja").value().empty());
  CHECK(instance->export_subject("s1").value() == R"({"notes":["a","b"]})");
  CHECK(instance->erase_subject("s1").is_ok());
  CHECK(instance->export_subject("s1").value() == R"({"notes":[]})");
}

TEST_CASE("plugin log lines carry municipality, mount and plugin") {
  Harness h;
  std::vector<std::string> lines;
  auto previous = set_log_sink([&](const std::string& line) { lines.push_back(line); });
  auto instance = h.instance(fixture("hook_throws"), "thrower");
  call(*instance, make_request("GET", "/throw"));
  set_log_sink(previous);
  bool found = false;
  for (const auto& line : lines) {
    auto json = boost::json::parse(line).as_object();
    if (json.contains("mount") && json.at("mount").as_string() == "thrower" &&
        json.contains("plugin") && json.at("plugin").as_string() == "hook_throws") {
      found = true;
    }
  }
  CHECK(found);
}

TEST_CASE("read_data_file: only plain names inside the mount's data_dir") {
  Harness h;
  auto none = h.instance(fixture("notes"), "no-dir");
  auto refused = call(*none, make_request("GET", "/file", "name=a.csv"));
  CHECK(refused.status == 403);
  CHECK(refused.body.find("no data_dir") != std::string::npos);

  std::filesystem::create_directories(h.dir / "data" / "sub");
  auto write = [](const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
  };
  write(h.dir / "data" / "a.csv", "月,火\r\n");
  write(h.dir / "data" / "sub" / "b.csv", "nested");
  write(h.dir / "secret.txt", "outside");
  std::filesystem::create_symlink(h.dir / "secret.txt", h.dir / "data" / "link.txt");
  h.data_dir = std::filesystem::canonical(h.dir / "data");
  auto instance = h.instance(fixture("notes"), "with-dir");

  auto a = call(*instance, make_request("GET", "/file", "name=a.csv"));
  CHECK(a.status == 200);
  CHECK(a.body == "月,火\r\n");
  CHECK(call(*instance, make_request("GET", "/file", "name=sub/b.csv")).body == "nested");
  CHECK(call(*instance, make_request("GET", "/file", "name=missing.csv")).status == 404);
  for (const char* bad : {"../secret.txt", "sub/../a.csv", "/etc/passwd", ".hidden", "a%20b.csv",
                          "", "sub//b.csv"}) {
    CAPTURE(bad);
    auto answer = call(*instance, make_request("GET", "/file", std::string("name=") + bad));
    CHECK(answer.status == 403);
    CHECK(answer.body.find("not a plain relative file name") != std::string::npos);
  }
  auto link = call(*instance, make_request("GET", "/file", "name=link.txt"));
  CHECK(link.status == 403);
  CHECK(link.body.find("outside the data directory") != std::string::npos);
}
