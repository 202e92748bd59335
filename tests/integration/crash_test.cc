// Crash durability with the real `machi serve` process: kill -9 while a Web Push delivery is in
// flight and right after a notification was committed, restart on the same data directory, and
// count: the inbox holds each notification exactly once, the push is delivered (again) with the
// same id and Topic, nothing committed is lost, and a reminder due during the downtime runs once
// at start-up.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "machi/plugin_api.h"
#include "runtime/scheduler/local_time.h"
#include "tests/support/http_client.h"
#include "tests/support/machi_process.h"
#include "tests/support/push_decrypt.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/test_push_service.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

MachiProcessOptions push_options(const TestPushService& service) {
  MachiProcessOptions o;
  o.extra_args = {"--push-ca-file", service.ca_file().string()};
  return o;
}

Reply call(uint16_t port, const std::string& method, const std::string& path, const std::string& bearer,
           const std::string& body = "") {
  HttpClient c(port);  // a new connection each time: the server may have been restarted
  return test::call(c, method, path, bearer, body);
}

template <typename Done>
bool wait_until(Done done, std::chrono::seconds limit = std::chrono::seconds(20)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

TEST_CASE("kill -9 mid-delivery and after a commit: inbox exactly once, push at least once, nothing lost") {
  ScratchDir dir;
  TestPushService service(dir.path());
  std::ofstream(dir / "m.json") << R"({"municipality": "demo", "name": "Demo", "public_url": "https://localhost",
    "hostnames": ["localhost"], "timezone": "Asia/Tokyo",
    "push": {"services": [")" + service.origin() + R"("]},
    "mini_apps": [{"id": "notes-a", "name": "A", "plugin": "notes.so"}]})";
  uint16_t port = free_port();
  service.script({0});  // the first push is held: the process dies while delivering it

  std::string token;
  {
    MachiProcess machi(dir.path(), port, push_options(service));
    Reply r = call(port, "POST", "/api/v1/auth/register", "",
                   R"({"login": "hanako@example.jp", "password": "correct horse battery", "display_name": "H"})");
    REQUIRE_MESSAGE(r.status == 201, r.body);
    token = std::string(json::parse(r.body).at("access_token").as_string());
    REQUIRE(call(port, "GET", "/apps/notes-a/whoami", token).status == 200);
    REQUIRE(call(port, "POST", "/api/v1/me/push-subscriptions", token,
                 json::serialize(json::object{{"endpoint", service.origin() + "/push/d1"},
                                              {"keys", json::object{{"p256dh", kUaPublic}, {"auth", kUaAuth}}}})).status == 201);
    REQUIRE(call(port, "POST", "/apps/notes-a/notify", token,
                 R"({"key": "k1", "category": "garbage", "title": "first"})").status == 200);
    REQUIRE(wait_until([&] { return service.calls().size() == 1; }));  // in flight now
    machi.kill9();
  }
  {
    MachiProcess machi(dir.path(), port, push_options(service));
    REQUIRE(wait_until([&] { return service.calls().size() == 2; }));  // sent again after restart
    // Committed (the request was answered), then killed before any scheduler pass could run.
    REQUIRE(call(port, "POST", "/apps/notes-a/notify", token,
                 R"({"key": "k2", "category": "garbage", "title": "second"})").status == 200);
    machi.kill9();
  }
  MachiProcess machi(dir.path(), port, push_options(service));
  REQUIRE(wait_until([&] {
    Reply box = call(port, "GET", "/api/v1/me/notifications", token);
    return box.status == 200 && json::parse(box.body).at("items").as_array().size() >= 2;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a few more passes: no duplicates
  auto items = json::parse(call(port, "GET", "/api/v1/me/notifications", token).body).at("items").as_array();
  REQUIRE(items.size() == 2);
  CHECK(items[0].at("title").as_string() == "second");
  CHECK(items[1].at("title").as_string() == "first");
  // At least once: the second notification's push arrives (a busy machine may repeat one more).
  auto pushed_second = [&] {
    for (const auto& c : service.calls()) {
      if (json::parse(decrypt_with_http_ece(c.body)).at("title").as_string() == "second") return true;
    }
    return false;
  };
  REQUIRE_MESSAGE(wait_until(pushed_second), service.calls().size());
  auto calls = service.calls();
  CHECK(calls[0].headers.at("topic") == calls[1].headers.at("topic"));  // the repeat is recognisable
  auto first = json::parse(decrypt_with_http_ece(calls[0].body));
  auto again = json::parse(decrypt_with_http_ece(calls[1].body));
  CHECK(first.at("id") == again.at("id"));

  // A reminder that comes due while the runtime is down runs once at start-up.
  std::string subject(json::parse(call(port, "GET", "/apps/notes-a/whoami", token).body).at(MACHI_CLAIM_SUBJECT).as_string());
  REQUIRE(call(port, "POST", "/apps/notes-a/remind?key=late&due=" + std::to_string(unix_now_ms() + 1500) +
                                 "&payload=notify:" + subject, token).status == 200);
  machi.kill9();
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  MachiProcess after(dir.path(), port, push_options(service));
  REQUIRE(wait_until([&] {
    return json::parse(call(port, "GET", "/api/v1/me/notifications", token).body).at("items").as_array().size() == 3;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto events = json::parse(call(port, "GET", "/apps/notes-a/events", token).body).as_array();
  REQUIRE(events.size() == 1);  // once
  CHECK(events[0].as_array()[0].as_string() == "late");
  CHECK(json::parse(call(port, "GET", "/api/v1/me/notifications", token).body).at("items").as_array()[0]
            .at("title").as_string() == "Reminder: late");
}
