#include "runtime/identity/account_store.h"

#include <openssl/rand.h>

#include <chrono>
#include <iterator>

namespace machi::identity {
namespace {

using storage::Query;

// Schema steps, applied in order once each (PRAGMA user_version counts them). Append only.
constexpr const char* kMigrations[] = {R"sql(
CREATE TABLE IF NOT EXISTS accounts(
  id INTEGER PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  login TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password TEXT NOT NULL,
  display_name TEXT NOT NULL,
  language TEXT NOT NULL DEFAULT 'ja',
  audience TEXT NOT NULL DEFAULT 'resident',
  assurance TEXT NOT NULL DEFAULT 'self',
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS refresh_tokens(
  hash BLOB PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  family TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens(family);
CREATE TABLE IF NOT EXISTS sign_in_backoff(
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  blocked_until_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS secrets(name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
)sql",
R"sql(
ALTER TABLE accounts ADD COLUMN legal_name TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN birthdate TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN address TEXT NOT NULL DEFAULT '';
CREATE TABLE ekyc_nonces(
  hash TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  expires_ms INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
)sql",
R"sql(
CREATE TABLE consents(
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  mount_id TEXT NOT NULL,
  claim TEXT NOT NULL,
  granted_ms INTEGER NOT NULL,
  PRIMARY KEY(account_id, mount_id, claim)) WITHOUT ROWID;
)sql",
R"sql(
CREATE TABLE home_order(
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  entries TEXT NOT NULL);
)sql",
R"sql(
CREATE TABLE staff_roles(
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  PRIMARY KEY(account_id, role)) WITHOUT ROWID;
CREATE TABLE citizen_cards(
  jti TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  expires_ms INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE disclosures(
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  at_ms INTEGER NOT NULL,
  staff_login TEXT NOT NULL,
  purpose TEXT NOT NULL,
  claims TEXT NOT NULL);
CREATE INDEX disclosures_account ON disclosures(account_id, at_ms);
CREATE TABLE recovery_codes(
  hash TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  expires_ms INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
)sql",
R"sql(
ALTER TABLE accounts ADD COLUMN district TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN household TEXT NOT NULL DEFAULT '[]';
)sql",
R"sql(
CREATE TABLE web_sessions(
  hash TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  csrf TEXT NOT NULL,
  expires_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql",
R"sql(
CREATE TABLE pending_erasures(
  mount_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  PRIMARY KEY(mount_id, subject)) WITHOUT ROWID;
)sql",
R"sql(
CREATE TABLE subjects(
  mount_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  PRIMARY KEY(mount_id, subject)) WITHOUT ROWID;
CREATE INDEX subjects_account ON subjects(account_id);
CREATE TABLE notifications(
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  category TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  link TEXT NOT NULL,
  urgency TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER,
  read_ms INTEGER,
  broadcast_id INTEGER,
  UNIQUE(account_id, source, idem_key));
CREATE INDEX notifications_inbox ON notifications(account_id);
CREATE INDEX notifications_unread ON notifications(account_id, read_ms);
)sql",
R"sql(
CREATE TABLE push_subscriptions(
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  endpoint TEXT NOT NULL UNIQUE,
  p256dh BLOB NOT NULL,
  auth BLOB NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE INDEX push_subscriptions_account ON push_subscriptions(account_id);
CREATE TABLE push_queue(
  notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
  subscription_id INTEGER NOT NULL REFERENCES push_subscriptions(id) ON DELETE CASCADE,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_ms INTEGER NOT NULL,
  PRIMARY KEY(notification_id, subscription_id)) WITHOUT ROWID;
CREATE INDEX push_queue_due ON push_queue(next_ms);
CREATE INDEX push_queue_subscription ON push_queue(subscription_id);
)sql",
R"sql(
CREATE TABLE notification_mutes(
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  category TEXT NOT NULL,
  PRIMARY KEY(account_id, source, category)) WITHOUT ROWID;
CREATE TABLE notification_quiet(
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  start_minute INTEGER NOT NULL,
  end_minute INTEGER NOT NULL);
)sql",
R"sql(
CREATE TABLE broadcasts(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  category TEXT NOT NULL,
  urgency TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE INDEX notifications_broadcast ON notifications(broadcast_id) WHERE broadcast_id IS NOT NULL;
)sql",
R"sql(
ALTER TABLE accounts ADD COLUMN token_epoch INTEGER NOT NULL DEFAULT 0;
)sql"};

std::string random_bytes(size_t n) {
  std::string bytes(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n));
  return bytes;
}

