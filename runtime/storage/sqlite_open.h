// Opens a SQLite database the way every Machi database is opened (runtime and plugin data):
// WAL journal, synchronous=FULL (an acknowledged write survives power loss, not only a process
// kill), a busy timeout, foreign keys on, defensive mode. Thread-safety: free function.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <memory>

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

}  // namespace machi::storage
