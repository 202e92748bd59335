#include "runtime/identity/account_store.h"

#include <openssl/rand.h>

#include <chrono>

namespace machi::identity {
namespace {

using storage::Query;

std::string random_bytes(size_t n) {
  std::string bytes(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n));
  return bytes;
}

}  // namespace

AccountStore::AccountStore(storage::RuntimeDatabase& db) : db_(db), mutex_(db.mutex()) {
  std::lock_guard lock(mutex_);
  Query epochs(db_.get(), "SELECT public_id, token_epoch FROM accounts");
  while (epochs.step() == SQLITE_ROW) epochs_.emplace(epochs.text(0), static_cast<uint32_t>(epochs.integer(1)));
  Query version(db_.get(), "PRAGMA data_version");
  if (version.step() == SQLITE_ROW) data_version_ = version.integer(0);
}

std::optional<Account> AccountStore::find(const char* where, std::string_view value) {
  std::string sql = std::string("SELECT id, public_id, login, password, display_name, language, "
                                "audience, assurance, created_ms, legal_name, birthdate, address, "
                                "district, household FROM accounts WHERE ") + where;
  Query q(db_.get(), sql.c_str());
  q.bind(1, value);
  if (q.step() != SQLITE_ROW) return std::nullopt;
  Account a;
  a.id = q.integer(0);
  a.public_id = q.text(1);
  a.login = q.text(2);
  a.password_hash = q.text(3);
  a.display_name = q.text(4);
  a.language = q.text(5);
  a.audience = q.text(6);
  a.assurance = q.text(7);
  a.created_ms = q.integer(8);
  a.legal_name = q.text(9);
  a.birthdate = q.text(10);
  a.address_json = q.text(11);
  a.district = q.text(12);
  a.household_json = q.text(13);
  return a;
}

std::optional<Account> AccountStore::by_login(std::string_view login) {
  std::lock_guard lock(mutex_);
  return find("login = ?1", login);
}

std::optional<Account> AccountStore::by_public_id(std::string_view public_id) {
  std::lock_guard lock(mutex_);
  return find("public_id = ?1", public_id);
}

std::optional<Account> AccountStore::by_id(int64_t id) {
  std::lock_guard lock(mutex_);
  return find("id = ?1", std::to_string(id));
}

Result<Account> AccountStore::create(const Account& account) {
  std::lock_guard lock(mutex_);
  Account a = account;
  std::string id = random_bytes(16);
  static constexpr char kHex[] = "0123456789abcdef";
  a.public_id.clear();
  for (unsigned char c : id) {
    a.public_id.push_back(kHex[c >> 4]);
    a.public_id.push_back(kHex[c & 0xf]);
  }
  a.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
  Query q(db_.get(),
          "INSERT INTO accounts(public_id, login, password, display_name, language, audience, "
          "assurance, created_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  q.bind(1, a.public_id).bind(2, a.login).bind(3, a.password_hash).bind(4, a.display_name);
  q.bind(5, a.language).bind(6, a.audience).bind(7, a.assurance).bind(8, a.created_ms);
  int rc = q.step();
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return Status::error(StatusCode::kAlreadyExists, "the login is already registered");
  if (rc != SQLITE_DONE) return Status::error(std::string("storing the account failed: ") + sqlite3_errmsg(db_.get()));
  a.id = sqlite3_last_insert_rowid(db_.get());
  {
    std::unique_lock epochs(epochs_mutex_);
    epochs_[a.public_id] = 0;
  }
  return a;
}

std::optional<uint32_t> AccountStore::token_epoch(std::string_view public_id) {
  {
    std::shared_lock lock(epochs_mutex_);
    auto it = epochs_.find(public_id);
    if (it != epochs_.end()) return it->second;
  }
  return reload_token_epoch(public_id);
}

std::optional<uint32_t> AccountStore::reload_token_epoch(std::string_view public_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT token_epoch FROM accounts WHERE public_id = ?1");
  q.bind(1, public_id);
  std::unique_lock epochs(epochs_mutex_);
  if (q.step() != SQLITE_ROW) {
    epochs_.erase(std::string(public_id));
    return std::nullopt;
  }
  auto epoch = static_cast<uint32_t>(q.integer(0));
  epochs_[std::string(public_id)] = epoch;
  return epoch;
}

void AccountStore::refresh_token_epochs_if_changed() {
  std::lock_guard lock(mutex_);
  Query version(db_.get(), "PRAGMA data_version");
  if (version.step() != SQLITE_ROW) return;
  int64_t now = version.integer(0);
  if (now == data_version_) return;
  data_version_ = now;
  std::unordered_map<std::string, uint32_t, TransparentHash, std::equal_to<>> fresh;
  Query all(db_.get(), "SELECT public_id, token_epoch FROM accounts");
  while (all.step() == SQLITE_ROW) fresh.emplace(all.text(0), static_cast<uint32_t>(all.integer(1)));
  std::unique_lock epochs(epochs_mutex_);
  epochs_ = std::move(fresh);
}

Status AccountStore::bump_token_epoch(int64_t account_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "UPDATE accounts SET token_epoch = token_epoch + 1 WHERE id = ?1 "
                     "RETURNING public_id, token_epoch");
  q.bind(1, account_id);
  if (q.step() != SQLITE_ROW) return Status::error("no such account");
  std::unique_lock epochs(epochs_mutex_);
  epochs_[std::string(q.text(0))] = static_cast<uint32_t>(q.integer(1));
  return Status::ok();
}