// Sign-in back-off after `failures` consecutive failures: free for 3, then 1 s, 2 s, 4 s, …
// at most 15 minutes. Never a lockout: the right password works once the wait is over.
int64_t backoff_ms(int64_t failures) {
  if (failures <= 3) return 0;
  int64_t delay = 1000;
  for (int64_t i = 4; i < failures && delay < 900'000; ++i) delay *= 2;
  return std::min<int64_t>(delay, 900'000);
}

}  // namespace

Result<std::unique_ptr<AccountStore>> AccountStore::open(const std::filesystem::path& file) {
  auto db = storage::open_database(file);
  if (!db) return db.status();
  if (Status s = storage::migrate(db.value().get(), file, kMigrations); !s) return s;
  std::unique_ptr<AccountStore> store(new AccountStore());
  store->db_ = std::move(db).value();
  sqlite3* raw = store->db_.get();
  {
    Query epochs(raw, "SELECT public_id, token_epoch FROM accounts");
    while (epochs.step() == SQLITE_ROW) {
      store->epochs_.emplace(epochs.text(0), static_cast<uint32_t>(epochs.integer(1)));
    }
    Query version(raw, "PRAGMA data_version");
    if (version.step() == SQLITE_ROW) store->data_version_ = version.integer(0);
  }
  store->notifications_ = std::make_unique<notify::NotificationStore>(raw, store->mutex_);
  store->broadcasts_ = std::make_unique<notify::BroadcastStore>(raw, store->mutex_);
  Query read(raw, "SELECT value FROM secrets WHERE name = 'pairwise'");
  if (read.step() == SQLITE_ROW) {
    store->pairwise_secret_ = read.blob(0);
  } else {
    store->pairwise_secret_ = random_bytes(32);
    Query write(raw, "INSERT INTO secrets(name, value) VALUES('pairwise', ?1)");
    write.bind_blob(1, store->pairwise_secret_);
    if (write.step() != SQLITE_DONE) return Status::error("database " + file.string() + ": cannot store secret");
  }
  return store;
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
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return Status::error("login_taken");
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

Status AccountStore::add_refresh(std::string_view token_hash, int64_t account_id,
                                 std::string_view family, int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO refresh_tokens(hash, account_id, family, expires_ms) "
                     "VALUES(?1, ?2, ?3, ?4)");
  q.bind(1, token_hash).bind(2, account_id).bind(3, family).bind(4, expires_ms);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the refresh token failed");
}

AccountStore::RefreshUse AccountStore::use_refresh(std::string_view token_hash, int64_t now_ms,
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

void AccountStore::revoke_family(std::string_view family) {
  std::lock_guard lock(mutex_);
  Query(db_.get(), "DELETE FROM refresh_tokens WHERE family = ?1").bind(1, family).step();
}

void AccountStore::revoke_account(int64_t account_id) {
  {
    std::lock_guard lock(mutex_);
    Query(db_.get(), "DELETE FROM refresh_tokens WHERE account_id = ?1").bind(1, account_id).step();
    Query(db_.get(), "DELETE FROM web_sessions WHERE account_id = ?1").bind(1, account_id).step();
  }
  (void)bump_token_epoch(account_id);
}

Status AccountStore::add_nonce(std::string_view nonce_hash, int64_t account_id, int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO ekyc_nonces(hash, account_id, expires_ms) VALUES(?1, ?2, ?3)");
  q.bind(1, nonce_hash).bind(2, account_id).bind(3, expires_ms);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the nonce failed");
}

AccountStore::NonceUse AccountStore::use_nonce(std::string_view nonce_hash, int64_t account_id,
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

Status AccountStore::set_verified(int64_t account_id, std::string_view legal_name,
                                  std::string_view birthdate, std::string_view address_json) {
  disclosure_generation_++;
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "UPDATE accounts SET assurance = 'verified', legal_name = ?1, birthdate = ?2, "
                     "address = ?3 WHERE id = ?4");
  q.bind(1, legal_name).bind(2, birthdate).bind(3, address_json).bind(4, account_id);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the verification failed");
}

std::vector<std::string> AccountStore::consented(int64_t account_id, std::string_view mount_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT claim FROM consents WHERE account_id = ?1 AND mount_id = ?2 ORDER BY claim");
  q.bind(1, account_id).bind(2, mount_id);
  std::vector<std::string> claims;
  while (q.step() == SQLITE_ROW) claims.push_back(q.text(0));
  return claims;
}

std::vector<std::pair<std::string, std::vector<std::string>>> AccountStore::consents(int64_t account_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT mount_id, claim FROM consents WHERE account_id = ?1 ORDER BY mount_id, claim");
  q.bind(1, account_id);
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  while (q.step() == SQLITE_ROW) {
    std::string mount = q.text(0);
    if (out.empty() || out.back().first != mount) out.emplace_back(mount, std::vector<std::string>{});
    out.back().second.push_back(q.text(1));
  }
  return out;
}

Status AccountStore::set_consent(int64_t account_id, std::string_view mount_id,
                                 const std::vector<std::string>& claims) {
  disclosure_generation_++;
  std::lock_guard lock(mutex_);
  sqlite3* db = db_.get();
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Status::error("storing the consent failed");
  }
  Query clear(db, "DELETE FROM consents WHERE account_id = ?1 AND mount_id = ?2");
  bool ok = clear.bind(1, account_id).bind(2, mount_id).step() == SQLITE_DONE;
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  for (const std::string& claim : claims) {
    Query add(db, "INSERT OR IGNORE INTO consents(account_id, mount_id, claim, granted_ms) "
                  "VALUES(?1, ?2, ?3, ?4)");
    ok = ok && add.bind(1, account_id).bind(2, mount_id).bind(3, claim).bind(4, now).step() == SQLITE_DONE;
  }
  sqlite3_exec(db, ok ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
  return ok ? Status::ok() : Status::error("storing the consent failed");
}

Status AccountStore::revoke_consent(int64_t account_id, std::string_view mount_id) {
  disclosure_generation_++;
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "DELETE FROM consents WHERE account_id = ?1 AND mount_id = ?2");
  q.bind(1, account_id).bind(2, mount_id);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("revoking the consent failed");
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

Status AccountStore::add_card(std::string_view jti, int64_t account_id, int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO citizen_cards(jti, account_id, expires_ms) VALUES(?1, ?2, ?3)");
  q.bind(1, jti).bind(2, account_id).bind(3, expires_ms);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the card failed");
}

AccountStore::CardUse AccountStore::use_card(std::string_view jti, int64_t now_ms, int64_t& account_id) {
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

Status AccountStore::add_disclosure(int64_t account_id, const Disclosure& d) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO disclosures(account_id, at_ms, staff_login, purpose, claims) "
                     "VALUES(?1, ?2, ?3, ?4, ?5)");
  q.bind(1, account_id).bind(2, d.at_ms).bind(3, d.staff_login).bind(4, d.purpose).bind(5, d.claims);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("writing the disclosure log failed");
}

std::vector<AccountStore::Disclosure> AccountStore::disclosures(int64_t account_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT at_ms, staff_login, purpose, claims FROM disclosures "
                     "WHERE account_id = ?1 ORDER BY at_ms DESC, id DESC LIMIT 1000");
  q.bind(1, account_id);
  std::vector<Disclosure> out;
  while (q.step() == SQLITE_ROW) out.push_back({q.integer(0), q.text(1), q.text(2), q.text(3)});
  return out;
}

