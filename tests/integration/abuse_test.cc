// Protocol abuse against the real server (issue: reliability): slow bodies, request smuggling
// with Content-Length and Transfer-Encoding together, pipelined garbage, a client that never
// reads its answers, and thousands of idle connections against a process whose descriptor limit
// is lower than its configured connection limit. After each, the server still serves.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/machi_process.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;

namespace {

HttpServerOptions tight() {
  HttpServerOptions o;
  o.header_limit = 2048;
  o.body_limit = 64 * 1024;
  o.read_timeout = std::chrono::milliseconds(400);
  o.idle_timeout = std::chrono::milliseconds(2000);
  o.max_connections = 64;
  return o;
}

const std::string kApps = R"({"id": "notes", "name": "N", "plugin": "notes.so"})";

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

template <typename Done>
bool wait_until(Done done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("a slow body (slowloris on the body) is cut off at the read timeout, unanswered") {
  TestServer s(tight());
  REQUIRE(s.load("m.json", manifest_json("m", "localhost", kApps)).empty());
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::address_v4::loopback(), s.port()));
  net::write(socket, net::buffer(std::string("POST /apps/notes/notes HTTP/1.1\r\nHost: localhost\r\n"
                                             "Content-Length: 100\r\n\r\n")));
  auto start = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  bool cut = false;
  for (int i = 0; i < 100 && !ec; ++i) {  // one byte every 50 ms: 5 s for the whole body
    net::write(socket, net::buffer("x", 1), ec);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    char probe[256];
    socket.non_blocking(true);
    size_t n = socket.read_some(net::buffer(probe), ec);
    socket.non_blocking(false);
    if (ec == net::error::would_block) {
      ec = {};
      continue;
    }
    CHECK(n == 0);  // no answer is ever written for the unfinished request
    cut = true;
  }
  auto took = std::chrono::steady_clock::now() - start;
  CHECK((cut || ec));
  CHECK(took < std::chrono::milliseconds(2500));  // the read timeout (400 ms) plus the sweep
  HttpClient c(s.port());
  CHECK(c.get("/healthz").status == 200);
}

TEST_CASE("Content-Length with Transfer-Encoding is refused and closes: nothing is smuggled") {
  TestServer s(tight());
  REQUIRE(s.load("m.json", manifest_json("m", "localhost", kApps)).empty());
  // CL.TE and TE.CL: whichever the server believed, the bytes after would be a second request.
  for (const std::string& request :
       {std::string("POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        std::string("POST /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
                    "Content-Length: 40\r\n\r\n0\r\n\r\nGET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        std::string("POST /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n"
                    "Transfer-Encoding: identity\r\n\r\n0\r\n\r\nGET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        std::string("POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\n"
                    "abcdGET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n")}) {
    CAPTURE(request);
    std::string r = raw_exchange(s.port(), request);
    CHECK(count_of(r, "HTTP/1.1 ") == 1);  // one answer, then the connection is closed
    CHECK(r.starts_with("HTTP/1.1 400"));
    CHECK(r.find("Connection: close") != std::string::npos);
  }
  HttpClient c(s.port());
  CHECK(c.get("/healthz").status == 200);
}

TEST_CASE("request smuggling: a framing with two readings gets one 400 and a close; the well-framed ones are served in turn") {
  TestServer s(tight());
  REQUIRE(s.load("m.json", manifest_json("m", "localhost", kApps)).empty());
  // Each corpus vector is a POST whose body, read another way, holds `GET /smuggled`; a last
  // request closes the connection so each exchange ends at once.
  const std::string last = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  const std::vector<std::string> well_framed = {
      "smuggle-te-spaces", "smuggle-te-upper", "smuggle-te-mixed-case", "smuggle-te-leading-tab",
      "smuggle-chunk-ext", "smuggle-chunk-ext-quoted", "smuggle-chunk-trailer",
      "smuggle-cl-leading-space", "smuggle-cl-leading-zeros", "smuggle-get-with-body"};
  size_t refused = 0, served = 0;
  for (const auto& entry : std::filesystem::directory_iterator(MACHI_HTTP_CORPUS)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with("smuggle-")) continue;
    CAPTURE(name);
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string r = raw_exchange(s.port(), bytes + last);
    if (std::find(well_framed.begin(), well_framed.end(), name) != well_framed.end()) {
      CHECK(count_of(r, "HTTP/1.1 ") == 3);  // the POST, GET /smuggled (a real request here), the last
      CHECK(count_of(r, "HTTP/1.1 404") == 1);
      ++served;
      continue;
    }
    CHECK(count_of(r, "HTTP/1.1 ") == 1);  // one answer, then the connection is closed
    CHECK(r.starts_with("HTTP/1.1 400"));
    CHECK(r.find("Connection: close") != std::string::npos);
    ++refused;
  }
  CHECK(refused >= 40);
  CHECK(served == well_framed.size());
  // The issue's first vector, with the smuggled request arriving after the 400 was written:
  // the connection is closed, so it is never read as a request.
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::address_v4::loopback(), s.port()));
  net::write(socket, net::buffer(std::string("POST /apps/notes/ HTTP/1.1\r\nHost: localhost\r\n"
                                             "Transfer-Encoding: xchunked\r\nContent-Length: 4\r\n\r\n")));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  boost::system::error_code ec;
  net::write(socket, net::buffer(std::string("abcdGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n")), ec);
  std::string answer;
  char buf[4096];
  for (;;) {
    size_t n = socket.read_some(net::buffer(buf), ec);
    answer.append(buf, n);
    if (ec) break;
  }
  CHECK(answer.starts_with("HTTP/1.1 400"));
  CHECK(answer.find("Transfer-Encoding must be exactly chunked") != std::string::npos);
  CHECK(count_of(answer, "HTTP/1.1 ") == 1);
  HttpClient c(s.port());
  CHECK(c.get("/healthz").status == 200);
}

