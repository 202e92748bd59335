// AccountStore: a municipality's accounts in its runtime database (storage::RuntimeDatabase):
// each account's login and password hash, profile, eKYC attributes, staff roles and home order,
// and every account's access-token epoch (in memory, kept in the database). Sign-in state is
// SignInStore's; consents, disclosures and subjects are ConsentStore's.
// Thread-safety: every method is thread-safe (the database's connection behind its mutex).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/status.h"
#include "runtime/storage/runtime_database.h"

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
  // Loads every account's token epoch.
  explicit AccountStore(storage::RuntimeDatabase& db);

  // Fails with kAlreadyExists when the login exists (case-insensitively).
  Result<Account> create(const Account& account);
  std::optional<Account> by_login(std::string_view login);
  std::optional<Account> by_public_id(std::string_view public_id);
  std::optional<Account> by_id(int64_t id);
  // Also moves the token epoch on (bump_token_epoch).
  Status set_password(int64_t account_id, std::string_view hash);
  // The resident-editable fields: display name, language, district, household.
  Status update_profile(const Account& account);
  // Removes the account and, by cascade, everything stored for it; its access tokens stop at once.
  Status delete_account(int64_t account_id);
  // eKYC's attributes (the account becomes "verified").
  Status set_verified(int64_t account_id, std::string_view legal_name, std::string_view birthdate,
                      std::string_view address_json);

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

  // The resident's home-screen list as saved (JSON array of {"id","hidden"}); "" when never set.
  std::string home_order(int64_t account_id);
  Status set_home_order(int64_t account_id, std::string_view json);

  // Staff roles (names from the manifest's staff_roles).
  std::vector<std::string> roles(int64_t account_id);
  Status set_roles(int64_t account_id, const std::vector<std::string>& roles);

  // Bumped by every change to what mini-apps may see (profile, verified attributes, deletion,
  // and ConsentStore's consents).
  uint64_t disclosure_generation() const { return disclosure_generation_.load(); }
  void note_disclosure_change() { disclosure_generation_++; }

 private:
  std::optional<Account> find(const char* sql, std::string_view value);

  storage::RuntimeDatabase& db_;
  std::mutex& mutex_;  // db_.mutex()
  std::atomic<uint64_t> disclosure_generation_{0};
  struct TransparentHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::shared_mutex epochs_mutex_;  // guards epochs_ (taken after mutex_, never before)
  std::unordered_map<std::string, uint32_t, TransparentHash, std::equal_to<>> epochs_;
  int64_t data_version_ = -1;  // guarded by mutex_
};

}  // namespace machi::identity
