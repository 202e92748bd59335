#include "runtime/identity/citizen_card.h"

#include <openssl/rand.h>
#include <qrencode.h>

#include "runtime/identity/base64url.h"

namespace machi::identity {

Result<IssuedCard> issue_citizen_card(MunicipalityIdentity& identity, const Account& account,
                                      const std::string& issuer) {
  if (account.assurance != "verified") return Status::error("not verified");
  std::string random(16, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(random.data()), static_cast<int>(random.size()));
  IssuedCard card;
  card.jti = base64url_encode(random);
  int64_t now = unix_now();
  card.expires_at = now + kCardLifetime.count();
  boost::json::object claims{{"iss", issuer},   {"aud", kCardAudience}, {"iat", now},
                             {"exp", card.expires_at}, {"jti", card.jti}, {"acr", "verified"}};
  auto signing = identity.keys().signing_key();
  auto token = sign_jwt(*signing.key, signing.kid, kCardTokenType, claims);
  if (!token) return token.status();
  card.token = std::move(token).value();
  if (Status s = identity.sign_ins().add_card(card.jti, account.id, card.expires_at * 1000); !s) return s;
  return card;
}

VerifyRules citizen_card_rules(const std::string& issuer) {
  VerifyRules rules;
  rules.typ = kCardTokenType;
  rules.issuer = issuer;
  rules.audience = kCardAudience;
  rules.leeway = std::chrono::seconds(5);  // a card lives two minutes: keep the leeway short
  return rules;
}

Result<Account> redeem_citizen_card(MunicipalityIdentity& identity, std::string_view card,
                                    const std::string& issuer) {
  auto claims = verify_jwt(card, citizen_card_rules(issuer), identity.key_lookup());
  if (!claims) return claims.status();
  const boost::json::value* jti = claims->if_contains("jti");
  int64_t account_id = 0;
  int64_t now_ms = unix_now() * 1000;
  auto use = jti && jti->is_string() ? identity.sign_ins().use_card(jti->as_string(), now_ms, account_id)
                                     : SignInStore::CardUse::kUnknown;
  if (use == SignInStore::CardUse::kUsed) {
    return Status::error("this card was already verified; show a new one");
  }
  if (use != SignInStore::CardUse::kOk) return Status::error("unknown or expired card");
  auto resident = identity.accounts().by_id(account_id);
  if (!resident || resident->assurance != "verified") {
    return Status::error("the card's account is no longer verified");
  }
  return std::move(*resident);
}

Result<std::string> qr_svg(std::string_view text) {
  std::string copy(text);
  QRcode* code = QRcode_encodeString(copy.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!code) return Status::error("cannot encode the QR code");
  constexpr int kMargin = 4;
  int size = code->width + 2 * kMargin;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    std::to_string(size) + " " + std::to_string(size) +
                    "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" "
                    "fill=\"#fff\"/><path fill=\"#000\" d=\"";
  for (int y = 0; y < code->width; ++y) {
    for (int x = 0; x < code->width; ++x) {
      if (code->data[y * code->width + x] & 1) {  // bit 0: dark module
        svg += "M" + std::to_string(x + kMargin) + " " + std::to_string(y + kMargin) + "h1v1h-1z";
      }
    }
  }
  svg += "\"/></svg>";
  QRcode_free(code);
  return svg;
}

}  // namespace machi::identity
