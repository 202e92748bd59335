// The digital citizen card: a short-lived signed token a verified resident shows as a QR code.
// It holds no personal data — iss, aud "machi-card", iat, exp (2 minutes), a random jti and
// "acr": "verified" — so an offline verifier with the JWKS can tell only that the card is genuine,
// current and verified; staff online exchange it once for legal name, birth date and address.
// Thread-safety: free functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "runtime/identity/jwt.h"
#include "runtime/identity/municipality_identity.h"

namespace machi::identity {

inline constexpr const char* kCardTokenType = "machi-card+jwt";
inline constexpr const char* kCardAudience = "machi-card";
inline constexpr std::chrono::seconds kCardLifetime{120};

struct IssuedCard {
  std::string token;
  std::string jti;
  int64_t expires_at = 0;  // Unix seconds
};

// Signs a card for `account` (which must be verified) and records its jti.
Result<IssuedCard> issue_citizen_card(MunicipalityIdentity& identity, const Account& account,
                                      const std::string& issuer);
VerifyRules citizen_card_rules(const std::string& issuer);
// The verified resident behind a scanned card; spends the card (each card redeems once).
// Errors say why (bad card, already used, expired, no longer verified).
Result<Account> redeem_citizen_card(MunicipalityIdentity& identity, std::string_view card,
                                    const std::string& issuer);
// The QR code of `text` as a standalone SVG (libqrencode, error correction M, 4-module margin).
Result<std::string> qr_svg(std::string_view text);

}  // namespace machi::identity
