#include "runtime/identity/password_hasher.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using machi::identity::PasswordHasher;
using namespace std::chrono_literals;

TEST_CASE("hash and verify: match, mismatch, malformed; same password, different salts") {
  PasswordHasher hasher(2, 5s, /*log2_n=*/12);  // small N keeps the unit test fast
  std::string a = hasher.hash("correct horse battery").value();
  std::string b = hasher.hash("correct horse battery").value();
  CHECK(a != b);
  CHECK(a.rfind("scrypt$12$8$1$", 0) == 0);
  CHECK(hasher.verify("correct horse battery", a) == PasswordHasher::Check::kMatch);
  CHECK(hasher.verify("correct horse batterz", a) == PasswordHasher::Check::kMismatch);
  CHECK(hasher.verify("x", "scrypt$12$8$1$bad") == PasswordHasher::Check::kMalformed);
  CHECK(hasher.verify("x", "bcrypt$whatever") == PasswordHasher::Check::kMalformed);
  CHECK(hasher.verify("x", "scrypt$40$8$1$AAAA$AAAA") == PasswordHasher::Check::kMalformed);
}

TEST_CASE("at most max_concurrent derivations run at once; the rest wait, or are told busy") {
  PasswordHasher hasher(1, 10s, 14);
  std::vector<std::thread> threads;
  std::atomic<int> done{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      if (hasher.hash("flood " + std::to_string(done.load())).is_ok()) done++;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(done.load() == 6);
  CHECK(hasher.peak_concurrency() == 1);

  PasswordHasher impatient(1, 1ms, 15);
  std::atomic<int> busy{0};
  threads.clear();
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (!impatient.hash("flood").is_ok()) busy++;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(busy.load() >= 1);  // with one slot and no patience, a flood is refused, not queued
}