TEST_CASE("pipelined requests are answered in order; garbage after them gets one 400 and a close") {
  TestServer s(tight());
  REQUIRE(s.load("m.json", manifest_json("m", "localhost", kApps)).empty());
  std::string pipelined;
  for (int i = 0; i < 20; ++i) pipelined += "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  pipelined += "GET /api/v1/apps HTTP/1.1\r\nHost: localhost\r\n\r\n";
  static const char kTlsHello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n";
  pipelined += std::string(kTlsHello, sizeof kTlsHello - 1);  // a TLS ClientHello's start, then text
  pipelined += "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";  // after the garbage: never read
  std::string r = raw_exchange(s.port(), pipelined);
  CHECK(count_of(r, "HTTP/1.1 200") == 21);
  CHECK(count_of(r, "HTTP/1.1 400") == 1);
  CHECK(count_of(r, "HTTP/1.1 ") == 22);
  CHECK(r.rfind("HTTP/1.1 400") > r.rfind("HTTP/1.1 200"));
  CHECK(r.find(R"("apps")") != std::string::npos);
}

TEST_CASE("a client that never reads its answers is cut off; the others are served meanwhile") {
  TestServer s(tight());
  REQUIRE(s.load("m.json", manifest_json("m", "localhost", kApps)).empty());
  size_t before = s.server.open_connections();
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::address_v4::loopback(), s.port()));
  socket.set_option(net::socket_base::receive_buffer_size(4096));
  // Many pipelined requests, each answered with a few KiB, never read: the server's writes fill
  // the socket buffers and stall.
  std::string request = "GET /api/v1/apps HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + std::string(1500, 'p') + "\r\n\r\n";
  socket.non_blocking(true);
  boost::system::error_code ec;
  size_t sent = 0;
  std::string all;
  for (int i = 0; i < 4000; ++i) all += request;
  auto start = std::chrono::steady_clock::now();
  while (sent < all.size() && std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
    size_t n = socket.write_some(net::buffer(all.data() + sent, all.size() - sent), ec);
    if (ec == net::error::would_block) {
      ec = {};
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (ec) break;
    sent += n;
  }
  // Meanwhile (and after) the server answers everyone else.
  HttpClient other(s.port());
  CHECK(other.get("/healthz").status == 200);
  // The stalled connection is closed once a write has waited past the read timeout.
  other.close();
  CHECK(wait_until([&] { return s.server.open_connections() <= before; }, std::chrono::seconds(10)));
  HttpClient after(s.port());
  CHECK(after.get("/healthz").status == 200);
}

TEST_CASE("thousands of idle connections meet the connection limit, never descriptor exhaustion") {
  ScratchDir dir;
  std::ofstream(dir / "m.json") << manifest_json("m", "localhost", kApps);
  uint16_t port = free_port();
  // 600 descriptors for a process told to take 5000 connections: it must fit its limit under
  // them (600 − 256 reserved = 344 connections) and refuse the rest with 503.
  MachiProcessOptions options;
  options.nofile = 600;
  options.extra_args = {"--max-connections", "5000"};
  MachiProcess machi(dir.path(), port, options);
  net::io_context ioc;
  std::vector<std::unique_ptr<tcp::socket>> idle;
  for (int i = 0; i < 2000; ++i) {
    auto socket = std::make_unique<tcp::socket>(ioc);
    boost::system::error_code ec;
    socket->connect(tcp::endpoint(net::ip::address_v4::loopback(), port), ec);
    if (!ec) idle.push_back(std::move(socket));
    if (i % 200 == 0) CHECK(machi.open_descriptors() < 600);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(machi.alive());
  CHECK(machi.open_descriptors() < 600);
  // A new client is told the server is full, in JSON, with Retry-After.
  std::string r = raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
  CHECK(r.starts_with("HTTP/1.1 503"));
  CHECK(r.find("too_many_connections") != std::string::npos);
  CHECK(r.find("Retry-After") != std::string::npos);
  idle.clear();  // the clients leave: the server serves again
  CHECK(wait_until([&] {
    try {
      HttpClient c(port);
      return c.get("/healthz").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  }));
  std::ifstream log(dir / "machi.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK(text.find("connection limit lowered") != std::string::npos);
  CHECK(text.find("accept failed") == std::string::npos);  // never EMFILE
}
