#include "runtime/identity/token_cache.h"

#include <doctest/doctest.h>

using machi::identity::TokenCache;

TEST_CASE("entries live until their expiry, match only the exact token, and stay bounded") {
  TokenCache<int> cache(3);
  cache.insert("token-a", 1, 100);
  CHECK(cache.find("token-a", 99).value() == 1);
  CHECK_FALSE(cache.find("token-a", 100).has_value());  // expired
  CHECK_FALSE(cache.find("token-", 50).has_value());    // a prefix is another token
  CHECK_FALSE(cache.find("token-a ", 50).has_value());
  cache.insert("b", 2, 100);
  cache.insert("c", 3, 100);
  CHECK(cache.size() == 3);
  cache.insert("d", 4, 100);  // full: cleared, then d
  CHECK(cache.size() == 1);
  CHECK(cache.find("d", 0).value() == 4);
  CHECK_FALSE(cache.find("b", 0).has_value());
}
