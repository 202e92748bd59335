#include "runtime/storage/plugin_store.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "runtime/storage/plugin_statement.h"

namespace machi::storage {
namespace {

using storage::Query;

constexpr const char* kReservedPrefix = "_machi_";

bool is_reserved_name(const char* name) {
  if (!name) return false;
  for (size_t i = 0; kReservedPrefix[i]; ++i) {
    if (std::tolower(static_cast<unsigned char>(name[i])) != kReservedPrefix[i]) return false;
  }
  return true;
}

// PRAGMAs a plugin may run: read-only introspection, plus the two it may set.
bool pragma_allowed(const char* name, const char* value) {
  static constexpr std::array kSettable = {"user_version", "foreign_keys"};
  static constexpr std::array kReadOnly = {
      "table_info",  "table_xinfo",     "table_list",     "index_list",   "index_info",
      "index_xinfo", "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
      "user_version", "foreign_keys",   "page_count",     "freelist_count", "data_version"};
  auto named = [&](const char* candidate) { return sqlite3_stricmp(candidate, name) == 0; };
  if (std::any_of(kSettable.begin(), kSettable.end(), named)) return true;
  // Read-only pragmas that take a table/index argument arrive with it as `value`.
  return std::any_of(kReadOnly.begin(), kReadOnly.end(), named) &&
         (value == nullptr || sqlite3_stricmp(name, "foreign_keys") != 0);
}

// Why `action` is refused, or nullptr when it is allowed.
const char* refusal(int action, const char* a, const char* b) {
  switch (action) {
    case SQLITE_ATTACH:  // also VACUUM and VACUUM INTO, which attach internally
      return "ATTACH and VACUUM are not available to plugins";
    case SQLITE_DETACH:
      return "DETACH is not available to plugins";
    case SQLITE_PRAGMA:
      return pragma_allowed(a, b) ? nullptr
                                  : "this PRAGMA is not available to plugins (allowed: "
                                    "user_version, foreign_keys and read-only introspection)";
    case SQLITE_FUNCTION:
      return (b && sqlite3_stricmp(b, "load_extension") == 0)
                 ? "load_extension is not available to plugins"
                 : nullptr;
    default:
      return (is_reserved_name(a) || is_reserved_name(b))
                 ? "tables named _machi_* belong to the runtime"
                 : nullptr;
  }
}

int authorize(void* user, int action, const char* a, const char* b, const char*, const char*) {
  auto* connection = static_cast<StoreConnection*>(user);
  if (connection->host_mode) return SQLITE_OK;
  const char* why = refusal(action, a, b);
  if (!why) return SQLITE_OK;
  connection->denied = why;
  return SQLITE_DENY;
}

// A failed statement's status and message; an authorizer refusal becomes MACHI_ERR_DENIED
// whatever code SQLite chose to report it with.
machi_status sql_failure(StoreConnection& c, int rc, std::string& error) {
  if (!c.denied.empty()) {
    error = "refused by the storage policy: " + c.denied;
    c.denied.clear();
    return MACHI_ERR_DENIED;
  }
  error = sqlite3_errmsg(c.db.get());
  return status_from_sqlite(rc);
}

constexpr const char* kJobsSchema =
    "CREATE TABLE IF NOT EXISTS _machi_jobs ("
    " key TEXT PRIMARY KEY,"
    " due_ms INTEGER NOT NULL,"
    " payload BLOB NOT NULL,"
    " attempt INTEGER NOT NULL DEFAULT 0,"
    " generation INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS _machi_jobs_due ON _machi_jobs(due_ms);"
    "CREATE TABLE IF NOT EXISTS _machi_outbox ("
    " seq INTEGER PRIMARY KEY,"
    " subject TEXT NOT NULL,"
    " notification TEXT NOT NULL);";

// Added after the first release of _machi_jobs: a job's own expiry (NULL: never).
bool has_expiry_column(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('_machi_jobs') WHERE name = 'expires_ms'",
                     -1, &stmt, nullptr);
  bool found = sqlite3_step(stmt) == SQLITE_ROW;
  sqlite3_finalize(stmt);
  return found;
}

// Host SQL on a connection: lifts the authorizer for the runtime's own tables.
class HostMode {
 public:
  explicit HostMode(StoreConnection& c) : c_(c), was_(c.host_mode) { c_.host_mode = true; }
  ~HostMode() { c_.host_mode = was_; }  // nests: an inner host call leaves the outer one on

 private:
  StoreConnection& c_;
  bool was_;
};

machi_status sql_too_long(std::string& error) {
  error = "SQL text longer than " + std::to_string(PluginStore::kMaxSqlBytes) + " bytes";
  return MACHI_ERR_TOO_LARGE;
}

}  // namespace

