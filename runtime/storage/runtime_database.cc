#include "runtime/storage/runtime_database.h"

#include <openssl/rand.h>

#include <iterator>

namespace machi::storage {
namespace {

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

}  // namespace

Result<std::unique_ptr<RuntimeDatabase>> RuntimeDatabase::open(const std::filesystem::path& file) {
  auto db = open_database(file);
  if (!db) return db.status();
  if (Status s = migrate(db.value().get(), file, kMigrations); !s) return s;
  std::unique_ptr<RuntimeDatabase> out(new RuntimeDatabase());
  out->db_ = std::move(db).value();
  out->file_ = file;
  return out;
}

Result<std::string> RuntimeDatabase::secret(std::string_view name, size_t size) {
  std::lock_guard lock(mutex_);
  Query read(db_.get(), "SELECT value FROM secrets WHERE name = ?1");
  read.bind(1, name);
  if (read.step() == SQLITE_ROW) return std::string(read.blob(0));
  std::string value(size, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(value.data()), static_cast<int>(size));
  Query write(db_.get(), "INSERT INTO secrets(name, value) VALUES(?1, ?2)");
  write.bind(1, name).bind_blob(2, value);
  if (write.step() != SQLITE_DONE) return Status::error("database " + file_.string() + ": cannot store secret");
  return value;
}

}  // namespace machi::storage
