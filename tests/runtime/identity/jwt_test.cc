#include "runtime/identity/jwt.h"

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>
#include <openssl/hmac.h>

#include "runtime/identity/base64url.h"

using namespace machi::identity;
namespace json = boost::json;

namespace {

constexpr int64_t kNow = 1'800'000'000;

struct Fixture {
  Es256Key key = Es256Key::generate().value();
  std::string kid = "k1";
  KeyLookup lookup = [this](std::string_view k) { return k == kid ? &key : nullptr; };
  VerifyRules rules{"at+jwt", "https://saga.example", "machi", std::chrono::seconds(30), kNow};

  json::object claims(int64_t exp_in = 600) const {
    return {{"iss", "https://saga.example"}, {"aud", "machi"}, {"sub", "acct-1"},
            {"iat", kNow}, {"exp", kNow + exp_in}, {"jti", "j1"}};
  }
  std::string token(const json::object& c, std::string typ = "at+jwt") const {
    return sign_jwt(key, kid, typ, c).value();
  }
  std::string refusal(const std::string& token) const {
    auto r = verify_jwt(token, rules, lookup);
    REQUIRE_FALSE(r.is_ok());
    return r.error();
  }
};

std::string part(const std::string& token, int index) {
  size_t a = token.find('.'), b = token.find('.', a + 1);
  if (index == 0) return token.substr(0, a);
  if (index == 1) return token.substr(a + 1, b - a - 1);
  return token.substr(b + 1);
}

std::string encode_json(const json::object& o) { return base64url_encode(json::serialize(o)); }

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a valid ES256 token verifies and gives its claims; aud may be an array") {
  Fixture f;
  auto claims = verify_jwt(f.token(f.claims()), f.rules, f.lookup);
  REQUIRE_MESSAGE(claims.is_ok(), claims.error());
  CHECK(claims->at("sub").as_string() == "acct-1");
  auto c = f.claims();
  c["aud"] = json::array{"other", "machi"};
  CHECK(verify_jwt(f.token(c), f.rules, f.lookup).is_ok());
  CHECK(verify_jwt(f.token(f.claims(), "AT+JWT"), f.rules, f.lookup).is_ok());  // typ: case-insensitive
}

TEST_CASE("alg none, HS256 keyed with the public key, and unknown algorithms are refused") {
  Fixture f;
  std::string payload = encode_json(f.claims());
  std::string none = encode_json({{"alg", "none"}, {"typ", "at+jwt"}, {"kid", "k1"}}) + "." + payload + ".";
  CHECK(has(f.refusal(none), "algorithm not allowed"));

  // The classic confusion: HMAC with the (public) verification key as the secret.
  std::string header = encode_json({{"alg", "HS256"}, {"typ", "at+jwt"}, {"kid", "k1"}});
  std::string input = header + "." + payload;
  std::string secret = f.key.jwk_x() + f.key.jwk_y();
  unsigned char mac[32];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_length);
  std::string hs = input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), mac_length));
  CHECK(has(f.refusal(hs), "algorithm not allowed"));

  std::string es512 = encode_json({{"alg", "ES512"}, {"typ", "at+jwt"}, {"kid", "k1"}}) + "." +
                      payload + "." + part(f.token(f.claims()), 2);
  CHECK(has(f.refusal(es512), "algorithm not allowed"));
  std::string crit = encode_json({{"alg", "ES256"}, {"typ", "at+jwt"}, {"kid", "k1"},
                                  {"crit", json::array{"exp"}}}) + "." + payload + ".x";
  CHECK(has(f.refusal(crit), "critical"));
}

TEST_CASE("an ECDSA signature with r = s = 0 is refused (psychic signatures)") {
  Fixture f;
  std::string token = f.token(f.claims());
  std::string zero = token.substr(0, token.rfind('.') + 1) + base64url_encode(std::string(64, '\0'));
  CHECK(has(f.refusal(zero), "bad signature"));
  CHECK_FALSE(f.key.verify("anything", std::string(64, '\0')));
  std::string order(64, '\xff');  // r, s ≥ the group order
  CHECK_FALSE(f.key.verify("anything", order));
}

TEST_CASE("a token of another kind, issuer or audience is refused") {
  Fixture f;
  // A citizen-card token presented as an access token, and an access token as a card.
  CHECK(has(f.refusal(f.token(f.claims(), "machi-card+jwt")), "wrong token type"));
  VerifyRules card = f.rules;
  card.typ = "machi-card+jwt";
  card.audience = "machi-card";
  auto as_card = verify_jwt(f.token(f.claims()), card, f.lookup);
  REQUIRE_FALSE(as_card.is_ok());
  CHECK(has(as_card.error(), "wrong token type"));
  auto c = f.claims();
  c["aud"] = "machi-card";
  CHECK(has(f.refusal(f.token(c)), "wrong audience"));
  c = f.claims();
  c["iss"] = "https://takeo.example";
  CHECK(has(f.refusal(f.token(c)), "wrong issuer"));
  c = f.claims();
  c.erase("aud");
  CHECK(has(f.refusal(f.token(c)), "wrong audience"));
  std::string no_typ = encode_json({{"alg", "ES256"}, {"kid", "k1"}});
  std::string input = no_typ + "." + encode_json(f.claims());
  CHECK(has(f.refusal(input + "." + base64url_encode(f.key.sign(input).value())), "wrong token type"));
}

