// Trusted-device cookies (OWASP's "device cookie" defence against lockout by an attacker): after
// a browser signs in to a login successfully, it carries a signed entry for that login. A sign-in
// attempt that presents one is throttled only by that entry's own failures, not by the login's
// back-off for unknown clients, so an attacker guessing a resident's password from elsewhere
// keeps only the unknown clients out, never the resident's own browser.
//
// An entry is `<payload>.<mac>` (base64url): payload = 16 random bytes, then the issue time in
// seconds (8 bytes, big-endian); mac = HMAC-SHA256(key, "machi-device-v1\n" + case-folded login +
// "\n" + payload). The login is not in the cookie: a cookie names no one, and only the login it
// was issued for matches it. The cookie holds up to kMaxEntries entries joined by '~' (a family
// tablet used by several residents), the most recent first; an entry is trusted for kLifetime.
// Thread-safety: immutable after construction.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace machi::identity {

class DeviceCookies {
 public:
  static constexpr const char* kName = "machi_device";
  static constexpr size_t kMaxEntries = 4;
  static constexpr std::chrono::seconds kLifetime{std::chrono::hours(24 * 180)};

  // The key is derived from `secret` (the municipality's pairwise secret) with its own label, so
  // the same secret never signs two kinds of thing.
  explicit DeviceCookies(std::string_view secret);

  // The id of the entry in `cookie_header` that trusts this browser for `login` (the entry's
  // random part, base64url), or "" when there is none or it is older than kLifetime.
  std::string trusted(std::string_view cookie_header, std::string_view login, int64_t now_s) const;

  // The cookie's new value after `login` signed in: its trusted entry (or a new one) first, then
  // the other well-formed entries, at most kMaxEntries.
  std::string after_sign_in(std::string_view cookie_header, std::string_view login, int64_t now_s) const;

  // The Set-Cookie value carrying `value` (HttpOnly, SameSite=Strict, Path=/api/v1/auth, Secure
  // when `tls`).
  static std::string set_cookie(std::string_view value, bool tls);

 private:
  std::string mac(std::string_view login, std::string_view payload) const;
  std::string key_;
};

// The value of cookie `name` in a Cookie header, or "".
std::string_view cookie_value(std::string_view header, std::string_view name);

}  // namespace machi::identity