machi_status status_from_sqlite(int rc) {
  switch (rc & 0xff) {
    case SQLITE_OK: return MACHI_OK;
    case SQLITE_CONSTRAINT: return MACHI_ERR_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return MACHI_ERR_BUSY;
    case SQLITE_AUTH: return MACHI_ERR_DENIED;
    case SQLITE_TOOBIG: return MACHI_ERR_TOO_LARGE;
    case SQLITE_RANGE: return MACHI_ERR_INVALID_ARGUMENT;
    case SQLITE_MISUSE: return MACHI_ERR_INVALID_STATE;
    default: return MACHI_ERR_STORAGE;
  }
}

Result<std::unique_ptr<PluginStore>> PluginStore::open(const std::filesystem::path& file) {
  std::unique_ptr<PluginStore> store(new PluginStore(file));
  std::string error;
  Result<StoreConnection*> c = store->connection(error);
  if (!c) return c.status();
  if (store->run_host_sql(*c.value(), kJobsSchema, error) != MACHI_OK) {
    return Status::error("database " + file.string() + ": cannot create _machi_jobs: " + error);
  }
  if (!has_expiry_column(c.value()->db.get()) &&
      store->run_host_sql(*c.value(), "ALTER TABLE _machi_jobs ADD COLUMN expires_ms INTEGER",
                          error) != MACHI_OK) {
    return Status::error("database " + file.string() + ": cannot add _machi_jobs.expires_ms: " + error);
  }
  if (Status s = store->count_jobs(); !s) return s;
  return store;
}

PluginStore::~PluginStore() {
  for (auto& [thread, connection] : connections_) finalize_all(*connection);
}

Result<StoreConnection*> PluginStore::connection(std::string& error_out) {
  std::lock_guard lock(mutex_);
  auto& slot = connections_[std::this_thread::get_id()];
  if (slot) return slot.get();
  Result<SqliteHandle> db = open_database(file_);
  if (!db) {
    connections_.erase(std::this_thread::get_id());
    error_out = db.error();
    return db.status();
  }
  auto connection = std::make_unique<StoreConnection>();
  connection->db = std::move(db).value();
  sqlite3* raw = connection->db.get();
  sqlite3_limit(raw, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_limit(raw, SQLITE_LIMIT_LENGTH, kMaxValueBytes);
  sqlite3_limit(raw, SQLITE_LIMIT_SQL_LENGTH, kMaxSqlBytes);
  sqlite3_set_authorizer(raw, authorize, connection.get());
  slot = std::move(connection);
  return slot.get();
}

machi_status PluginStore::run_host_sql(StoreConnection& c, const char* sql, std::string& error) {
  HostMode host(c);
  char* message = nullptr;
  int rc = sqlite3_exec(c.db.get(), sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) error = message ? message : sqlite3_errmsg(c.db.get());
  sqlite3_free(message);
  return status_from_sqlite(rc);
}

machi_status PluginStore::exec(std::string_view sql, std::string& error) {
  Result<StoreConnection*> c = connection(error);
  if (!c) return MACHI_ERR_STORAGE;
  if (sql.size() > static_cast<size_t>(kMaxSqlBytes)) return sql_too_long(error);
  StoreConnection& conn = *c.value();
  sqlite3* db = conn.db.get();
  conn.denied.clear();
  // Statements are prepared one by one from a NUL-terminated copy (the view is not).
  std::string text(sql);
  const char* tail = text.c_str();
  while (*tail) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, tail, -1, &stmt, &tail);
    if (rc != SQLITE_OK) return sql_failure(conn, rc, error);
    if (!stmt) continue;  // whitespace or comment
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    machi_status status = rc == SQLITE_DONE ? MACHI_OK : sql_failure(conn, rc, error);
    sqlite3_finalize(stmt);
    if (status != MACHI_OK) return status;
  }
  return MACHI_OK;
}

machi_status PluginStore::prepare(std::string_view sql, machi_stmt** out, std::string& error) {
  if (!out) {
    error = "out_stmt is NULL";
    return MACHI_ERR_INVALID_ARGUMENT;
  }
  *out = nullptr;
  Result<StoreConnection*> c = connection(error);
  if (!c) return MACHI_ERR_STORAGE;
  if (sql.size() > static_cast<size_t>(kMaxSqlBytes)) return sql_too_long(error);
  StoreConnection& conn = *c.value();
  conn.denied.clear();
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(conn.db.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) return sql_failure(conn, rc, error);
  if (!stmt) {
    error = "no SQL statement in the text";
    return MACHI_ERR_INVALID_ARGUMENT;
  }
  *out = register_statement(*c.value(), stmt);
  return MACHI_OK;
}

machi_status PluginStore::changes(int64_t* out_rows, std::string& error) {
  Result<StoreConnection*> c = connection(error);
  if (!c) return MACHI_ERR_STORAGE;
  *out_rows = sqlite3_changes64(c.value()->db.get());
  return MACHI_OK;
}

