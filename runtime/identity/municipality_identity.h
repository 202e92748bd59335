// MunicipalityIdentity: a municipality's identity-provider state that outlives manifest reloads:
// its token signing keys (<data>/<municipality>/keys/) and its runtime database (runtime.db)
// with the stores on it. The issuer
// is the manifest's public_url. Token lifetimes are fixed here so key retention covers them.
// Thread-safety: thread-safe (KeyStore is).
#pragma once

#include <array>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>
#include <string>
#include <vector>

#include "machi/plugin_api.h"
#include "runtime/identity/account_store.h"
#include "runtime/identity/consent_store.h"
#include "runtime/identity/sign_in_store.h"
#include "runtime/notify/broadcasts.h"
#include "runtime/notify/notification_store.h"
#include "runtime/storage/runtime_database.h"
#include "runtime/identity/device_cookie.h"
#include "runtime/identity/jwt.h"
#include "runtime/identity/key_store.h"
#include "runtime/identity/token_cache.h"

namespace machi::identity {

inline constexpr std::chrono::seconds kAccessTokenLifetime{600};
inline constexpr std::chrono::seconds kRefreshTokenLifetime{std::chrono::hours(24 * 30)};
inline constexpr std::chrono::seconds kKeyRotation{std::chrono::hours(24 * 30)};
// A retired key verifies for a day: far longer than any token it signed lives.
inline constexpr std::chrono::seconds kKeyRetention{std::chrono::hours(24)};
inline constexpr const char* kAccessTokenType = "at+jwt";
inline constexpr const char* kAccessTokenAudience = "machi";

// The claims views already built for one principal, one per mini-app, so the requests made with
// one token build each view once. A view is filed under the mounted mini-app it was built for
// (`mount`: its address in `snapshot`, the manifest snapshot's generation, which together name
// the mini-app and its grants) and holds while the identity's disclosure generation (bumped by
// every consent, profile or verification change) is the one it was built under. Entries live in
// the principal itself (no further allocation to chase); a ninth mini-app replaces the oldest
// entry. A copy starts empty. Thread-safety: thread-safe.
class ClaimsMemo {
 public:
  ClaimsMemo() = default;
  ClaimsMemo(const ClaimsMemo&) {}
  ClaimsMemo& operator=(const ClaimsMemo&) { return *this; }

  std::shared_ptr<const machi_claims> find(const void* mount, uint64_t snapshot,
                                           uint64_t disclosure) const;
  // Starts fetching the reference count of the view find() would return for `mount` (it is out
  // of the CPU's caches when thousands of residents' views are in use), for a caller with other
  // work to do before it calls find().
  void prefetch(const void* mount) const;
  void store(const void* mount, uint64_t snapshot, uint64_t disclosure,
             std::shared_ptr<const machi_claims> claims) const;

 private:
  struct Entry {
    const void* mount = nullptr;
    uint64_t snapshot = 0;
    uint64_t disclosure = 0;
    std::shared_ptr<const machi_claims> claims;
  };
  mutable std::mutex mutex_;
  mutable std::array<Entry, 8> entries_;
  mutable size_t next_ = 0;  // the entry a new mini-app takes
};

// Who a verified access token speaks for. Carried in the token, so routing a request to a
// mini-app needs no database read.
// What every request reads comes first, so that it spans as few cache lines as possible after
// the cache entry's reference count and text pointer (the lines a cached lookup prefetches, see
// MunicipalityIdentity::authenticate). Construct with designated initializers.
struct Principal {
  std::string public_id;
  std::vector<std::string> roles;  // staff roles; empty for residents
  ClaimsMemo claims_memo;          // shared with the token cache, like the principal
  std::string issuer;              // the `iss` it was verified against
  std::string assurance;           // "self" or "verified"
  std::string locale;
  std::string audience;            // "resident" or "visitor"
  uint32_t epoch = 0;              // the account's token epoch it was issued under (AccountStore)
};

class MunicipalityIdentity {
 public:
  static Result<std::shared_ptr<MunicipalityIdentity>> open(const std::filesystem::path& data_dir,
                                                             std::string municipality_id);

