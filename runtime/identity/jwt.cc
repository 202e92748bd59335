#include "runtime/identity/jwt.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <ctime>

#include "runtime/identity/base64url.h"

namespace machi::identity {
namespace {

namespace json = boost::json;

Status refuse(std::string why) { return Status::error("invalid token: " + std::move(why)); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool plain_kid(std::string_view kid) {
  return !kid.empty() && kid.size() <= 64 && std::all_of(kid.begin(), kid.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
  });
}

std::optional<json::object> decode_object(std::string_view part) {
  auto bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  boost::system::error_code ec;
  json::value value = json::parse(*bytes, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// A NumericDate (RFC 7519 §2) as whole seconds, or nullopt.
std::optional<int64_t> numeric_date(const json::object& claims, std::string_view name) {
  const json::value* v = claims.if_contains(name);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= INT64_MAX) return static_cast<int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<int64_t>(v->as_double());
  return std::nullopt;
}

bool audience_matches(const json::value* aud, std::string_view want) {
  if (!aud) return false;
  if (aud->is_string()) return aud->as_string() == want;
  if (!aud->is_array()) return false;
  const auto& list = aud->as_array();
  return std::any_of(list.begin(), list.end(),
                     [&](const json::value& v) { return v.is_string() && v.as_string() == want; });
}

}  // namespace

int64_t unix_now_coarse() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return ts.tv_sec;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::string> sign_jwt(const Es256Key& key, std::string_view kid, std::string_view typ,
                             const json::object& claims) {
  json::object header{{"alg", "ES256"}, {"typ", typ}};
  if (!kid.empty()) header["kid"] = kid;  // VAPID tokens carry none
  std::string input =
      base64url_encode(json::serialize(header)) + "." + base64url_encode(json::serialize(claims));
  auto signature = key.sign(input);
  if (!signature) return signature.status();
  return input + "." + base64url_encode(signature.value());
}

Result<json::object> verify_jwt(std::string_view token, const VerifyRules& rules,
                                const KeyLookup& keys) {
  if (token.size() > rules.max_size) return refuse("longer than " + std::to_string(rules.max_size) + " bytes");
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return refuse("not a compact JWS (three dot-separated parts)");
  }
  std::string_view header_part = token.substr(0, first);
  std::string_view payload_part = token.substr(first + 1, second - first - 1);
  std::string_view signature_part = token.substr(second + 1);

  auto header = decode_object(header_part);
  if (!header) return refuse("header is not base64url JSON");
  const json::value* alg = header->if_contains("alg");
  if (!alg || !alg->is_string() || alg->as_string() != "ES256") {
    return refuse("algorithm not allowed (only ES256)");
  }
  if (header->contains("crit")) return refuse("critical header extensions are not supported");
  const json::value* typ = header->if_contains("typ");
  auto typ_matches = [&](std::string_view t) {
    constexpr std::string_view kMedia = "application/";
    if (t.size() > kMedia.size() && iequals(t.substr(0, kMedia.size()), kMedia)) t.remove_prefix(kMedia.size());
    return iequals(t, rules.typ);
  };
  if (!typ || !typ->is_string() || !typ_matches(typ->as_string())) {
    return refuse("wrong token type (expected " + rules.typ + ")");
  }
  const json::value* kid = header->if_contains("kid");
  if (!kid || !kid->is_string() || !plain_kid(kid->as_string())) {
    return refuse("missing or malformed key id");
  }
  const Es256Key* key = keys(kid->as_string());
  if (!key) return refuse("unknown key id");
  auto signature = base64url_decode(signature_part);
  if (!signature || signature->size() != 64) return refuse("malformed signature");
  if (!key->verify(token.substr(0, second), *signature)) return refuse("bad signature");

  auto claims = decode_object(payload_part);
  if (!claims) return refuse("payload is not base64url JSON");
  const json::value* iss = claims->if_contains("iss");
  if (!iss || !iss->is_string() || iss->as_string() != rules.issuer) return refuse("wrong issuer");
  if (!audience_matches(claims->if_contains("aud"), rules.audience)) return refuse("wrong audience");
  int64_t now = rules.now ? rules.now : unix_now();
  int64_t leeway = rules.leeway.count();
  auto exp = numeric_date(*claims, "exp");
  if (!exp) return refuse("no expiry");
  if (now - leeway >= *exp) return refuse("expired");
  if (auto nbf = numeric_date(*claims, "nbf"); nbf && *nbf > now + leeway) {
    return refuse("not valid yet");
  }
  auto iat = numeric_date(*claims, "iat");
  if (iat && *iat > now + leeway) return refuse("issued in the future");
  if (int64_t longest = rules.max_lifetime.count(); longest > 0) {
    if (!iat) return refuse("no issue time (iat)");
    if (*exp - *iat > longest) {
      return refuse("lifetime longer than the " + std::to_string(longest) + " s this issuer gives");
    }
  }
  return std::move(*claims);
}

}  // namespace machi::identity
