// TestVerifier: stands in for an eKYC (My Number card) verifier. It has its own P-256 key, gives
// the manifest entry that trusts it, and signs verification assertions. Used by tests; the
// format is in runtime/identity/ekyc.h and docs/identity.md.
#pragma once

#include <boost/json/serialize.hpp>

#include <string>

#include "runtime/identity/ekyc.h"
#include "runtime/identity/jwt.h"

namespace machi::test {

struct TestVerifier {
  std::string issuer = "https://ekyc.test.example";
  std::string kid = "ekyc-test-1";
  identity::Es256Key key = identity::Es256Key::generate().value();

  // The value of one `verifiers` entry in a manifest.
  std::string manifest_entry() const {
    return R"({"issuer": ")" + issuer + R"(", "keys": [{"kty": "EC", "crv": "P-256", "kid": ")" +
           kid + R"(", "x": ")" + key.jwk_x() + R"(", "y": ")" + key.jwk_y() + R"("}]})";
  }

  std::string assertion(const std::string& audience, const std::string& nonce,
                        int64_t expires_in = 300,
                        std::string typ = identity::kEkycAssertionType) const {
    int64_t now = identity::unix_now();
    boost::json::object claims{
        {"iss", issuer}, {"aud", audience}, {"iat", now}, {"exp", now + expires_in},
        {"nonce", nonce},
        {"verified", boost::json::object{
                         {"legal_name", "佐賀 花子"},
                         {"birthdate", "1990-04-01"},
                         {"address", boost::json::object{{"district", "honjo"},
                                                         {"line", "佐賀市本庄町1-1"}}}}}};
    return identity::sign_jwt(key, kid, typ, claims).value();
  }
};

}  // namespace machi::test
