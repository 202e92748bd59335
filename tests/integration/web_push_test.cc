// Web Push against the real server and a local HTTPS push service: subscriptions only for
// allowlisted services, delivery encrypted (decrypted here by npm http_ece) and VAPID-signed
// over verified TLS, retries with back-off on 5xx and timeouts, subscriptions deleted on 410.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "runtime/http/https_client.h"
#include "runtime/identity/base64url.h"
#include "runtime/scheduler/local_time.h"
#include "tests/support/http_client.h"
#include "tests/support/push_decrypt.h"
#include "tests/support/test_push_service.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

std::string manifest_with_push(const std::string& origin) {
  return R"({"municipality": "demo", "name": "Demo", "public_url": "https://localhost",
    "hostnames": ["localhost"], "timezone": "Asia/Tokyo",
    "push": {"services": [")" + origin + R"("], "contact": "mailto:ops@demo.example.jp"},
    "mini_apps": [{"id": "notes-a", "name": "A", "plugin": "notes.so"}]})";
}

json::value parse(const Reply& r) { return json::parse(r.body); }

std::string sign_up(HttpClient& c) {
  Reply r = call(c, "POST", "/api/v1/auth/register", "",
                 R"({"login": "hanako@example.jp", "password": "correct horse battery", "display_name": "Hanako"})");
  REQUIRE_MESSAGE(r.status == 201, r.body);
  std::string token(parse(r).at("access_token").as_string());
  REQUIRE(call(c, "GET", "/apps/notes-a/whoami", token).status == 200);  // the mini-app knows her
  return token;
}

std::string subscription(const std::string& endpoint, const std::string& p256dh = kUaPublic) {
  return json::serialize(json::object{{"endpoint", endpoint},
                                      {"keys", json::object{{"p256dh", p256dh}, {"auth", kUaAuth}}}});
}

struct PushFixture {
  TestServer s;
  TestPushService service{s.dir.path()};
  HttpsClientOptions options{service.ca_file().string(), std::chrono::milliseconds(1500)};
  notify::PushSender push{[this](const notify::PushRequest& r) { return https_post(r, options); }};
  HttpClient c{s.port()};
  std::string token;

  PushFixture() {
    REQUIRE(s.load("m.json", manifest_with_push(service.origin())).empty());
    token = sign_up(c);
    Reply added = call(c, "POST", "/api/v1/me/push-subscriptions", token,
                       subscription(service.origin() + "/push/device-1"));
    REQUIRE_MESSAGE(added.status == 201, added.body);
  }
  void notify(const std::string& key, const std::string& urgency = "normal") {
    REQUIRE(call(c, "POST", "/apps/notes-a/notify", token,
                 R"({"key": ")" + key + R"(", "category": "garbage", "title": "明日は燃えるごみ", "urgency": ")" +
                     urgency + R"("})").status == 200);
    REQUIRE(s.scheduler.run_once().notifications == 1);
  }
  notify::PushSender::Stats send(int64_t later_ms = 0) {
    return push.run(*s.municipalities.by_host("localhost"), unix_now_ms() + later_ms);
  }
};

}  // namespace

TEST_CASE("push subscriptions: only allowlisted https services, well-formed keys, per resident") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_with_push("https://push.example.net")).empty());
  HttpClient c(s.port());
  std::string token = sign_up(c);
  auto refused = call(c, "POST", "/api/v1/me/push-subscriptions", token, subscription("https://evil.example/x"));
  CHECK(refused.status == 422);
  CHECK(parse(refused).at("error").at("code").as_string() == "push_service_not_allowed");
  CHECK(call(c, "POST", "/api/v1/me/push-subscriptions", token, subscription("http://push.example.net/x")).status == 422);
  CHECK(call(c, "POST", "/api/v1/me/push-subscriptions", token, subscription("https://push.example.net.evil.example/x")).status == 422);
  CHECK(call(c, "POST", "/api/v1/me/push-subscriptions", token, subscription("https://push.example.net/x", "AAAA")).status == 400);
  CHECK(call(c, "POST", "/api/v1/me/push-subscriptions", token, "not json").status == 400);
  CHECK(call(c, "POST", "/api/v1/me/push-subscriptions", "", subscription("https://push.example.net/x")).status == 401);
  Reply ok = call(c, "POST", "/api/v1/me/push-subscriptions", token, subscription("https://push.example.net/abc"));
  REQUIRE_MESSAGE(ok.status == 201, ok.body);
  auto list = parse(call(c, "GET", "/api/v1/me/push-subscriptions", token)).at("subscriptions").as_array();
  REQUIRE(list.size() == 1);
  CHECK(list[0].at("origin").as_string() == "https://push.example.net");
  CHECK_FALSE(list[0].as_object().contains("endpoint"));  // a capability URL: not echoed back
  for (int i = 0; i < 9; ++i) {
    REQUIRE(call(c, "POST", "/api/v1/me/push-subscriptions", token,
                 subscription("https://push.example.net/d" + std::to_string(i))).status == 201);
  }
  CHECK(call(c, "POST", "/api/v1/me/push-subscriptions", token, subscription("https://push.example.net/one-too-many")).status == 409);
  int64_t id = list[0].at("id").as_int64();
  CHECK(call(c, "DELETE", "/api/v1/me/push-subscriptions/" + std::to_string(id), token).status == 204);
  CHECK(call(c, "DELETE", "/api/v1/me/push-subscriptions/" + std::to_string(id), token).status == 404);

  Reply key = call(c, "GET", "/api/v1/push/vapid-public-key", "");
  REQUIRE(key.status == 200);
  std::string point = identity::base64url_decode(std::string(parse(key).at("public_key").as_string())).value();
  CHECK(point.size() == 65);
}

