// Waiting-count live benchmark (issue: waiting count), in one process on loopback: C live
// clients (default 5,000) hold an SSE stream on one counter's channel
// (`/apps/counter/live/counter.shimin`); R times (default 30) staff call the next ticket through
// the real HTTP API, and every client's socket is read (one epoll thread) until that change
// arrives. Reported: time from sending "call next" to each client receiving it (p50/p99 over all
// deliveries) and to the last client of each round (p50/p99 over rounds); target p99 ≤ 100 ms.
// Usage: live_bench [CLIENTS] [ROUNDS] [IO_THREADS]   Prints Markdown to stdout.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <thread>

#include "bench/bench_city.h"
#include "runtime/scheduler/scheduler.h"
#include "tests/support/http_client.h"
#include "tests/support/scratch_dir.h"

using namespace machi;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

double ms_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

struct Client {
  int fd = -1;
  std::string tail;   // the last bytes read, so a marker split across reads is still found
  size_t events = 0;  // "event: live" markers seen
};

constexpr std::string_view kMarker = "event: live";

// Reads what is available; counts new markers.
void drain(Client& c) {
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(c.fd, buffer, sizeof buffer);
    if (n <= 0) return;
    std::string text = c.tail + std::string(buffer, static_cast<size_t>(n));
    for (size_t pos = text.find(kMarker); pos != std::string::npos; pos = text.find(kMarker, pos + 1)) {
      if (pos + kMarker.size() > c.tail.size()) ++c.events;  // not counted in an earlier read
    }
    c.tail = text.substr(text.size() > kMarker.size() ? text.size() - kMarker.size() : 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const size_t clients = argc > 1 ? std::stoul(argv[1]) : 5000;
  const int rounds = argc > 2 ? std::stoi(argv[2]) : 30;
  const size_t io_threads = argc > 3 ? std::stoul(argv[3]) : 1;
  test::ScratchDir dir;
  HttpServerOptions options;
  options.io_threads = io_threads;
  options.max_connections = clients + 100;
  bench::City city(dir.path(), R"({"municipality": "bench", "name": "Bench", "public_url": "https://localhost",
    "hostnames": ["localhost"], "timezone": "Asia/Tokyo", "staff_roles": ["operator"],
    "mini_apps": [{"id": "counter", "name": "窓口", "plugin": "waiting_count.so", "audience": ["residents", "visitors"],
      "config": {"offices": [{"id": "honcho", "name": "本庁舎", "counters": [{"id": "shimin", "name": "市民課"}]}],
                 "staff_roles": ["operator"]}}]})",
                   {MAIN_PLUGIN_DIR}, options);
  bench::add_operator(*city.m);
  LiveHub& live = city.live;
  const uint16_t port = city.server.port();

  test::HttpClient staff(port);
  auto signed_in = staff.request("POST", "/api/v1/auth/token", "localhost", {{"Content-Type", "application/json"}},
                                 bench::kOperatorSignIn);
  std::string token(json::parse(signed_in.body).at("access_token").as_string());
  std::vector<std::pair<std::string, std::string>> bearer = {{"Authorization", "Bearer " + token}};
  for (int i = 0; i < rounds; ++i) {
    staff.request("POST", "/apps/counter/staff/counters/shimin/tickets", "localhost", bearer, "");
  }

  // The live clients.
  int ep = epoll_create1(0);
  std::vector<Client> conns(clients);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string request = "GET /apps/counter/live/counter.shimin HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n";
  auto c0 = Clock::now();
  for (size_t i = 0; i < clients; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::fprintf(stderr, "connect %zu failed\n", i);
      return 1;
    }
    if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) return 1;
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    conns[i].fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  while (live.subscribers() < clients && ms_between(c0, Clock::now()) < 60'000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  double connect_ms = ms_between(c0, Clock::now());
  if (live.subscribers() < clients) {
    std::fprintf(stderr, "only %zu of %zu subscribed\n", live.subscribers(), clients);
    return 1;
  }
  std::vector<epoll_event> events(1024);
  auto pump = [&](int timeout_ms) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int i = 0; i < n; ++i) drain(conns[events[i].data.u64]);
    return n;
  };
  while (pump(200) > 0) {
  }
  for (auto& c : conns) c.events = 0;

  std::vector<double> deliveries, last_per_round, call_answers;
  size_t lost = 0;
  for (int round = 0; round < rounds; ++round) {
    size_t expected = static_cast<size_t>(round) + 1;
    auto t0 = Clock::now();
    auto answered = std::async(std::launch::async, [&] {
      auto r = staff.request("POST", "/apps/counter/staff/counters/shimin/call-next", "localhost", bearer, "");
      call_answers.push_back(ms_between(t0, Clock::now()));
      return r.status;
    });
    size_t done = 0;
    std::vector<bool> seen(clients, false);
    double last = 0;
    while (done < clients && ms_between(t0, Clock::now()) < 10'000) {
      int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
      auto now = Clock::now();
      for (int i = 0; i < n; ++i) {
        size_t k = events[i].data.u64;
        drain(conns[k]);
        if (!seen[k] && conns[k].events >= expected) {
          seen[k] = true;
          ++done;
          double ms = ms_between(t0, now);
          deliveries.push_back(ms);
          last = std::max(last, ms);
        }
      }
    }
    if (answered.get() != 200) {
      std::fprintf(stderr, "call-next answered an error in round %d\n", round);
      return 1;
    }
    lost += clients - done;
    last_per_round.push_back(last);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& c : conns) ::close(c.fd);
  ::close(ep);

  std::printf("# Waiting-count live benchmark (bench/run_live.sh)\n\n");
  std::printf("%zu SSE clients on one counter (connected and subscribed in %.0f ms), %d rounds of `POST "
              "…/call-next` through the real HTTP API, %zu server I/O thread(s); clients read by one epoll "
              "thread in the same process, 2-core machine.\n\n",
              clients, connect_ms, rounds, io_threads);
  std::printf("| measure | p50 | p99 | max |\n| --- | ---: | ---: | ---: |\n");
  std::printf("| call next → each client has the change (%zu deliveries) | %.1f ms | %.1f ms | %.1f ms |\n",
              deliveries.size(), percentile(deliveries, 0.5), percentile(deliveries, 0.99), percentile(deliveries, 1.0));
  std::printf("| call next → the last client of the round | %.1f ms | **%.1f ms** (target ≤ 100 ms) | %.1f ms |\n",
              percentile(last_per_round, 0.5), percentile(last_per_round, 0.99), percentile(last_per_round, 1.0));
  std::printf("| call next → staff's HTTP answer | %.1f ms | %.1f ms | %.1f ms |\n", percentile(call_answers, 0.5),
              percentile(call_answers, 0.99), percentile(call_answers, 1.0));
  std::printf("\nDeliveries missing after 10 s: %zu.\n", lost);
  return lost == 0 ? 0 : 1;
}
