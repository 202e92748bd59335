#include "runtime/identity/key_store.h"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <sys/stat.h>

#include <fstream>

#include "runtime/identity/jwt.h"
#include "tests/support/scratch_dir.h"

using namespace machi::identity;
using namespace std::chrono_literals;

TEST_CASE("keys are created once, kept 0600 in the data directory and found again") {
  machi::test::ScratchDir dir;
  std::string kid;
  {
    auto store = KeyStore::open(dir / "keys", 24h * 30, 1h);
    REQUIRE_MESSAGE(store.is_ok(), store.error());
    kid = store.value()->signing_key().kid;
    CHECK(kid == KeyStore::thumbprint(*store.value()->signing_key().key));
  }
  auto file = dir / ("keys/" + kid + ".pem");
  REQUIRE(std::filesystem::exists(file));
  struct stat st{};
  ::stat(file.c_str(), &st);
  CHECK((st.st_mode & 0777) == 0600);
  auto reopened = KeyStore::open(dir / "keys", 24h * 30, 1h);
  REQUIRE(reopened.is_ok());
  CHECK(reopened.value()->signing_key().kid == kid);
  CHECK(reopened.value()->key_count() == 1);
}

TEST_CASE("rotation: the new key signs, the old keeps verifying until retention ends") {
  machi::test::ScratchDir dir;
  auto store = std::move(KeyStore::open(dir / "keys", 24h, 2h).value());
  auto t0 = KeyStore::Clock::now();
  auto old = store->signing_key();
  std::string token = sign_jwt(*old.key, old.kid, "at+jwt",
                               {{"iss", "i"}, {"aud", "a"}, {"exp", unix_now() + 600}}).value();
  KeyLookup lookup = [&](std::string_view kid) { return store->find(kid).get(); };
  VerifyRules rules{"at+jwt", "i", "a"};

  CHECK_FALSE(store->rotate_if_due(t0 + 1h).value());
  CHECK(store->rotate_if_due(t0 + 25h).value());
  CHECK(store->signing_key().kid != old.kid);
  CHECK(store->key_count() == 2);
  CHECK(verify_jwt(token, rules, lookup).is_ok());  // retired, still verifying
  auto jwks = boost::json::parse(store->jwks_json()).at("keys").as_array();
  CHECK(jwks.size() == 2);
  CHECK(jwks[0].at("alg").as_string() == "ES256");

  CHECK_FALSE(store->rotate_if_due(t0 + 26h).value());  // retired 1 h ago: kept
  CHECK(store->key_count() == 2);
  store->rotate_if_due(t0 + 27h + 1min);  // retired over 2 h ago: gone, from disk too
  CHECK(store->key_count() == 1);
  CHECK_FALSE(std::filesystem::exists(dir / ("keys/" + old.kid + ".pem")));
  auto refused = verify_jwt(token, rules, lookup);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.error().find("unknown key id") != std::string::npos);
}

TEST_CASE("a key directory holding a foreign or damaged file is refused with its name") {
  machi::test::ScratchDir dir;
  std::filesystem::create_directories(dir / "keys");
  std::ofstream(dir / "keys/bogus.pem") << "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  auto store = KeyStore::open(dir / "keys", 24h, 1h);
  REQUIRE_FALSE(store.is_ok());
  CHECK(store.error().find("bogus.pem") != std::string::npos);
  std::filesystem::remove(dir / "keys/bogus.pem");
  auto key = Es256Key::generate().value();
  REQUIRE(key.save_pem(dir / "keys/renamed.pem").is_ok());
  auto renamed = KeyStore::open(dir / "keys", 24h, 1h);
  REQUIRE_FALSE(renamed.is_ok());
  CHECK(renamed.error().find("thumbprint") != std::string::npos);
}
