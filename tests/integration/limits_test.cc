// Header and body limits, malformed requests, timeouts, the connection limit, graceful drain.
#include <doctest/doctest.h>

#include <future>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;

namespace {

HttpServerOptions small_limits() {
  HttpServerOptions o;
  o.header_limit = 2048;
  o.body_limit = 4096;
  o.read_timeout = std::chrono::milliseconds(400);
  o.idle_timeout = std::chrono::milliseconds(600);
  o.max_connections = 4;
  o.drain_timeout = std::chrono::milliseconds(2000);
  return o;
}

const std::string kApps = R"({"id": "notes", "name": "N", "plugin": "notes.so"})";

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

TEST_CASE("oversized headers get 431, oversized bodies 413, garbage 400 — all JSON") {
  TestServer s(small_limits());
  REQUIRE(s.load("m.json", manifest_json("m", "localhost", kApps)).empty());
  std::string big_header = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " +
                           std::string(4000, 'a') + "\r\n\r\n";
  std::string r = raw_exchange(s.port(), big_header);
  CHECK(starts_with(r, "HTTP/1.1 431"));
  CHECK(r.find(R"("code":"headers_too_large")") != std::string::npos);

  std::string big_body = "POST /apps/notes/notes HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10000\r\n\r\n" +
                         std::string(10000, 'b');
  r = raw_exchange(s.port(), big_body);
  CHECK(starts_with(r, "HTTP/1.1 413"));
  CHECK(r.find(R"("code":"body_too_large")") != std::string::npos);

  r = raw_exchange(s.port(), "THIS IS NOT HTTP\r\n\r\n");
  CHECK(starts_with(r, "HTTP/1.1 400"));
  r = raw_exchange(s.port(), "GET http://evil.example/ HTTP/1.1\r\nHost: localhost\r\n\r\n");
  CHECK(starts_with(r, "HTTP/1.1 400"));
  r = raw_exchange(s.port(), "GET /healthz HTTP/1.1\r\n\r\n");  // no Host
  CHECK(starts_with(r, "HTTP/1.1 400"));
  r = raw_exchange(s.port(), "GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n");  // malformed Host
  CHECK(starts_with(r, "HTTP/1.1 400"));
  r = raw_exchange(s.port(), "GET /healthz HTTP/1.1\r\nHost: user@localhost\r\n\r\n");
  CHECK(starts_with(r, "HTTP/1.1 400"));
  // Host with port, upper case, or as a bracketed IPv6 literal is normalised before routing.
  r = raw_exchange(s.port(), "GET /api/v1/apps HTTP/1.1\r\nHost: LOCALHOST:80\r\n"
                             "Connection: close\r\n\r\n");
  CHECK(starts_with(r, "HTTP/1.1 200"));
  r = raw_exchange(s.port(), "GET /api/v1/apps HTTP/1.1\r\nHost: [::1]:8080\r\n"
                             "Connection: close\r\n\r\n");
  CHECK(r.find("no municipality is served at host '::1'") != std::string::npos);

  HttpClient c(s.port());  // and the server still serves
  CHECK(c.get("/healthz").status == 200);
}

TEST_CASE("slow headers are cut off at the read timeout; idle connections at the idle timeout") {
  TestServer s(small_limits());
  auto start = std::chrono::steady_clock::now();
  // Starts a request and never finishes it: closed after read_timeout (400 ms), no answer.
  std::string r = raw_exchange(s.port(), "GET /healthz HTTP/1.1\r\nHost: local", std::chrono::seconds(5));
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.empty());
  CHECK(took < std::chrono::milliseconds(2000));
  start = std::chrono::steady_clock::now();
  r = raw_exchange(s.port(), "", std::chrono::seconds(5));  // connects, says nothing
  took = std::chrono::steady_clock::now() - start;
  CHECK(r.empty());
  CHECK(took >= std::chrono::milliseconds(500));
  CHECK(took < std::chrono::milliseconds(2500));
}

TEST_CASE("connections beyond the limit get 503 and are closed; keep-alive is honoured") {
  TestServer s(small_limits());
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<HttpClient>(s.port()));
    CHECK(clients.back()->get("/healthz").status == 200);
  }
  CHECK(s.server.open_connections() == 4);
  std::string r = raw_exchange(s.port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
  CHECK(starts_with(r, "HTTP/1.1 503"));
  CHECK(r.find("too_many_connections") != std::string::npos);
  // Each kept-alive connection still answers a second request.
  for (auto& c : clients) CHECK(c->get("/healthz").status == 200);
  clients.pop_back();
  for (int i = 0; i < 100 && s.server.open_connections() > 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  HttpClient again(s.port());
  CHECK(again.get("/healthz").status == 200);
}

TEST_CASE("graceful drain: the request in flight is answered with Connection: close") {
  auto s = std::make_unique<TestServer>(small_limits());
  REQUIRE(s->load("m.json", manifest_json("m", "localhost", kApps)).empty());
  auto in_flight = std::async(std::launch::async, [&] {
    return HttpClient(s->port()).get("/apps/notes/sleep?ms=300");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  s->server.stop();
  Reply r = in_flight.get();
  CHECK(r.status == 200);
  CHECK_FALSE(r.keep_alive);
  s->server.wait();  // returns once the connection closed
  CHECK(s->server.open_connections() == 0);
}
