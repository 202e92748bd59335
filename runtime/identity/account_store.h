// AccountStore: a municipality's accounts and sign-in state in its runtime database
// (<data>/<municipality>/runtime.db, WAL, synchronous=FULL): accounts, refresh tokens (only their
// SHA-256 is stored; families for reuse detection), sign-in back-off counters, and the secret that
// derives pairwise subjects (lose it and every mini-app sees its residents as new people).
// Thread-safety: every method is thread-safe (one connection behind a mutex).
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/notify/broadcasts.h"
#include "runtime/notify/notification_store.h"
#include "runtime/status.h"
#include "runtime/storage/sqlite_open.h"

namespace machi::identity {

struct Account {
  int64_t id = 0;
  std::string public_id;  // random, stable; the `sub` of access tokens (never shown to plugins)
  std::string login;
  std::string password_hash;
  std::string display_name;
  std::string language = "ja";
  std::string audience = "resident";
  std::string assurance = "self";
  int64_t created_ms = 0;
  // Set by eKYC (empty until verified).
  std::string legal_name;
  std::string birthdate;
  std::string address_json;
  // Self-declared profile (residents edit these).
  std::string district;        // a district id of the manifest
  std::string household_json;  // JSON array of {"name","birthdate","relation"}
};

class AccountStore {
 public:
  static Result<std::unique_ptr<AccountStore>> open(const std::filesystem::path& file);

  // Fails with message "login_taken" when the login exists (case-insensitively).
  Result<Account> create(const Account& account);
  std::optional<Account> by_login(std::string_view login);
  std::optional<Account> by_public_id(std::string_view public_id);
  std::optional<Account> by_id(int64_t id);
  // Also moves the token epoch on (bump_token_epoch).
  Status set_password(int64_t account_id, std::string_view hash);
  // The resident-editable fields: display name, language, district, household.
  Status update_profile(const Account& account);
  // Removes the account and, by cascade, its refresh tokens; its access tokens stop at once.
  Status delete_account(int64_t account_id);

  // Every account's access-token epoch, in memory (loaded at open, kept in accounts.token_epoch
  // so a restart sees it): a token carries the epoch it was issued under and is refused when the
  // account's epoch moved on (password change, sign-out everywhere) or the account is gone.
  // nullopt: no such account. A shared lock and one hash lookup: checked on every request (an
  // account the map does not know — made by another process, e.g. `machi staff add` — is read
  // from the database once).
  std::optional<uint32_t> token_epoch(std::string_view public_id);
  // The account's epoch read again from the database (the map may be behind another process).
  std::optional<uint32_t> reload_token_epoch(std::string_view public_id);
  // Reads every epoch again when another process committed to the database since the last call
  // (PRAGMA data_version): the serving process calls it every second.
  void refresh_token_epochs_if_changed();
  // Moves the account's epoch on: every access token issued before stops working.
  Status bump_token_epoch(int64_t account_id);

  // Refresh tokens are stored by hash; a family is one sign-in's chain of rotations.
  Status add_refresh(std::string_view token_hash, int64_t account_id, std::string_view family,
                     int64_t expires_ms);
  enum class RefreshUse { kOk, kUnknown, kExpired, kReused };
  // Marks the token used. A second use revokes its whole family (kReused).
  RefreshUse use_refresh(std::string_view token_hash, int64_t now_ms, int64_t& account_id,
                         std::string& family);
  void revoke_family(std::string_view family);
  // Every sign-in of the account: refresh tokens, web sessions, and (bump_token_epoch) every
  // access token already issued.
  void revoke_account(int64_t account_id);

  // eKYC nonces: issued to one account, used once, expiring.
  Status add_nonce(std::string_view nonce_hash, int64_t account_id, int64_t expires_ms);
  enum class NonceUse { kOk, kUnknown, kUsed, kExpired, kOtherAccount };
  NonceUse use_nonce(std::string_view nonce_hash, int64_t account_id, int64_t now_ms);
  Status set_verified(int64_t account_id, std::string_view legal_name, std::string_view birthdate,
                      std::string_view address_json);