machi_status PluginStore::last_insert_rowid(int64_t* out_rowid, std::string& error) {
  Result<StoreConnection*> c = connection(error);
  if (!c) return MACHI_ERR_STORAGE;
  *out_rowid = sqlite3_last_insert_rowid(c.value()->db.get());
  return MACHI_OK;
}

// BEGIN/COMMIT/ROLLBACK on this thread's connection; `needs_open` says whether a transaction
// must already be open for `sql` to make sense.
machi_status PluginStore::transaction_control(const char* sql, bool needs_open,
                                              std::string& error) {
  Result<StoreConnection*> c = connection(error);
  if (!c) return MACHI_ERR_STORAGE;
  bool open = !sqlite3_get_autocommit(c.value()->db.get());
  if (open != needs_open) {
    error = std::string(sql) + (open ? ": a transaction is already open on this thread"
                                     : ": no transaction is open on this thread");
    return MACHI_ERR_INVALID_STATE;
  }
  return run_host_sql(*c.value(), sql, error);
}

machi_status PluginStore::begin(std::string& error) {
  return transaction_control("BEGIN IMMEDIATE", false, error);
}
machi_status PluginStore::commit(std::string& error) {
  return transaction_control("COMMIT", true, error);
}
machi_status PluginStore::rollback(std::string& error) {
  return transaction_control("ROLLBACK", true, error);
}

machi_status PluginStore::schedule(std::string_view key, int64_t due_ms, int64_t expires_ms,
                                   std::string_view payload, int64_t quota, std::string& error) {
  if (key.empty() || key.size() > kMaxJobKey) {
    error = "job key must be 1–" + std::to_string(kMaxJobKey) + " bytes";
    return key.empty() ? MACHI_ERR_INVALID_ARGUMENT : MACHI_ERR_TOO_LARGE;
  }
  if (payload.size() > kMaxJobPayload) {
    error = "job payload over " + std::to_string(kMaxJobPayload) + " bytes";
    return MACHI_ERR_TOO_LARGE;
  }
  if (expires_ms != 0 && expires_ms <= due_ms) {
    error = "a job's expiry must come after its due time";
    return MACHI_ERR_INVALID_ARGUMENT;
  }
  Result<StoreConnection*> c = connection(error);
  if (!c) return MACHI_ERR_STORAGE;
  HostMode host(*c.value());
  sqlite3* db = c.value()->db.get();
  Query existing(db, "SELECT 1 FROM _machi_jobs WHERE key = ?1");
  existing.bind(1, key);
  bool replacing = existing.step() == SQLITE_ROW;
  if (!replacing && job_count_.load() >= quota) {
    if (Status s = count_jobs(); !s) {
      error = s.message();
      return MACHI_ERR_STORAGE;
    }
    if (job_count_.load() >= quota) {
      error = "job quota reached: this mini-app may keep at most " + std::to_string(quota) +
              " scheduled jobs";
      return MACHI_ERR_TOO_LARGE;
    }
  }
  Query insert(db,
               "INSERT INTO _machi_jobs(key, due_ms, payload, expires_ms) VALUES(?1, ?2, ?3, ?4) "
               "ON CONFLICT(key) DO UPDATE SET due_ms = excluded.due_ms, "
               "payload = excluded.payload, expires_ms = excluded.expires_ms, attempt = 0, "
               "generation = generation + 1");
  insert.bind(1, key).bind(2, due_ms).bind_blob(3, payload);
  if (expires_ms != 0) insert.bind(4, expires_ms); else insert.bind_null(4);
  int rc = insert.step();
  if (rc != SQLITE_DONE) {
    error = sqlite3_errmsg(db);
    return status_from_sqlite(rc);
  }
  if (!replacing) ++job_count_;
  return MACHI_OK;
}

Status PluginStore::count_jobs() {
  std::string error;
  Result<StoreConnection*> c = connection(error);
  if (!c) return c.status();
  HostMode host(*c.value());
  Query q(c.value()->db.get(), "SELECT count(*) FROM _machi_jobs");
  if (q.step() != SQLITE_ROW) {
    return Status::error(file_.string() + ": counting jobs: " + sqlite3_errmsg(c.value()->db.get()));
  }
  job_count_ = q.integer(0);
  return Status::ok();
}

machi_status PluginStore::cancel(std::string_view key, std::string& error) {
  Result<StoreConnection*> c = connection(error);
  if (!c) return MACHI_ERR_STORAGE;
  HostMode host(*c.value());
  sqlite3* db = c.value()->db.get();
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "DELETE FROM _machi_jobs WHERE key = ?1", -1, &stmt, nullptr);
  sqlite3_bind_text64(stmt, 1, key.data(), key.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) error = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return status_from_sqlite(rc);
  if (sqlite3_changes(db) == 0) {
    error = "no scheduled job with key '" + std::string(key) + "'";
    return MACHI_ERR_NOT_FOUND;
  }
  --job_count_;
  return MACHI_OK;
}