TEST_CASE("a notification is pushed encrypted, VAPID-signed, over verified TLS, once") {
  PushFixture f;
  f.notify("k1", "critical");
  auto stats = f.send();
  CHECK(stats.sent == 1);
  auto calls = f.service.calls();
  REQUIRE(calls.size() == 1);
  const PushCall& call = calls[0];
  CHECK(call.target == "/push/device-1");
  CHECK(call.headers.at("content-encoding") == "aes128gcm");
  CHECK(call.headers.at("urgency") == "high");  // critical maps to high
  CHECK(std::stoll(call.headers.at("ttl")) > 0);
  CHECK(call.headers.at("topic").size() == 32);
  const std::string& auth = call.headers.at("authorization");
  REQUIRE(auth.starts_with("vapid t="));
  std::string jwt = auth.substr(8, auth.find(", k=") - 8);
  auto claims = json::parse(identity::base64url_decode(jwt.substr(jwt.find('.') + 1, jwt.rfind('.') - jwt.find('.') - 1)).value());
  CHECK(claims.at("aud").as_string() == f.service.origin());
  CHECK(claims.at("sub").as_string() == "mailto:ops@demo.example.jp");
  std::string plaintext = decrypt_with_http_ece(call.body);
  REQUIRE_MESSAGE(plaintext.starts_with("{"), plaintext);
  auto payload = json::parse(plaintext);
  CHECK(payload.at("title").as_string() == "明日は燃えるごみ");
  CHECK(payload.at("source").as_string() == "notes-a");
  CHECK(payload.at("id").as_int64() > 0);
  CHECK(f.send(60'000).sent == 0);  // nothing left to send
  CHECK(f.service.calls().size() == 1);
}

TEST_CASE("push retries 5xx and timeouts with back-off, deletes on 410, verifies certificates") {
  PushFixture f;
  f.service.script({503, 0});  // a server error, then a service that never answers
  f.notify("k1");
  CHECK(f.send().retried == 1);
  CHECK(f.send().sent == 0);                // not due again yet: back-off
  CHECK(f.send(3'000).retried == 1);        // the hold: the 1.5 s deadline ends it
  auto delivered = f.send(3'600'000);
  CHECK(delivered.sent == 1);
  auto calls = f.service.calls();
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].headers.at("topic") == calls[2].headers.at("topic"));  // the same message
  CHECK(decrypt_with_http_ece(calls[0].body) == decrypt_with_http_ece(calls[2].body));

  f.service.script({410});
  f.notify("k2");
  CHECK(f.send().gone == 1);
  CHECK(parse(call(f.c, "GET", "/api/v1/me/push-subscriptions", f.token)).at("subscriptions").as_array().empty());
  f.notify("k3");
  CHECK(f.send(60'000).sent == 0);  // no subscription left: nothing queued
  CHECK(f.service.calls().size() == 4);

  // A push service whose certificate the sender does not trust is never sent the message.
  notify::PushSender untrusting([](const notify::PushRequest& r) { return https_post(r, {}); });
  REQUIRE(call(f.c, "POST", "/api/v1/me/push-subscriptions", f.token,
               subscription(f.service.origin() + "/push/device-2")).status == 201);
  f.notify("k4");
  auto stats = untrusting.run(*f.s.municipalities.by_host("localhost"), unix_now_ms());
  CHECK(stats.retried == 1);
  CHECK(f.service.calls().size() == 4);  // the TLS handshake failed before any request
}

TEST_CASE("quiet hours hold pushes back until they end; critical ones go at once") {
  PushFixture f;
  // A window around the present minute, in the manifest's zone (Asia/Tokyo = UTC+9).
  int minute = static_cast<int>(((unix_now_ms() / 60000) + 9 * 60) % (24 * 60));
  auto hhmm = [](int m) {
    m = (m + 24 * 60) % (24 * 60);
    char t[6];
    std::snprintf(t, sizeof t, "%02d:%02d", m / 60, m % 60);
    return std::string(t);
  };
  Reply set = call(f.c, "PUT", "/api/v1/me/notification-preferences", f.token,
                   R"({"quiet_hours": {"start": ")" + hhmm(minute - 30) + R"(", "end": ")" + hhmm(minute + 30) + R"("}})");
  REQUIRE_MESSAGE(set.status == 200, set.body);
  f.notify("quiet-1");
  auto held = f.send();
  CHECK(held.deferred == 1);
  CHECK(held.sent == 0);
  f.notify("alarm", "critical");
  auto urgent = f.send();
  CHECK(urgent.sent == 1);
  CHECK(f.service.calls().size() == 1);
  CHECK(f.send(31 * 60 * 1000).sent == 1);  // after the window: the held one goes
}
