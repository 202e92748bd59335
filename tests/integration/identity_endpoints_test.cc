// The identity provider's published keys, checked with an independent JOSE implementation.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <sys/wait.h>

#include <array>
#include <cstdio>

#include "runtime/identity/citizen_card.h"
#include "runtime/identity/jwt.h"
#include "runtime/identity/municipality_identity.h"
#include "tests/support/http_client.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

struct Run {
  int exit_code;
  std::string output;
};

Run run_node(const std::string& args) {
  std::string command = std::string(MACHI_NODE) + " " + MACHI_JS_DIR "/verify_with_jose.mjs " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string access_token(const MunicipalitySnapshot& m, int64_t expires_in = 600) {
  auto signing = m.identity->keys().signing_key();
  json::object claims{{"iss", m.manifest.public_url}, {"aud", identity::kAccessTokenAudience},
                      {"sub", "account-42"}, {"iat", identity::unix_now()},
                      {"exp", identity::unix_now() + expires_in}, {"jti", "t-1"}};
  return identity::sign_jwt(*signing.key, signing.kid, identity::kAccessTokenType, claims).value();
}

const std::string kApps = R"({"id": "hello", "name": "H", "plugin": "hello.so"})";

}  // namespace

TEST_CASE("JWKS and RFC 8414 metadata are published per municipality, issuer = public_url") {
  TestServer s;
  REQUIRE(s.load("saga.json", manifest_json("saga", "saga.example", kApps)).empty());
  REQUIRE(s.load("takeo.json", manifest_json("takeo", "takeo.example", kApps)).empty());
  HttpClient c(s.port());
  Reply metadata = c.get("/.well-known/oauth-authorization-server", "saga.example");
  REQUIRE(metadata.status == 200);
  auto m = json::parse(metadata.body);
  CHECK(m.at("issuer").as_string() == "https://saga.example");
  CHECK(m.at("jwks_uri").as_string() == "https://saga.example/.well-known/jwks.json");
  Reply saga = c.get("/.well-known/jwks.json", "saga.example");
  Reply takeo = c.get("/.well-known/jwks.json", "takeo.example");
  auto saga_keys = json::parse(saga.body).at("keys").as_array();
  REQUIRE(saga_keys.size() == 1);
  CHECK(saga_keys[0].at("kty").as_string() == "EC");
  CHECK(saga_keys[0].at("alg").as_string() == "ES256");
  CHECK_FALSE(saga_keys[0].as_object().contains("d"));  // never the private part
  CHECK(saga.body != takeo.body);  // each municipality signs with its own keys
  CHECK(std::filesystem::exists(s.dir / "data/saga/keys"));

  // Keys survive a reload and a restart of the process state.
  REQUIRE(s.load("saga.json", manifest_json("saga", "saga.example", kApps)).empty());
  CHECK(c.get("/.well-known/jwks.json", "saga.example").body == saga.body);
}

TEST_CASE("an independent JOSE library (npm jose) verifies Machi access tokens from the JWKS") {
  TestServer s;
  // jose fetches the metadata and the JWKS from the running server, whose Host is 127.0.0.1.
  REQUIRE(s.load("saga.json", manifest_json("saga", "127.0.0.1", kApps)).empty());
  auto saga = s.municipalities.all().front();
  std::string metadata = "http://127.0.0.1:" + std::to_string(s.port()) +
                         "/.well-known/oauth-authorization-server";

  std::string token = access_token(*saga);
  Run ok = run_node(metadata + " " + token + " at+jwt machi");
  CHECK_MESSAGE(ok.exit_code == 0, ok.output);
  CHECK(ok.output.find("\"sub\":\"account-42\"") != std::string::npos);
  CHECK(ok.output.find("\"typ\":\"at+jwt\"") != std::string::npos);

  std::string tampered = token;
  tampered[tampered.find('.') + 5] ^= 1;
  CHECK(run_node(metadata + " " + tampered + " at+jwt machi").exit_code == 1);
  CHECK(run_node(metadata + " " + access_token(*saga, -3600) + " at+jwt machi").exit_code == 1);
  CHECK(run_node(metadata + " " + token + " machi-card+jwt machi").exit_code == 1);
}

TEST_CASE("offline: jose checks a citizen card against the JWKS alone (genuine, current, verified)") {
  TestServer s;
  REQUIRE(s.load("saga.json", manifest_json("saga", "127.0.0.1", kApps)).empty());
  auto saga = s.municipalities.all().front();
  identity::Account resident;
  resident.login = "card@example.jp";
  resident.display_name = "c";
  resident.password_hash = "scrypt$15$8$1$AAAA$AAAA";
  auto created = saga->identity->accounts().create(resident);
  REQUIRE(created.is_ok());
  REQUIRE(saga->identity->accounts().set_verified(created->id, "佐賀 太郎", "1980-01-01", "{}").is_ok());
  auto card = identity::issue_citizen_card(*saga->identity, *saga->identity->accounts().by_id(created->id),
                                           saga->manifest.public_url);
  REQUIRE(card.is_ok());
  std::string metadata = "http://127.0.0.1:" + std::to_string(s.port()) +
                         "/.well-known/oauth-authorization-server";
  Run ok = run_node(metadata + " " + card->token + " machi-card+jwt machi-card");
  CHECK_MESSAGE(ok.exit_code == 0, ok.output);
  CHECK(ok.output.find("\"acr\":\"verified\"") != std::string::npos);
  CHECK(ok.output.find("1980") == std::string::npos);  // no personal data in the card
  CHECK(run_node(metadata + " " + card->token + " at+jwt machi").exit_code == 1);
}
