#include "runtime/identity/sign_in_store.h"

#include <algorithm>

namespace machi::identity {
namespace {

using storage::Query;

// Sign-in back-off after `failures` consecutive failures: free for 3, then 1 s, 2 s, 4 s, …
// at most 15 minutes. Never a lockout: the right password works once the wait is over.
int64_t backoff_ms(int64_t failures) {
  if (failures <= 3) return 0;
  int64_t delay = 1000;
  for (int64_t i = 4; i < failures && delay < 900'000; ++i) delay *= 2;
  return std::min<int64_t>(delay, 900'000);
}

}  // namespace

Status SignInStore::add_refresh(std::string_view token_hash, int64_t account_id,
                                 std::string_view family, int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO refresh_tokens(hash, account_id, family, expires_ms) "
                     "VALUES(?1, ?2, ?3, ?4)");
  q.bind(1, token_hash).bind(2, account_id).bind(3, family).bind(4, expires_ms);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the refresh token failed");
}

SignInStore::RefreshUse SignInStore::use_refresh(std::string_view token_hash, int64_t now_ms,
                                                   int64_t& account_id, std::string& family) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT account_id, family, expires_ms, used FROM refresh_tokens WHERE hash = ?1");
  q.bind(1, token_hash);
  if (q.step() != SQLITE_ROW) return RefreshUse::kUnknown;
  account_id = q.integer(0);
  family = q.text(1);
  if (q.integer(3) != 0) {
    // A used token came back: it was stolen or replayed. Revoke every token of the sign-in.
    Query revoke(db_.get(), "DELETE FROM refresh_tokens WHERE family = ?1");
    revoke.bind(1, family).step();
    return RefreshUse::kReused;
  }
  if (q.integer(2) <= now_ms) return RefreshUse::kExpired;
  Query mark(db_.get(), "UPDATE refresh_tokens SET used = 1 WHERE hash = ?1");
  mark.bind(1, token_hash).step();
  return RefreshUse::kOk;
}

void SignInStore::revoke_family(std::string_view family) {
  std::lock_guard lock(mutex_);
  Query(db_.get(), "DELETE FROM refresh_tokens WHERE family = ?1").bind(1, family).step();
}

void SignInStore::revoke_account(int64_t account_id) {
  {
    std::lock_guard lock(mutex_);
    Query(db_.get(), "DELETE FROM refresh_tokens WHERE account_id = ?1").bind(1, account_id).step();
    Query(db_.get(), "DELETE FROM web_sessions WHERE account_id = ?1").bind(1, account_id).step();
  }
  (void)accounts_.bump_token_epoch(account_id);
}

Status SignInStore::add_nonce(std::string_view nonce_hash, int64_t account_id, int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO ekyc_nonces(hash, account_id, expires_ms) VALUES(?1, ?2, ?3)");
  q.bind(1, nonce_hash).bind(2, account_id).bind(3, expires_ms);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the nonce failed");
}

SignInStore::NonceUse SignInStore::use_nonce(std::string_view nonce_hash, int64_t account_id,
                                               int64_t now_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT account_id, expires_ms, used FROM ekyc_nonces WHERE hash = ?1");
  q.bind(1, nonce_hash);
  if (q.step() != SQLITE_ROW) return NonceUse::kUnknown;
  if (q.integer(2) != 0) return NonceUse::kUsed;
  if (q.integer(0) != account_id) return NonceUse::kOtherAccount;
  if (q.integer(1) <= now_ms) return NonceUse::kExpired;
  Query mark(db_.get(), "UPDATE ekyc_nonces SET used = 1 WHERE hash = ?1 AND used = 0");
  mark.bind(1, nonce_hash);
  if (mark.step() != SQLITE_DONE || sqlite3_changes(db_.get()) != 1) return NonceUse::kUsed;
  return NonceUse::kOk;
}

Status SignInStore::add_card(std::string_view jti, int64_t account_id, int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO citizen_cards(jti, account_id, expires_ms) VALUES(?1, ?2, ?3)");
  q.bind(1, jti).bind(2, account_id).bind(3, expires_ms);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the card failed");
}

SignInStore::CardUse SignInStore::use_card(std::string_view jti, int64_t now_ms, int64_t& account_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT account_id, expires_ms, used FROM citizen_cards WHERE jti = ?1");
  q.bind(1, jti);
  if (q.step() != SQLITE_ROW) return CardUse::kUnknown;
  account_id = q.integer(0);
  if (q.integer(2) != 0) return CardUse::kUsed;
  if (q.integer(1) <= now_ms) return CardUse::kExpired;
  Query mark(db_.get(), "UPDATE citizen_cards SET used = 1 WHERE jti = ?1 AND used = 0");
  mark.bind(1, jti).step();
  return sqlite3_changes(db_.get()) == 1 ? CardUse::kOk : CardUse::kUsed;
}

Status SignInStore::add_recovery_code(std::string_view code_hash, int64_t account_id, int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO recovery_codes(hash, account_id, expires_ms) VALUES(?1, ?2, ?3)");
  q.bind(1, code_hash).bind(2, account_id).bind(3, expires_ms);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the recovery code failed");
}

bool SignInStore::use_recovery_code(std::string_view code_hash, int64_t account_id, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "UPDATE recovery_codes SET used = 1 WHERE hash = ?1 AND account_id = ?2 "
                     "AND used = 0 AND expires_ms > ?3");
  q.bind(1, code_hash).bind(2, account_id).bind(3, now_ms);
  return q.step() == SQLITE_DONE && sqlite3_changes(db_.get()) == 1;
}

