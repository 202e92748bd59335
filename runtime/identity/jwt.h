// Compact JWTs signed with ES256, and their verification by the rules of RFC 8725: one allowed
// algorithm (ES256 — never "none", never HMAC), an exact `typ` per kind of token (access token,
// citizen card, eKYC assertion), `kid` a plain identifier looked up among known keys (never a path
// or URL), `iss`, `aud`, `exp` (required) and `nbf`/`iat` checked with a small leeway, a size
// limit, no `crit` extensions. Failure messages say what was wrong, never echo the token.
// Thread-safety: free functions; the key lookup must be thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "runtime/identity/es256_key.h"
#include "runtime/status.h"

namespace machi::identity {

struct VerifyRules {
  std::string typ;       // required, case-insensitive; "application/" + typ too (RFC 9068 §2.1)
  std::string issuer;    // required `iss`
  std::string audience;  // `aud` must be it, or an array holding it
  std::chrono::seconds leeway{30};
  int64_t now = 0;       // Unix seconds; 0: the system clock
  size_t max_size = 8192;
  // > 0: `iat` is required and `exp` may be at most this long after it (iat itself is never in
  // the future beyond the leeway): a token signed with the real key but minted for longer than
  // the issuer ever issues is refused.
  std::chrono::seconds max_lifetime{0};
};

// The key for a `kid`, or nullptr when unknown.
using KeyLookup = std::function<const Es256Key*(std::string_view kid)>;

Result<std::string> sign_jwt(const Es256Key& key, std::string_view kid, std::string_view typ,
                             const boost::json::object& claims);

Result<boost::json::object> verify_jwt(std::string_view token, const VerifyRules& rules,
                                       const KeyLookup& keys);

int64_t unix_now();
// The same from the kernel's coarse clock (a few milliseconds behind, no clock read): for checks
// at whole-second granularity on every request.
int64_t unix_now_coarse();

}  // namespace machi::identity
