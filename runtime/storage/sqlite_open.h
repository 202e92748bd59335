// Opens a SQLite database the way every Machi database is opened (runtime and plugin data):
// WAL journal, synchronous=FULL (an acknowledged write survives power loss, not only a process
// kill), a busy timeout, foreign keys on, defensive mode. Thread-safety: free function.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace machi::storage {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;

inline constexpr int kBusyTimeoutMs = 5000;

// Creates the file (and its directory) when missing. The message names the file on failure.
Result<SqliteHandle> open_database(const std::filesystem::path& file);

// Reads back a PRAGMA's single value, e.g. "synchronous" → "2" (FULL).
Result<std::string> read_pragma(sqlite3* db, const char* pragma);

// Applies schema steps in order, once each, each in its own transaction (PRAGMA user_version
// counts the steps applied). The list is append-only; a database from a newer runtime (more
// steps than known) is refused.
Status migrate(sqlite3* db, const std::filesystem::path& file, std::span<const char* const> steps);

// A prepared statement for the duration of one call (runtime tables only: fixed SQL text).
class Query {
 public:
  Query(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Query() { sqlite3_finalize(stmt_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& bind(int i, std::string_view v) {
    sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
  }
  Query& bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT);
    return *this;
  }
  Query& bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Query& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  int step() { return sqlite3_step(stmt_); }
  std::string text(int c) {
    const unsigned char* t = sqlite3_column_text(stmt_, c);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  int64_t integer(int c) { return sqlite3_column_int64(stmt_, c); }
  bool is_null(int c) { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::string blob(int c) {
    const char* b = static_cast<const char*>(sqlite3_column_blob(stmt_, c));
    return std::string(b ? b : "", static_cast<size_t>(sqlite3_column_bytes(stmt_, c)));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace machi::storage