Result<std::vector<ScheduledJob>> PluginStore::due_jobs(int64_t now_ms, size_t limit) {
  std::string error;
  Result<StoreConnection*> c = connection(error);
  if (!c) return c.status();
  HostMode host(*c.value());
  sqlite3* db = c.value()->db.get();
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT key, due_ms, payload, attempt, generation, coalesce(expires_ms, 0) FROM _machi_jobs "
                     "WHERE due_ms <= ?1 "
                     "ORDER BY due_ms, key LIMIT ?2",
                     -1, &stmt, nullptr);
  sqlite3_bind_int64(stmt, 1, now_ms);
  sqlite3_bind_int64(stmt, 2, static_cast<int64_t>(limit));
  std::vector<ScheduledJob> jobs;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    ScheduledJob job;
    job.key = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    job.due_ms = sqlite3_column_int64(stmt, 1);
    const char* payload = static_cast<const char*>(sqlite3_column_blob(stmt, 2));
    job.payload.assign(payload ? payload : "", sqlite3_column_bytes(stmt, 2));
    job.attempt = static_cast<uint32_t>(sqlite3_column_int64(stmt, 3));
    job.generation = sqlite3_column_int64(stmt, 4);
    job.expires_ms = sqlite3_column_int64(stmt, 5);
    jobs.push_back(std::move(job));
  }
  if (rc != SQLITE_DONE) error = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return Status::error(file_.string() + ": reading due jobs: " + error);
  return jobs;
}

Status PluginStore::finish_job(const ScheduledJob& job, bool delivered, int64_t retry_at_ms) {
  std::string error;
  Result<StoreConnection*> c = connection(error);
  if (!c) return c.status();
  HostMode host(*c.value());
  sqlite3* db = c.value()->db.get();
  // Matching the generation leaves a job alone that the plugin rescheduled meanwhile.
  const char* sql = delivered
      ? "DELETE FROM _machi_jobs WHERE key = ?1 AND generation = ?2"
      : "UPDATE _machi_jobs SET due_ms = ?3, attempt = attempt + 1 "
        "WHERE key = ?1 AND generation = ?2";
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  sqlite3_bind_text64(stmt, 1, job.key.data(), job.key.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  sqlite3_bind_int64(stmt, 2, job.generation);
  if (!delivered) sqlite3_bind_int64(stmt, 3, retry_at_ms);
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) error = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return Status::error(file_.string() + ": finishing job: " + error);
  if (delivered && sqlite3_changes(db) == 1) --job_count_;
  return Status::ok();
}

machi_status PluginStore::enqueue_notification(std::string_view subject, std::string_view json,
                                               std::string& error) {
  Result<StoreConnection*> c = connection(error);
  if (!c) return MACHI_ERR_STORAGE;
  HostMode host(*c.value());
  sqlite3* db = c.value()->db.get();
  Query insert(db, "INSERT INTO _machi_outbox(subject, notification) VALUES(?1, ?2)");
  insert.bind(1, subject).bind(2, json);
  int rc = insert.step();
  if (rc != SQLITE_DONE) {
    error = sqlite3_errmsg(db);
    return status_from_sqlite(rc);
  }
  return MACHI_OK;
}

Result<std::vector<OutboxItem>> PluginStore::outbox(size_t limit) {
  std::string error;
  Result<StoreConnection*> c = connection(error);
  if (!c) return c.status();
  HostMode host(*c.value());
  Query q(c.value()->db.get(), "SELECT seq, subject, notification FROM _machi_outbox ORDER BY seq LIMIT ?1");
  q.bind(1, static_cast<int64_t>(limit));
  std::vector<OutboxItem> items;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) items.push_back({q.integer(0), q.text(1), q.text(2)});
  if (rc != SQLITE_DONE) {
    return Status::error(file_.string() + ": reading the outbox: " + sqlite3_errmsg(c.value()->db.get()));
  }
  return items;
}

Status PluginStore::remove_outbox_through(int64_t seq) {
  std::string error;
  Result<StoreConnection*> c = connection(error);
  if (!c) return c.status();
  HostMode host(*c.value());
  Query q(c.value()->db.get(), "DELETE FROM _machi_outbox WHERE seq <= ?1");
  q.bind(1, seq);
  if (q.step() != SQLITE_DONE) {
    return Status::error(file_.string() + ": clearing the outbox: " + sqlite3_errmsg(c.value()->db.get()));
  }
  return Status::ok();
}


}  // namespace machi::storage