Status SignInStore::add_session(std::string_view id_hash, int64_t account_id, std::string_view csrf,
                                 int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO web_sessions(hash, account_id, csrf, expires_ms) VALUES(?1, ?2, ?3, ?4)");
  q.bind(1, id_hash).bind(2, account_id).bind(3, csrf).bind(4, expires_ms);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the session failed");
}

std::optional<std::pair<int64_t, std::string>> SignInStore::session(std::string_view id_hash, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT account_id, csrf FROM web_sessions WHERE hash = ?1 AND expires_ms > ?2");
  q.bind(1, id_hash).bind(2, now_ms);
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return std::make_pair(q.integer(0), q.text(1));
}

void SignInStore::delete_session(std::string_view id_hash) {
  std::lock_guard lock(mutex_);
  Query(db_.get(), "DELETE FROM web_sessions WHERE hash = ?1").bind(1, id_hash).step();
}

int64_t SignInStore::blocked_until_ms(std::string_view key) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT blocked_until_ms FROM sign_in_backoff WHERE key = ?1");
  q.bind(1, key);
  return q.step() == SQLITE_ROW ? q.integer(0) : 0;
}

int64_t SignInStore::record_failure(std::string_view key, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  Query read(db_.get(), "SELECT failures FROM sign_in_backoff WHERE key = ?1");
  read.bind(1, key);
  int64_t failures = (read.step() == SQLITE_ROW ? read.integer(0) : 0) + 1;
  int64_t until = now_ms + backoff_ms(failures);
  Query write(db_.get(), "INSERT INTO sign_in_backoff(key, failures, blocked_until_ms) "
                         "VALUES(?1, ?2, ?3) ON CONFLICT(key) DO UPDATE SET "
                         "failures = excluded.failures, blocked_until_ms = excluded.blocked_until_ms");
  write.bind(1, key).bind(2, failures).bind(3, until).step();
  return until;
}

void SignInStore::clear_failures(std::string_view key) {
  std::lock_guard lock(mutex_);
  Query(db_.get(), "DELETE FROM sign_in_backoff WHERE key = ?1").bind(1, key).step();
}

}  // namespace machi::identity