  // Consent: which granted claims the resident accepted for a mini-app (mount id).
  std::vector<std::string> consented(int64_t account_id, std::string_view mount_id);
  std::vector<std::pair<std::string, std::vector<std::string>>> consents(int64_t account_id);
  Status set_consent(int64_t account_id, std::string_view mount_id,
                     const std::vector<std::string>& claims);
  Status revoke_consent(int64_t account_id, std::string_view mount_id);

  // The resident's home-screen list as saved (JSON array of {"id","hidden"}); "" when never set.
  std::string home_order(int64_t account_id);
  Status set_home_order(int64_t account_id, std::string_view json);

  // Staff roles (names from the manifest's staff_roles).
  std::vector<std::string> roles(int64_t account_id);
  Status set_roles(int64_t account_id, const std::vector<std::string>& roles);

  // Citizen cards issued (by jti): each verifies once.
  Status add_card(std::string_view jti, int64_t account_id, int64_t expires_ms);
  enum class CardUse { kOk, kUnknown, kUsed, kExpired };
  CardUse use_card(std::string_view jti, int64_t now_ms, int64_t& account_id);

  // Disclosures: who read which of a resident's data, when, for what.
  struct Disclosure {
    int64_t at_ms = 0;
    std::string staff_login;
    std::string purpose;   // e.g. "citizen-card", "recovery", or a mini-app id
    std::string claims;    // comma-separated claim names
  };
  Status add_disclosure(int64_t account_id, const Disclosure& disclosure);
  std::vector<Disclosure> disclosures(int64_t account_id);

  // Recovery codes issued at a counter (stored hashed, single use, expiring).
  Status add_recovery_code(std::string_view code_hash, int64_t account_id, int64_t expires_ms);
  // True (and the code is spent) when `code_hash` is a live code of `account_id`.
  bool use_recovery_code(std::string_view code_hash, int64_t account_id, int64_t now_ms);

  // Web sessions (cookie): stored by the hash of the session id, with the CSRF token.
  Status add_session(std::string_view id_hash, int64_t account_id, std::string_view csrf,
                     int64_t expires_ms);
  // The account and CSRF token of a live session.
  std::optional<std::pair<int64_t, std::string>> session(std::string_view id_hash, int64_t now_ms);
  void delete_session(std::string_view id_hash);

  // Erasures owed by mini-apps that were disabled when a resident deleted their account: run
  // when the mini-app is enabled again (the subject is that mini-app's pairwise subject).
  // Pairwise subjects the runtime has handed to a mini-app, so the mini-app can address the
  // resident later (notify) by the only id it knows. Deleted with the account.
  Status remember_subject(std::string_view mount_id, std::string_view subject, int64_t account_id);
  std::optional<int64_t> account_for_subject(std::string_view mount_id, std::string_view subject);

  // The resident's in-app inbox (same database and lock).
  notify::NotificationStore& notifications() { return *notifications_; }
  notify::BroadcastStore& broadcasts() { return *broadcasts_; }

  Status add_pending_erasure(std::string_view mount_id, std::string_view subject);
  std::vector<std::string> pending_erasures(std::string_view mount_id);
  void remove_pending_erasure(std::string_view mount_id, std::string_view subject);

  // Back-off: the time until which `key` may not try again, and failure bookkeeping.
  int64_t blocked_until_ms(std::string_view key);
  int64_t record_failure(std::string_view key, int64_t now_ms);  // returns blocked-until
  void clear_failures(std::string_view key);

  const std::string& pairwise_secret() const { return pairwise_secret_; }
  // Bumped by every change to what mini-apps may see (consents, verified attributes, deletion).
  uint64_t disclosure_generation() const { return disclosure_generation_.load(); }

 private:
  AccountStore() = default;
  std::optional<Account> find(const char* sql, std::string_view value);

  std::mutex mutex_;
  storage::SqliteHandle db_;
  std::string pairwise_secret_;
  std::atomic<uint64_t> disclosure_generation_{0};
  struct TransparentHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::shared_mutex epochs_mutex_;  // guards epochs_ (taken after mutex_, never before)
  std::unordered_map<std::string, uint32_t, TransparentHash, std::equal_to<>> epochs_;
  int64_t data_version_ = -1;  // guarded by mutex_
  std::unique_ptr<notify::NotificationStore> notifications_;
  std::unique_ptr<notify::BroadcastStore> broadcasts_;
};

}  // namespace machi::identity
