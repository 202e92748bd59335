#include "runtime/storage/plugin_statement.h"

#include <mutex>
#include <unordered_map>

#include "runtime/storage/plugin_store.h"

namespace machi::storage {
namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::unordered_map<const machi_stmt*, std::thread::id>& registry() {
  static auto* live = new std::unordered_map<const machi_stmt*, std::thread::id>();
  return *live;
}

machi_status sqlite_failure(machi_stmt* s, int rc, std::string& error) {
  std::string& denied = s->connection->denied;  // a re-prepare after a schema change re-checks
  if (!denied.empty()) {
    error = "refused by the storage policy: " + denied;
    denied.clear();
    return MACHI_ERR_DENIED;
  }
  error = sqlite3_errmsg(s->connection->db.get());
  return status_from_sqlite(rc);
}

machi_status check_column(machi_stmt* s, int32_t col, std::string& error) {
  if (machi_status st = check_statement(s, error); st != MACHI_OK) return st;
  if (col < 0 || col >= sqlite3_column_count(s->stmt)) {
    error = "column index " + std::to_string(col) + " out of range";
    return MACHI_ERR_INVALID_ARGUMENT;
  }
  return MACHI_OK;
}

// Binds through `bind` after validating the handle; SQLite copies (SQLITE_TRANSIENT).
template <typename Bind>
machi_status bind_checked(machi_stmt* s, std::string& error, Bind bind) {
  if (machi_status st = check_statement(s, error); st != MACHI_OK) return st;
  int rc = bind(s->stmt);
  return rc == SQLITE_OK ? MACHI_OK : sqlite_failure(s, rc, error);
}

}  // namespace

machi_stmt* register_statement(StoreConnection& connection, sqlite3_stmt* stmt) {
  auto* handle = new machi_stmt{stmt, &connection, std::this_thread::get_id()};
  std::lock_guard lock(registry_mutex());
  registry().emplace(handle, handle->owner);
  connection.statements.insert(handle);
  return handle;
}

machi_status check_statement(const machi_stmt* stmt, std::string& error) {
  std::lock_guard lock(registry_mutex());
  auto it = registry().find(stmt);
  if (it == registry().end()) {
    error = "unknown or finalized statement handle";
    return MACHI_ERR_INVALID_ARGUMENT;
  }
  if (it->second != std::this_thread::get_id()) {
    error = "statement used on a thread other than the one that prepared it";
    return MACHI_ERR_WRONG_THREAD;
  }
  return MACHI_OK;
}

machi_status finalize_statement(machi_stmt* stmt, std::string& error) {
  if (machi_status st = check_statement(stmt, error); st != MACHI_OK) return st;
  {
    std::lock_guard lock(registry_mutex());
    registry().erase(stmt);
    stmt->connection->statements.erase(stmt);
  }
  sqlite3_finalize(stmt->stmt);
  delete stmt;
  return MACHI_OK;
}

void finalize_all(StoreConnection& connection) {
  std::lock_guard lock(registry_mutex());
  for (machi_stmt* stmt : connection.statements) {
    registry().erase(stmt);
    sqlite3_finalize(stmt->stmt);
    delete stmt;
  }
  connection.statements.clear();
}

machi_status stmt_bind_null(machi_stmt* s, int32_t index, std::string& error) {
  return bind_checked(s, error, [&](sqlite3_stmt* st) { return sqlite3_bind_null(st, index); });
}
machi_status stmt_bind_int64(machi_stmt* s, int32_t index, int64_t v, std::string& error) {
  return bind_checked(s, error,
                      [&](sqlite3_stmt* st) { return sqlite3_bind_int64(st, index, v); });
}
machi_status stmt_bind_double(machi_stmt* s, int32_t index, double v, std::string& error) {
  return bind_checked(s, error,
                      [&](sqlite3_stmt* st) { return sqlite3_bind_double(st, index, v); });
}
machi_status stmt_bind_text(machi_stmt* s, int32_t index, machi_str v, std::string& error) {
  return bind_checked(s, error, [&](sqlite3_stmt* st) {
    return sqlite3_bind_text64(st, index, v.ptr ? v.ptr : "", v.len, SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  });
}
machi_status stmt_bind_blob(machi_stmt* s, int32_t index, machi_str v, std::string& error) {
  return bind_checked(s, error, [&](sqlite3_stmt* st) {
    return sqlite3_bind_blob64(st, index, v.ptr ? v.ptr : "", v.len, SQLITE_TRANSIENT);
  });
}

machi_status stmt_step(machi_stmt* s, std::string& error) {
  if (machi_status st = check_statement(s, error); st != MACHI_OK) return st;
  int rc = sqlite3_step(s->stmt);
  if (rc == SQLITE_ROW) return MACHI_ROW;
  if (rc == SQLITE_DONE) return MACHI_DONE;
  return sqlite_failure(s, rc, error);
}

machi_status stmt_reset(machi_stmt* s, std::string& error) {
  if (machi_status st = check_statement(s, error); st != MACHI_OK) return st;
  sqlite3_reset(s->stmt);  // its return repeats the last step's error, already reported
  sqlite3_clear_bindings(s->stmt);
  return MACHI_OK;
}

machi_status stmt_column_count(machi_stmt* s, int32_t* out, std::string& error) {
  if (machi_status st = check_statement(s, error); st != MACHI_OK) return st;
  *out = sqlite3_column_count(s->stmt);
  return MACHI_OK;
}
machi_status stmt_column_type(machi_stmt* s, int32_t col, int32_t* out, std::string& error) {
  if (machi_status st = check_column(s, col, error); st != MACHI_OK) return st;
  *out = sqlite3_column_type(s->stmt, col);  // SQLite's numbers are the ABI's
  return MACHI_OK;
}
machi_status stmt_column_name(machi_stmt* s, int32_t col, machi_str* out, std::string& error) {
  if (machi_status st = check_column(s, col, error); st != MACHI_OK) return st;
  const char* name = sqlite3_column_name(s->stmt, col);
  *out = machi_str{name, name ? std::char_traits<char>::length(name) : 0};
  return MACHI_OK;
}
machi_status stmt_column_int64(machi_stmt* s, int32_t col, int64_t* out, std::string& error) {
  if (machi_status st = check_column(s, col, error); st != MACHI_OK) return st;
  *out = sqlite3_column_int64(s->stmt, col);
  return MACHI_OK;
}
machi_status stmt_column_double(machi_stmt* s, int32_t col, double* out, std::string& error) {
  if (machi_status st = check_column(s, col, error); st != MACHI_OK) return st;
  *out = sqlite3_column_double(s->stmt, col);
  return MACHI_OK;
}
machi_status stmt_column_text(machi_stmt* s, int32_t col, machi_str* out, std::string& error) {
  if (machi_status st = check_column(s, col, error); st != MACHI_OK) return st;
  const unsigned char* text = sqlite3_column_text(s->stmt, col);
  *out = machi_str{reinterpret_cast<const char*>(text),
                   static_cast<size_t>(sqlite3_column_bytes(s->stmt, col))};
  return MACHI_OK;
}
machi_status stmt_column_blob(machi_stmt* s, int32_t col, machi_str* out, std::string& error) {
  if (machi_status st = check_column(s, col, error); st != MACHI_OK) return st;
  const void* blob = sqlite3_column_blob(s->stmt, col);
  *out = machi_str{static_cast<const char*>(blob),
                   static_cast<size_t>(sqlite3_column_bytes(s->stmt, col))};
  return MACHI_OK;
}

}  // namespace machi::storage
