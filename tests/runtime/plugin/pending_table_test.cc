#include "runtime/plugin/pending_table.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace machi;
using Clock = PendingTable::Clock;

TEST_CASE("a token completes once; a reused slot's old token is EXPIRED") {
  PendingTable table;
  int answered = 0;
  uint64_t first = table.add([&](PluginResponse) { ++answered; }, Clock::now() + std::chrono::hours(1));
  CHECK(table.complete(first, {}) == MACHI_OK);
  CHECK(table.complete(first, {}) == MACHI_ERR_EXPIRED);
  uint64_t second = table.add([&](PluginResponse) { ++answered; }, Clock::now() + std::chrono::hours(1));
  CHECK((second & 0xffffffffu) == (first & 0xffffffffu));  // same slot reused
  CHECK(second != first);                                 // newer generation
  CHECK(table.complete(first, {}) == MACHI_ERR_EXPIRED);
  CHECK(answered == 1);
  CHECK(table.complete(second, {}) == MACHI_OK);
  CHECK(answered == 2);
  CHECK(table.complete(0, {}) == MACHI_ERR_EXPIRED);
  CHECK(table.complete(~uint64_t{0}, {}) == MACHI_ERR_EXPIRED);
}

TEST_CASE("overdue requests are answered with the timeout response; abandoned ones never") {
  PendingTable table;
  std::vector<unsigned> statuses;
  auto past = Clock::now() - std::chrono::seconds(1);
  auto future = Clock::now() + std::chrono::hours(1);
  uint64_t overdue = table.add([&](PluginResponse r) { statuses.push_back(r.status); }, past);
  uint64_t gone = table.add([&](PluginResponse r) { statuses.push_back(r.status); }, past);
  uint64_t waiting = table.add([&](PluginResponse r) { statuses.push_back(r.status); }, future);
  CHECK(table.abandon(gone));
  CHECK_FALSE(table.abandon(gone));
  PluginResponse timeout;
  timeout.status = 504;
  CHECK(table.expire_overdue(Clock::now(), timeout) == 1);
  CHECK(statuses == std::vector<unsigned>{504});
  CHECK(table.complete(overdue, {}) == MACHI_ERR_EXPIRED);
  CHECK(table.outstanding() == 1);
  CHECK(table.complete(waiting, {}) == MACHI_OK);
  CHECK(table.outstanding() == 0);
}

TEST_CASE("concurrent complete and expire answer each request exactly once") {
  PendingTable table;
  std::atomic<int> answers{0};
  std::vector<uint64_t> tokens;
  for (int i = 0; i < 2000; ++i) {
    tokens.push_back(table.add([&](PluginResponse) { answers++; }, Clock::now()));
  }
  std::atomic<int> completed{0};
  std::thread completer([&] {
    for (uint64_t t : tokens) completed += table.complete(t, {}) == MACHI_OK;
  });
  size_t expired = table.expire_overdue(Clock::now(), PluginResponse{});
  completer.join();
  CHECK(answers.load() == 2000);
  CHECK(completed.load() + static_cast<int>(expired) == 2000);
}
