// SignInStore: a municipality's sign-in state in its runtime database: refresh tokens (only
// their SHA-256 is stored; families for reuse detection), web sessions, eKYC nonces, recovery
// codes, citizen cards issued, and the sign-in back-off counters.
// Thread-safety: every method is thread-safe (the database's connection behind its mutex).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/identity/account_store.h"
#include "runtime/status.h"
#include "runtime/storage/runtime_database.h"

namespace machi::identity {

class SignInStore {
 public:
  // `accounts`: whose token epochs revoke_account moves on.
  SignInStore(storage::RuntimeDatabase& db, AccountStore& accounts)
      : db_(db), mutex_(db.mutex()), accounts_(accounts) {}

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

  // Citizen cards issued (by jti): each verifies once.
  Status add_card(std::string_view jti, int64_t account_id, int64_t expires_ms);
  enum class CardUse { kOk, kUnknown, kUsed, kExpired };
  CardUse use_card(std::string_view jti, int64_t now_ms, int64_t& account_id);

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

  // Back-off: the time until which `key` may not try again, and failure bookkeeping.
  int64_t blocked_until_ms(std::string_view key);
  int64_t record_failure(std::string_view key, int64_t now_ms);  // returns blocked-until
  void clear_failures(std::string_view key);

 private:
  storage::RuntimeDatabase& db_;
  std::mutex& mutex_;  // db_.mutex()
  AccountStore& accounts_;
};

}  // namespace machi::identity