TEST_CASE("expiry, not-before and issued-at are checked with a small leeway") {
  Fixture f;
  CHECK(has(f.refusal(f.token(f.claims(-31))), "expired"));
  CHECK(verify_jwt(f.token(f.claims(-29)), f.rules, f.lookup).is_ok());  // within 30 s leeway
  auto c = f.claims();
  c.erase("exp");
  CHECK(has(f.refusal(f.token(c)), "no expiry"));
  c = f.claims();
  c["nbf"] = kNow + 120;
  CHECK(has(f.refusal(f.token(c)), "not valid yet"));
  c = f.claims();
  c["iat"] = kNow + 3600;
  CHECK(has(f.refusal(f.token(c)), "issued in the future"));
  c = f.claims();
  c["exp"] = "tomorrow";
  CHECK(has(f.refusal(f.token(c)), "no expiry"));
}

TEST_CASE("with a maximum lifetime, exp may be at most that long after iat and after now; iat is required") {
  Fixture f;
  f.rules.max_lifetime = std::chrono::seconds(600);
  CHECK(verify_jwt(f.token(f.claims(600)), f.rules, f.lookup).is_ok());
  CHECK(has(f.refusal(f.token(f.claims(601))), "lifetime longer than the 600 s"));
  CHECK(has(f.refusal(f.token(f.claims(365 * 86400))), "lifetime longer"));  // a year-long token, real key
  auto c = f.claims();
  c.erase("iat");
  CHECK(has(f.refusal(f.token(c)), "no issue time"));
  c = f.claims(600);
  c["iat"] = kNow + 20;  // a clock a little ahead (within the leeway), a full lifetime after it
  c["exp"] = kNow + 20 + 600;
  CHECK(verify_jwt(f.token(c), f.rules, f.lookup).is_ok());
  f.rules.max_lifetime = std::chrono::seconds(0);  // no limit: only expiry counts
  CHECK(verify_jwt(f.token(f.claims(365 * 86400)), f.rules, f.lookup).is_ok());
}

TEST_CASE("typ is at+jwt or application/at+jwt (RFC 9068), in any case") {
  Fixture f;
  for (const char* typ : {"at+jwt", "application/at+jwt", "Application/AT+JWT"}) {
    CAPTURE(typ);
    CHECK(verify_jwt(f.token(f.claims(), typ), f.rules, f.lookup).is_ok());
  }
  for (const char* typ : {"application/", "application/jwt", "text/at+jwt", "JWT", "xat+jwt"}) {
    CAPTURE(typ);
    CHECK(has(f.refusal(f.token(f.claims(), typ)), "wrong token type"));
  }
}

TEST_CASE("unknown kid, a kid carrying a path, and a token signed by another key are refused") {
  Fixture f;
  Es256Key other = Es256Key::generate().value();
  CHECK(has(f.refusal(sign_jwt(other, "k2", "at+jwt", f.claims()).value()), "unknown key id"));
  CHECK(has(f.refusal(sign_jwt(other, "k1", "at+jwt", f.claims()).value()), "bad signature"));
  for (const char* kid : {"../../etc/passwd", "keys/k1", "https://evil.example/jwks", ""}) {
    CAPTURE(kid);
    CHECK(has(f.refusal(sign_jwt(f.key, kid, "at+jwt", f.claims()).value()), "key id"));
  }
}

TEST_CASE("tampered, truncated, malformed and oversized tokens are refused") {
  Fixture f;
  std::string token = f.token(f.claims());
  auto c = f.claims();
  c["sub"] = "acct-2";  // someone else
  std::string tampered = part(token, 0) + "." + encode_json(c) + "." + part(token, 2);
  CHECK(has(f.refusal(tampered), "bad signature"));
  CHECK_FALSE(verify_jwt(token.substr(0, token.size() - 5), f.rules, f.lookup).is_ok());
  CHECK(has(f.refusal(token.substr(0, token.rfind('.'))), "three dot-separated parts"));
  CHECK(has(f.refusal(token + ".x"), "three dot-separated parts"));
  CHECK(has(f.refusal("not a token"), "three dot-separated parts"));
  CHECK(has(f.refusal("%%%." + part(token, 1) + "." + part(token, 2)), "header"));
  std::string padded = token + "==";  // padding is not base64url
  CHECK_FALSE(verify_jwt(padded, f.rules, f.lookup).is_ok());
  c = f.claims();
  c["pad"] = std::string(9000, 'x');
  std::string big = f.token(c);
  CHECK(has(f.refusal(big), "longer than 8192 bytes"));
  CHECK(f.refusal(tampered).find(part(token, 2)) == std::string::npos);  // never echoes the token
}

TEST_CASE("base64url: round trip, no padding, no standard-alphabet characters, canonical only") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    CHECK(base64url_decode(base64url_encode(s)).value() == s);
  }
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK_FALSE(base64url_decode("+/8").has_value());
  CHECK_FALSE(base64url_decode("Zg==").has_value());
  CHECK_FALSE(base64url_decode("Zh").has_value());  // non-zero unused bits
  CHECK_FALSE(base64url_decode("Z").has_value());
  CHECK_FALSE(base64url_decode("Zm9v!").has_value());
}

TEST_CASE("a public key rebuilt from its JWK verifies; a point off the curve is refused") {
  Fixture f;
  auto pub = Es256Key::from_public_jwk(f.key.jwk_x(), f.key.jwk_y());
  REQUIRE_MESSAGE(pub.is_ok(), pub.error());
  std::string signature = f.key.sign("hello").value();
  CHECK(pub->verify("hello", signature));
  CHECK_FALSE(pub->verify("hellp", signature));
  CHECK_FALSE(pub->sign("x").is_ok());  // no private key
  CHECK_FALSE(Es256Key::from_public_jwk(f.key.jwk_x(), f.key.jwk_x()).is_ok());
  CHECK_FALSE(Es256Key::from_public_jwk("AAAA", f.key.jwk_y()).is_ok());
}
