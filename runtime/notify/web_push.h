// Web Push message encryption (RFC 8291, "aes128gcm" from RFC 8188) and VAPID (RFC 8292), on
// OpenSSL 3. Nothing here does I/O: push_sender.h sends what these build.
// Thread-safety: free functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/identity/es256_key.h"
#include "runtime/status.h"

namespace machi::notify {

// What a single aes128gcm record can carry within the 4096 bytes push services accept:
// 4096 − 86 (header: salt, rs, idlen, 65-byte key) − 16 (tag) − 1 (padding delimiter).
inline constexpr size_t kMaxPushPlaintext = 3993;

struct PushEncryptionInputs {
  std::string_view ua_public;  // the subscription's p256dh: 65-byte uncompressed P-256 point
  std::string_view auth;       // the subscription's auth secret: 16 bytes
  // Tests only (RFC 8291 Appendix A): the sender's key (32-byte private scalar) and the salt
  // (16 bytes). Empty: a fresh ephemeral key and a random salt for each message, as required.
  std::string_view as_private;
  std::string_view salt;
};

// The complete request body: header (salt ‖ rs ‖ idlen ‖ keyid) ‖ one encrypted record.
Result<std::string> encrypt_push(std::string_view plaintext, const PushEncryptionInputs& in);

// Checks a subscription's keys (the point is on P-256, the secret 16 bytes).
Status check_subscription_keys(std::string_view p256dh, std::string_view auth);

// "vapid t=<JWT>, k=<public key>" for a push service origin ("https://push.example.net"),
// the JWT ES256-signed by `key`, expiring at `expires_unix_s` (at most 24 h ahead).
Result<std::string> vapid_authorization(const identity::Es256Key& key, std::string_view origin,
                                        std::string_view subject, int64_t expires_unix_s);

// A push endpoint's origin ("https://host[:port]"), the VAPID audience; empty if not a URL.
std::string push_origin(std::string_view endpoint);

// The 65-byte uncompressed public point of `key`, base64url: the applicationServerKey a
// browser's pushManager.subscribe() needs.
std::string vapid_public_key(const identity::Es256Key& key);

}  // namespace machi::notify
