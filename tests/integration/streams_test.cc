// Live streams (Server-Sent Events) against the real server: the resident's inbox events, one-time
// stream tickets for clients that cannot send credentials, mini-app live channels (anonymous and
// inside the resident's stream), and a slow reader that is dropped without holding up the others.
#include <doctest/doctest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/sse_client.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

const std::string kApps = R"({"id": "notes-a", "name": "A", "plugin": "notes.so"})";

json::value parse(const std::string& s) { return json::parse(s); }

std::string sign_up(HttpClient& c, const std::string& login) {
  Reply r = call(c, "POST", "/api/v1/auth/register", "",
                 json::serialize(json::object{{"login", login},
                                              {"password", "correct horse battery"},
                                              {"display_name", "Hanako"}}));
  REQUIRE_MESSAGE(r.status == 201, r.body);
  return std::string(parse(r.body).at("access_token").as_string());
}

// Waits until the hub has `n` subscribers (a stream subscribes when it opens).
bool wait_for_subscribers(LiveHub& live, size_t n) {
  for (int i = 0; i < 300; ++i) {
    if (live.subscribers() == n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE("the resident's stream carries new notifications as they reach the inbox") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", kApps)).empty());
  HttpClient c(s.port());
  std::string token = sign_up(c, "hanako@example.jp");
  SseClient stream(s.port(), "/api/v1/me/stream", {{"Authorization", "Bearer " + token}});
  REQUIRE(stream.status == 200);
  CHECK(stream.content_type.starts_with("text/event-stream"));
  auto ready = stream.next();
  REQUIRE(ready);
  CHECK(ready->event == "ready");

  REQUIRE(call(c, "POST", "/apps/notes-a/notify", token,
               R"({"key": "k1", "category": "garbage", "title": "明日は燃えるごみ"})").status == 200);
  CHECK_FALSE(stream.next(std::chrono::milliseconds(200)));  // only in the outbox so far
  s.scheduler.run_once();
  auto event = stream.next();
  REQUIRE(event);
  CHECK(event->event == "notification");
  auto n = parse(event->data).at("notification");
  CHECK(n.at("title").as_string() == "明日は燃えるごみ");
  CHECK(n.at("source").as_string() == "notes-a");

  // Another resident's stream hears nothing of it.
  std::string other = sign_up(c, "other@example.jp");
  SseClient theirs(s.port(), "/api/v1/me/stream", {{"Authorization", "Bearer " + other}});
  REQUIRE(theirs.next());  // ready
  REQUIRE(call(c, "POST", "/apps/notes-a/notify", token,
               R"({"key": "k2", "category": "garbage", "title": "second"})").status == 200);
  s.scheduler.run_once();
  REQUIRE(stream.next());
  CHECK_FALSE(theirs.next(std::chrono::milliseconds(200)));
}

TEST_CASE("stream tickets: one use, short-lived, and no stream without credentials") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", kApps)).empty());
  HttpClient c(s.port());
  std::string token = sign_up(c, "hanako@example.jp");
  Reply issued = call(c, "POST", "/api/v1/me/stream-tickets", token);
  REQUIRE_MESSAGE(issued.status == 201, issued.body);
  std::string ticket(parse(issued.body).at("ticket").as_string());
  CHECK(parse(issued.body).at("expires_in").as_int64() == 60);
  {
    SseClient stream(s.port(), "/api/v1/me/stream?ticket=" + ticket);
    REQUIRE(stream.status == 200);
    auto ready = stream.next();
    REQUIRE(ready);
    CHECK(ready->event == "ready");
  }
  HttpClient again(s.port());
  Reply reused = call(again, "GET", "/api/v1/me/stream?ticket=" + ticket, "");
  CHECK(reused.status == 401);
  CHECK(parse(reused.body).at("error").at("code").as_string() == "invalid_ticket");
  HttpClient none(s.port());
  CHECK(call(none, "GET", "/api/v1/me/stream", "").status == 401);
  HttpClient anonymous(s.port());
  CHECK(call(anonymous, "POST", "/api/v1/me/stream-tickets", "").status == 401);
}

TEST_CASE("mini-app live channels: anonymous per channel, or inside the resident's stream") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", kApps)).empty());
  HttpClient c(s.port());
  std::string token = sign_up(c, "hanako@example.jp");
  SseClient board(s.port(), "/apps/notes-a/live/board");
  REQUIRE(board.status == 200);
  REQUIRE(board.next());  // ready
  SseClient mine(s.port(), "/api/v1/me/stream?channels=notes-a/board",
                 {{"Authorization", "Bearer " + token}});
  auto ready = mine.next();
  REQUIRE(ready);
  CHECK(parse(ready->data).at("channels").as_array().size() == 1);

  Reply published = call(c, "POST", "/apps/notes-a/publish?channel=board", token, "3 waiting\nat counter 2");
  REQUIRE(published.status == 200);
  CHECK(parse(published.body).at("delivered").as_int64() == 2);
  auto e = board.next();
  REQUIRE(e);
  CHECK(e->event == "live");
  CHECK(parse(e->data).at("message").as_string() == "3 waiting\nat counter 2");
  auto m = mine.next();
  REQUIRE(m);
  CHECK(parse(m->data).at("channel").as_string() == "notes-a/board");

  HttpClient bad(s.port());
  CHECK(call(bad, "GET", "/api/v1/me/stream?channels=unknown/board", token).status == 400);
  CHECK(call(bad, "GET", "/api/v1/me/stream?channels=notes-a/Bad!", token).status == 400);
  CHECK(call(bad, "GET", "/apps/unknown/live/board", "").status == 404);
  CHECK(call(bad, "GET", "/apps/notes-a/live/" + std::string(65, 'a'), "").status == 400);
}

TEST_CASE("a client that never reads is dropped; the others get every message and the hub forgets it") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", kApps)).empty());
  // The slow client: sends its request and never reads a byte.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket slow(ioc);
  slow.connect({boost::asio::ip::address_v4::loopback(), s.port()});
  boost::asio::write(slow, boost::asio::buffer(std::string(
                               "GET /apps/notes-a/live/board HTTP/1.1\r\nHost: localhost\r\n\r\n")));
  REQUIRE(wait_for_subscribers(s.live, 1));
  SseClient fast(s.port(), "/apps/notes-a/live/board");
  REQUIRE(fast.next());  // ready
  REQUIRE(wait_for_subscribers(s.live, 2));

  const std::string key = LiveHub::channel_key("demo", "notes-a", "board");
  const std::string big(32 * 1024, 'x');
  int received = 0;
  // 12.5 MiB in lockstep with the reader that keeps up: more than the slow client's socket
  // buffers and queue can hold, while the fast one never has more than one message queued.
  for (int i = 0; i < 400; ++i) {
    s.live.publish(key, big);
    auto e = fast.next();
    if (!e) break;
    if (e->event == "live" && parse(e->data).at("message").as_string().size() == big.size()) ++received;
  }
  CHECK(received == 400);
  CHECK(wait_for_subscribers(s.live, 1));  // the slow one was dropped and unsubscribed
  // …and its connection closed: after draining what the socket buffers held, the server's close.
  boost::system::error_code ec;
  std::vector<char> sink(1 << 20);
  size_t total = 0;
  while (!ec) total += slow.read_some(boost::asio::buffer(sink), ec);
  CHECK(ec == boost::asio::error::eof);
  CHECK(total < 400 * big.size());  // it did not get everything
}
