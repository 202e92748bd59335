#include "runtime/identity/token_cache.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>

using machi::identity::cache_key;
using machi::identity::TokenCache;

TEST_CASE("entries live until their expiry, match only the exact key, and stay bounded") {
  TokenCache<int> cache(3);
  cache.insert(cache_key({"token-a"}), 1, 100);
  CHECK(cache.find(cache_key({"token-a"}), 99).value() == 1);
  CHECK_FALSE(cache.find(cache_key({"token-a"}), 100).has_value());  // expired
  CHECK_FALSE(cache.find(cache_key({"token-"}), 50).has_value());    // a prefix is another key
  CHECK_FALSE(cache.find(cache_key({"token-a "}), 50).has_value());
  cache.insert(cache_key({"b"}), 2, 100);
  cache.insert(cache_key({"c"}), 3, 100);
  CHECK(cache.size() == 3);
  cache.insert(cache_key({"d"}), 4, 100);  // full: cleared, then d
  CHECK(cache.size() == 1);
  CHECK(cache.find(cache_key({"d"}), 0).value() == 4);
  CHECK_FALSE(cache.find(cache_key({"b"}), 0).has_value());
}

TEST_CASE("keys of several parts are length-prefixed: moving the boundary gives another key") {
  CHECK(cache_key({"ab", "c"}) != cache_key({"a", "bc"}));
  CHECK(cache_key({"abc"}) != cache_key({"abc", ""}));
  CHECK(cache_key({"https://a.example", "tok"}) == cache_key({"https://a.example", "tok"}));
  TokenCache<int> cache(10);
  cache.insert(cache_key({"https://old.example", "tok"}), 7, 100);
  CHECK_FALSE(cache.find(cache_key({"https://new.example", "tok"}), 0).has_value());
}

TEST_CASE("the table grows past its first size and keeps every entry findable") {
  TokenCache<int> cache(5000);
  for (int i = 0; i < 3000; ++i) cache.insert(cache_key({std::to_string(i)}), i, 100);
  CHECK(cache.size() == 3000);
  for (int i = 0; i < 3000; ++i) REQUIRE(cache.find(cache_key({std::to_string(i)}), 0).value() == i);
  CHECK_FALSE(cache.find(cache_key({"3000"}), 0).has_value());
  cache.insert(cache_key({"7"}), 70, 100);  // replacing keeps the count
  CHECK(cache.size() == 3000);
  CHECK(cache.find(cache_key({"7"}), 0).value() == 70);
}

TEST_CASE("entries filed under a caller's hint are found by a prefetched lookup, also after growing") {
  TokenCache<std::shared_ptr<const std::string>> cache(5000);
  auto hint_of = [](int i) { return static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull; };
  for (int i = 0; i < 2000; ++i) {
    cache.insert(cache_key({"tok", std::to_string(i)}), std::make_shared<const std::string>(std::to_string(i)),
                 100, hint_of(i));
  }
  CHECK(cache.size() == 2000);
  int candidates_seen = 0;
  for (int i = 0; i < 2000; ++i) {
    auto found = cache.find_prefetched(hint_of(i), 50, [&](const std::shared_ptr<const std::string>& candidate) {
      if (candidate) ++candidates_seen;
      return cache_key({"tok", std::to_string(i)});
    }, [](const auto&) { return true; });
    REQUIRE(found.has_value());
    REQUIRE(**found == std::to_string(i));
  }
  CHECK(candidates_seen > 0);  // make_key sees the value in the slot its probe starts at
  // Expired and unknown: misses.
  auto any = [](const auto&) { return true; };
  CHECK_FALSE(cache.find_prefetched(hint_of(7), 100, [&](const auto&) { return cache_key({"tok", "7"}); }, any));
  CHECK_FALSE(cache.find_prefetched(hint_of(7), 50, [&](const auto&) { return cache_key({"tok", "x"}); }, any));
  // Found, but refused by the caller's check: a miss, and the entry stays for callers it fits.
  auto is_seven = [](const std::shared_ptr<const std::string>& v) { return *v == "7"; };
  CHECK_FALSE(cache.find_prefetched(hint_of(8), 50, [&](const auto&) { return cache_key({"tok", "8"}); }, is_seven));
  CHECK(cache.find_prefetched(hint_of(7), 50, [&](const auto&) { return cache_key({"tok", "7"}); }, is_seven));
  // An entry that is never valid is not stored.
  cache.insert(cache_key({"zero"}), std::make_shared<const std::string>("z"), 0, 1);
  CHECK(cache.size() == 2000);
}

TEST_CASE("a key hashed piece by piece equals the key of its parts") {
  machi::identity::KeyHasher h;
  h.part("https://city.example");
  h.length(11);
  h.bytes("hello");
  h.bytes(" world");
  CHECK(h.finish() == cache_key({"https://city.example", "hello world"}));
}

TEST_CASE("tables of 2 MiB and more are placed on 2 MiB boundaries (for huge pages), small ones normally") {
  struct alignas(64) Line {
    unsigned char bytes[64];
  };
  machi::identity::LargeTableAllocator<Line> allocator;
  Line* large = allocator.allocate(32768);  // 2 MiB
  Line* small = allocator.allocate(16);
  CHECK(reinterpret_cast<uintptr_t>(large) % (size_t{2} << 20) == 0);
  CHECK(reinterpret_cast<uintptr_t>(small) % 64 == 0);
  large[32767].bytes[63] = 1;  // the whole table is usable
  CHECK(large[32767].bytes[63] == 1);
  allocator.deallocate(large, 32768);
  allocator.deallocate(small, 16);
}
