#include "runtime/notify/web_push.h"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>


#include "runtime/identity/base64url.h"
#include "runtime/identity/jwt.h"
#include "tests/support/push_decrypt.h"

using namespace machi;
using namespace machi::notify;
using identity::base64url_decode;
using identity::base64url_encode;

namespace {

// RFC 8291, Appendix A (the user agent's keys are in push_decrypt.h).
const std::string kPlaintext = "When I grow up, I want to be a watermelon";
const std::string kAsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
const std::string kUaPublic = test::kUaPublic;
const std::string kSalt = "DGv6ra1nlYgDCS1FRnbzlw";
const std::string kAuth = test::kUaAuth;
const std::string kBody =
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

std::string raw(const std::string& b64) { return base64url_decode(b64).value(); }
using test::decrypt_with_http_ece;

}  // namespace

TEST_CASE("aes128gcm reproduces the RFC 8291 example byte for byte") {
  auto body = encrypt_push(kPlaintext, {raw(kUaPublic), raw(kAuth), raw(kAsPrivate), raw(kSalt)});
  REQUIRE_MESSAGE(body, body.error());
  CHECK(base64url_encode(body.value()) == kBody);
}

TEST_CASE("fresh keys and salts: an independent implementation (npm http_ece) decrypts them") {
  std::string japanese = "明日は燃えるごみの日です。朝8時までに出してください。";
  auto first = encrypt_push(japanese, {raw(kUaPublic), raw(kAuth), "", ""});
  auto second = encrypt_push(japanese, {raw(kUaPublic), raw(kAuth), "", ""});
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first.value().substr(0, 16) != second.value().substr(0, 16));   // new salt each time
  CHECK(first.value().substr(21, 65) != second.value().substr(21, 65)); // new sender key each time
  CHECK(decrypt_with_http_ece(first.value()) == japanese);
  std::string largest(kMaxPushPlaintext, 'x');
  auto big = encrypt_push(largest, {raw(kUaPublic), raw(kAuth), "", ""});
  REQUIRE(big);
  CHECK(big.value().size() == 4096);  // exactly what push services accept
  CHECK(decrypt_with_http_ece(big.value()) == largest);
}

TEST_CASE("payloads over 3993 bytes and malformed subscription keys are refused") {
  auto over = encrypt_push(std::string(kMaxPushPlaintext + 1, 'x'), {raw(kUaPublic), raw(kAuth), "", ""});
  REQUIRE_FALSE(over);
  CHECK(over.error().find("3993") != std::string::npos);
  std::string off_curve = raw(kUaPublic);
  off_curve[40] ^= 0x01;
  CHECK_FALSE(check_subscription_keys(off_curve, raw(kAuth)));
  CHECK_FALSE(check_subscription_keys(raw(kUaPublic).substr(0, 64), raw(kAuth)));
  CHECK_FALSE(check_subscription_keys(std::string(65, '\x04'), raw(kAuth)));
  CHECK_FALSE(check_subscription_keys(raw(kUaPublic), raw(kAuth).substr(0, 15)));
  CHECK(check_subscription_keys(raw(kUaPublic), raw(kAuth)));
}

TEST_CASE("VAPID: an ES256 JWT for the push service's origin and the key it verifies with") {
  auto key = identity::Es256Key::generate().value();
  int64_t exp = identity::unix_now() + 3600;
  auto header = vapid_authorization(key, "https://push.example.net", "mailto:ops@city.example.jp", exp);
  REQUIRE(header);
  const std::string& h = header.value();
  REQUIRE(h.starts_with("vapid t="));
  auto comma = h.find(", k=");
  REQUIRE(comma != std::string::npos);
  std::string jwt = h.substr(8, comma - 8);
  std::string k = h.substr(comma + 4);
  CHECK(k == vapid_public_key(key));
  std::string point = base64url_decode(k).value();
  CHECK(point.size() == 65);
  CHECK(point[0] == '\x04');
  // VAPID JWTs carry no issuer, so check the parts directly: the signature, then the claims.
  auto dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
  REQUIRE(dot1 != dot2);
  CHECK(key.verify(jwt.substr(0, dot2), base64url_decode(jwt.substr(dot2 + 1)).value()));
  auto head = boost::json::parse(base64url_decode(jwt.substr(0, dot1)).value()).as_object();
  CHECK(head.at("alg").as_string() == "ES256");
  CHECK(head.at("typ").as_string() == "JWT");
  CHECK_FALSE(head.contains("kid"));
  auto claims = Result<boost::json::object>(
      boost::json::parse(base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1)).value()).as_object());
  CHECK(claims.value().at("aud").as_string() == "https://push.example.net");
  CHECK(claims.value().at("exp").as_int64() == exp);
  CHECK(claims.value().at("sub").as_string() == "mailto:ops@city.example.jp");
}
