#include "runtime/identity/token_cache.h"

#include <doctest/doctest.h>

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
