#include "runtime/identity/ekyc.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <memory>
#include <sstream>

#include <date/date.h>

#include "runtime/identity/base64url.h"
#include "runtime/identity/jwt.h"

namespace machi::identity {
namespace {

namespace json = boost::json;

// The claimed issuer, read before the signature is checked — only to pick the verifier whose
// keys must then verify it.
std::string claimed_issuer(std::string_view token) {
  size_t a = token.find('.');
  size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos) return "";
  auto payload = base64url_decode(token.substr(a + 1, b - a - 1));
  if (!payload) return "";
  boost::system::error_code ec;
  json::value v = json::parse(*payload, ec);
  const json::value* iss = !ec && v.is_object() ? v.as_object().if_contains("iss") : nullptr;
  return iss && iss->is_string() ? std::string(iss->as_string()) : "";
}

}  // namespace

bool is_iso_date(std::string_view text) {
  if (text.size() != 10) return false;
  std::istringstream in{std::string(text)};
  date::year_month_day day{};
  in >> date::parse("%Y-%m-%d", day);
  return !in.fail() && day.ok() && in.peek() == std::char_traits<char>::eof() &&
         date::format("%Y-%m-%d", day) == text;
}

Result<VerifiedAttributes> verify_ekyc_assertion(std::string_view assertion,
                                                 const std::vector<TrustedVerifier>& verifiers,
                                                 const std::string& audience) {
  std::string issuer = claimed_issuer(assertion);
  const TrustedVerifier* verifier = nullptr;
  for (const auto& v : verifiers) {
    if (!issuer.empty() && v.issuer == issuer) verifier = &v;
  }
  if (!verifier) return Status::error("invalid assertion: not from a verifier this municipality trusts");
  std::vector<std::pair<std::string, std::unique_ptr<Es256Key>>> keys;
  for (const auto& k : verifier->keys) {
    auto key = Es256Key::from_public_jwk(k.x, k.y);
    if (key) keys.emplace_back(k.kid, std::make_unique<Es256Key>(std::move(key).value()));
  }
  KeyLookup lookup = [&](std::string_view kid) -> const Es256Key* {
    for (const auto& [id, key] : keys) {
      if (id == kid) return key.get();
    }
    return nullptr;
  };
  VerifyRules rules;
  rules.typ = kEkycAssertionType;
  rules.issuer = verifier->issuer;
  rules.audience = audience;
  auto claims = verify_jwt(assertion, rules, lookup);
  if (!claims) return claims.status();

  VerifiedAttributes out;
  out.issuer = verifier->issuer;
  const json::value* nonce = claims->if_contains("nonce");
  const json::value* verified = claims->if_contains("verified");
  if (!nonce || !nonce->is_string() || nonce->as_string().empty()) {
    return Status::error("invalid assertion: no nonce");
  }
  out.nonce = std::string(nonce->as_string());
  const json::object* v = verified ? verified->if_object() : nullptr;
  const json::value* legal = v ? v->if_contains("legal_name") : nullptr;
  const json::value* birth = v ? v->if_contains("birthdate") : nullptr;
  const json::value* address = v ? v->if_contains("address") : nullptr;
  if (!legal || !legal->is_string() || legal->as_string().empty() || !birth ||
      !birth->is_string() || !is_iso_date(birth->as_string()) || !address ||
      !address->is_object()) {
    return Status::error("invalid assertion: verified.legal_name, verified.birthdate "
                         "(YYYY-MM-DD) and verified.address (object) are required");
  }
  out.legal_name = std::string(legal->as_string());
  out.birthdate = std::string(birth->as_string());
  out.address_json = json::serialize(*address);
  return out;
}

}  // namespace machi::identity