Status AccountStore::add_recovery_code(std::string_view code_hash, int64_t account_id, int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO recovery_codes(hash, account_id, expires_ms) VALUES(?1, ?2, ?3)");
  q.bind(1, code_hash).bind(2, account_id).bind(3, expires_ms);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the recovery code failed");
}

bool AccountStore::use_recovery_code(std::string_view code_hash, int64_t account_id, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "UPDATE recovery_codes SET used = 1 WHERE hash = ?1 AND account_id = ?2 "
                     "AND used = 0 AND expires_ms > ?3");
  q.bind(1, code_hash).bind(2, account_id).bind(3, now_ms);
  return q.step() == SQLITE_DONE && sqlite3_changes(db_.get()) == 1;
}

Status AccountStore::add_session(std::string_view id_hash, int64_t account_id, std::string_view csrf,
                                 int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO web_sessions(hash, account_id, csrf, expires_ms) VALUES(?1, ?2, ?3, ?4)");
  q.bind(1, id_hash).bind(2, account_id).bind(3, csrf).bind(4, expires_ms);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("storing the session failed");
}

std::optional<std::pair<int64_t, std::string>> AccountStore::session(std::string_view id_hash, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT account_id, csrf FROM web_sessions WHERE hash = ?1 AND expires_ms > ?2");
  q.bind(1, id_hash).bind(2, now_ms);
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return std::make_pair(q.integer(0), q.text(1));
}