Status AccountStore::set_password(int64_t account_id, std::string_view hash) {
  {
    std::lock_guard lock(mutex_);
    Query q(db_.get(), "UPDATE accounts SET password = ?1 WHERE id = ?2");
    q.bind(1, hash).bind(2, account_id);
    if (q.step() != SQLITE_DONE) return Status::error("storing the password failed");
  }
  return bump_token_epoch(account_id);  // a new password: tokens issued under the old one stop
}

Status AccountStore::update_profile(const Account& a) {
  std::lock_guard lock(mutex_);
  disclosure_generation_++;
  Query q(db_.get(), "UPDATE accounts SET display_name = ?1, language = ?2, district = ?3, "
                     "household = ?4, audience = ?5 WHERE id = ?6");
  q.bind(1, a.display_name).bind(2, a.language).bind(3, a.district).bind(4, a.household_json);
  q.bind(5, a.audience).bind(6, a.id);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the profile failed");
}

Status AccountStore::delete_account(int64_t account_id) {
  disclosure_generation_++;
  std::lock_guard lock(mutex_);
  Query(db_.get(), "DELETE FROM refresh_tokens WHERE account_id = ?1").bind(1, account_id).step();
  Query q(db_.get(), "DELETE FROM accounts WHERE id = ?1 RETURNING public_id");
  q.bind(1, account_id);
  if (q.step() != SQLITE_ROW) return Status::error("deleting the account failed");
  std::string public_id(q.text(0));
  if (q.step() != SQLITE_DONE) return Status::error("deleting the account failed");
  std::unique_lock epochs(epochs_mutex_);
  epochs_.erase(public_id);  // its access tokens stop now, not at expiry
  return Status::ok();
}

Status AccountStore::set_verified(int64_t account_id, std::string_view legal_name,
                                  std::string_view birthdate, std::string_view address_json) {
  disclosure_generation_++;
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "UPDATE accounts SET assurance = 'verified', legal_name = ?1, birthdate = ?2, "
                     "address = ?3 WHERE id = ?4");
  q.bind(1, legal_name).bind(2, birthdate).bind(3, address_json).bind(4, account_id);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the verification failed");
}

std::string AccountStore::home_order(int64_t account_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT entries FROM home_order WHERE account_id = ?1");
  q.bind(1, account_id);
  return q.step() == SQLITE_ROW ? q.text(0) : "";
}

Status AccountStore::set_home_order(int64_t account_id, std::string_view json) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO home_order(account_id, entries) VALUES(?1, ?2) "
                     "ON CONFLICT(account_id) DO UPDATE SET entries = excluded.entries");
  q.bind(1, account_id).bind(2, json);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the home order failed");
}

std::vector<std::string> AccountStore::roles(int64_t account_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT role FROM staff_roles WHERE account_id = ?1 ORDER BY role");
  q.bind(1, account_id);
  std::vector<std::string> out;
  while (q.step() == SQLITE_ROW) out.push_back(q.text(0));
  return out;
}

Status AccountStore::set_roles(int64_t account_id, const std::vector<std::string>& roles) {
  std::lock_guard lock(mutex_);
  Query(db_.get(), "DELETE FROM staff_roles WHERE account_id = ?1").bind(1, account_id).step();
  for (const auto& role : roles) {
    Query q(db_.get(), "INSERT OR IGNORE INTO staff_roles(account_id, role) VALUES(?1, ?2)");
    if (q.bind(1, account_id).bind(2, role).step() != SQLITE_DONE) return Status::error("storing roles failed");
  }
  return Status::ok();
}

}  // namespace machi::identity
