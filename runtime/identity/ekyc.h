// eKYC verification assertions. The My Number card check runs outside Machi, at a verifier the
// manifest trusts (`verifiers`: issuer + public JWKs). The verifier signs a compact JWS:
//   header  {"alg":"ES256","typ":"machi-ekyc+jwt","kid":…}
//   payload {"iss": verifier, "aud": the municipality's public_url, "iat", "exp",
//            "nonce": the nonce Machi issued to this resident,
//            "verified": {"legal_name", "birthdate": "YYYY-MM-DD", "address": {…}}}
// Checked here: a trusted issuer, its key and signature, typ, aud, exp (RFC 8725 rules as for
// every token); the nonce is checked (single use, this account, not expired) by the caller.
// Thread-safety: free functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/manifest/manifest.h"
#include "runtime/status.h"

namespace machi::identity {

inline constexpr const char* kEkycAssertionType = "machi-ekyc+jwt";

struct VerifiedAttributes {
  std::string issuer;
  std::string nonce;
  std::string legal_name;
  std::string birthdate;     // YYYY-MM-DD
  std::string address_json;  // JSON object
};

// A calendar date written YYYY-MM-DD (checked with the date library: 2025-02-30 is not one).
bool is_iso_date(std::string_view text);

Result<VerifiedAttributes> verify_ekyc_assertion(std::string_view assertion,
                                                 const std::vector<TrustedVerifier>& verifiers,
                                                 const std::string& audience);

}  // namespace machi::identity