void AccountStore::delete_session(std::string_view id_hash) {
  std::lock_guard lock(mutex_);
  Query(db_.get(), "DELETE FROM web_sessions WHERE hash = ?1").bind(1, id_hash).step();
}

Status AccountStore::add_pending_erasure(std::string_view mount_id, std::string_view subject) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT OR IGNORE INTO pending_erasures(mount_id, subject) VALUES(?1, ?2)");
  q.bind(1, mount_id).bind(2, subject);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("recording the erasure failed");
}

std::vector<std::string> AccountStore::pending_erasures(std::string_view mount_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT subject FROM pending_erasures WHERE mount_id = ?1");
  q.bind(1, mount_id);
  std::vector<std::string> out;
  while (q.step() == SQLITE_ROW) out.push_back(q.text(0));
  return out;
}

void AccountStore::remove_pending_erasure(std::string_view mount_id, std::string_view subject) {
  std::lock_guard lock(mutex_);
  Query(db_.get(), "DELETE FROM pending_erasures WHERE mount_id = ?1 AND subject = ?2")
      .bind(1, mount_id).bind(2, subject).step();
}

int64_t AccountStore::blocked_until_ms(std::string_view key) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT blocked_until_ms FROM sign_in_backoff WHERE key = ?1");
  q.bind(1, key);
  return q.step() == SQLITE_ROW ? q.integer(0) : 0;
}

int64_t AccountStore::record_failure(std::string_view key, int64_t now_ms) {
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

void AccountStore::clear_failures(std::string_view key) {
  std::lock_guard lock(mutex_);
  Query(db_.get(), "DELETE FROM sign_in_backoff WHERE key = ?1").bind(1, key).step();
}

Status AccountStore::remember_subject(std::string_view mount_id, std::string_view subject,
                                      int64_t account_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT OR IGNORE INTO subjects(mount_id, subject, account_id) VALUES(?1, ?2, ?3)");
  q.bind(1, mount_id).bind(2, subject).bind(3, account_id);
  if (q.step() != SQLITE_DONE) return Status::error(std::string("remembering a subject: ") + sqlite3_errmsg(db_.get()));
  return Status::ok();
}

std::optional<int64_t> AccountStore::account_for_subject(std::string_view mount_id,
                                                         std::string_view subject) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT account_id FROM subjects WHERE mount_id = ?1 AND subject = ?2");
  q.bind(1, mount_id).bind(2, subject);
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return q.integer(0);
}

}  // namespace machi::identity