  KeyStore& keys() { return *keys_; }
  const KeyStore& keys() const { return *keys_; }
  // The municipality's runtime database and the stores on it (one connection, one lock).
  storage::RuntimeDatabase& database() { return *database_; }
  AccountStore& accounts() { return *accounts_; }
  SignInStore& sign_ins() { return *sign_ins_; }
  ConsentStore& consents() { return *consents_; }
  // The resident's in-app inbox and the staff's broadcasts. (Here for now: they are the
  // municipality's, not identity's, and move with it to a municipality folder.)
  notify::NotificationStore& notifications() { return *notifications_; }
  notify::BroadcastStore& broadcasts() { return *broadcasts_; }
  const Es256Key& vapid_key() const { return *vapid_; }  // Web Push (RFC 8292)
  // Signs and checks the trusted-device cookies of sign-in (device_cookie.h).
  const DeviceCookies& devices() const { return *devices_; }

  // A signed access token for `account` (typ at+jwt, aud "machi", 10 minutes).
  Result<std::string> issue_access_token(const Account& account, const std::string& issuer);
  // Checks an `Authorization` header value ("Bearer <jwt>").
  Result<std::shared_ptr<const Principal>> authenticate(std::string_view authorization,
                                                        const std::string& issuer) const;
  // Starts fetching the token cache's slot for a Bearer `authorization` value, for a caller
  // that will authenticate it after some other work (the router, while it finds the mini-app).
  void prefetch(std::string_view authorization) const;

  // Who a request speaks for: a Bearer token, else the web session cookie. `status` is 0 for an
  // anonymous request, 200 when authenticated, else the error status to answer (401, or 403 for
  // a cookie request changing state without the session's CSRF token).
  struct Caller {
    unsigned status = 0;
    std::string message;
    std::shared_ptr<const Principal> principal;  // shared with the token cache: no copy
  };
  Caller authenticate_request(std::string_view authorization, std::string_view cookie,
                              std::string_view csrf_header, std::string_view method,
                              const std::string& issuer) const;
  static constexpr const char* kSessionCookie = "machi_session";
  // The session id in a Cookie header, or "".
  static std::string_view session_cookie(std::string_view cookie_header);
  // The resident's id as one mini-app sees it: stable for that mini-app, unrelated across
  // mini-apps (HMAC-SHA256 with the municipality's pairwise secret).
  std::string pairwise_subject(std::string_view mount_id, std::string_view public_id) const;
  // The claims beyond the subject that one mini-app receives: in its manifest `grants`, accepted
  // by the resident (consents), and present on the account. Cached until a consent or profile
  // changes, so a request costs no database read once warm.
  using ClaimList = std::vector<std::pair<std::string, std::string>>;
  ClaimList disclosed_claims(std::string_view public_id, std::string_view mount_id,
                             const std::vector<std::string>& grants) const;
  // Verification rules for access tokens issued by `issuer` (the manifest's public_url).
  static VerifyRules access_token_rules(const std::string& issuer);
  KeyLookup key_lookup() const;

 private:
  Status current_account(const Principal& p) const;
  std::unique_ptr<Es256Key> vapid_;
  std::unique_ptr<KeyStore> keys_;
  std::unique_ptr<storage::RuntimeDatabase> database_;  // first: outlives every store on it
  std::unique_ptr<AccountStore> accounts_;
  std::unique_ptr<SignInStore> sign_ins_;
  std::unique_ptr<ConsentStore> consents_;
  std::unique_ptr<notify::NotificationStore> notifications_;
  std::unique_ptr<notify::BroadcastStore> broadcasts_;
  std::string pairwise_secret_;
  std::unique_ptr<DeviceCookies> devices_;
  std::string municipality_id_;
  // A verified access token: the issuer it was verified against and what it signed
  // (header.payload), as "<issuer> <signed part>" in one string, so one comparison over adjacent
  // memory checks both; and whom it speaks for. authenticate() hands out the principal sharing
  // the entry's reference count (aliasing).
  struct VerifiedToken {
    std::string issuer_and_signed_part;
    Principal principal;
    bool matches(std::string_view issuer, std::string_view signed_part) const {
      std::string_view text = issuer_and_signed_part;
      return text.size() == issuer.size() + 1 + signed_part.size() && text.starts_with(issuer) &&
             text[issuer.size()] == ' ' && text.ends_with(signed_part);
    }
  };
  // Verified access tokens (≈100k tokens ≈ 90 MiB at most), keyed by the token's signature, the
  // issuer and signed part compared in full (see authenticate). A hit counts only for the issuer
  // it was verified against, so a change of public_url never reuses an entry.
  mutable TokenCache<std::shared_ptr<const VerifiedToken>> verified_{100'000};
  // Pairwise subjects already derived (mount + resident → subject); they never change.
  mutable TokenCache<std::string> pairwise_{100'000};
  mutable TokenCache<ClaimList> disclosed_{100'000};
};

}  // namespace machi::identity
