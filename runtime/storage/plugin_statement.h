// Prepared statements handed to plugins as the ABI's opaque machi_stmt, and the registry that
// validates every handle before use (a stale or foreign pointer is refused, never dereferenced).
// Thread-safety: the registry is guarded by one mutex; a statement belongs to the thread that
// prepared it.
#pragma once

#include <sqlite3.h>

#include <string>
#include <thread>
#include <unordered_set>

#include "machi/plugin_api.h"
#include "runtime/storage/sqlite_open.h"

namespace machi::storage {

// One thread's connection to one PluginStore.
struct StoreConnection {
  SqliteHandle db;
  bool host_mode = false;                    // runtime SQL: may touch _machi_* tables
  std::string denied;                        // what the authorizer last refused, if anything
  std::unordered_set<machi_stmt*> statements;  // guarded by the registry mutex
};

}  // namespace machi::storage

struct machi_stmt {
  sqlite3_stmt* stmt = nullptr;
  machi::storage::StoreConnection* connection = nullptr;
  std::thread::id owner;
};

namespace machi::storage {

machi_stmt* register_statement(StoreConnection& connection, sqlite3_stmt* stmt);
// Finalizes and forgets a statement. MACHI_ERR_INVALID_ARGUMENT for an unknown handle.
machi_status finalize_statement(machi_stmt* stmt, std::string& error);
// Finalizes every statement of a connection that is being closed.
void finalize_all(StoreConnection& connection);
// MACHI_OK when `stmt` is live and owned by this thread.
machi_status check_statement(const machi_stmt* stmt, std::string& error);

machi_status stmt_bind_null(machi_stmt* s, int32_t index, std::string& error);
machi_status stmt_bind_int64(machi_stmt* s, int32_t index, int64_t v, std::string& error);
machi_status stmt_bind_double(machi_stmt* s, int32_t index, double v, std::string& error);
machi_status stmt_bind_text(machi_stmt* s, int32_t index, machi_str v, std::string& error);
machi_status stmt_bind_blob(machi_stmt* s, int32_t index, machi_str v, std::string& error);
machi_status stmt_step(machi_stmt* s, std::string& error);
machi_status stmt_reset(machi_stmt* s, std::string& error);
machi_status stmt_column_count(machi_stmt* s, int32_t* out, std::string& error);
machi_status stmt_column_type(machi_stmt* s, int32_t col, int32_t* out, std::string& error);
machi_status stmt_column_name(machi_stmt* s, int32_t col, machi_str* out, std::string& error);
machi_status stmt_column_int64(machi_stmt* s, int32_t col, int64_t* out, std::string& error);
machi_status stmt_column_double(machi_stmt* s, int32_t col, double* out, std::string& error);
machi_status stmt_column_text(machi_stmt* s, int32_t col, machi_str* out, std::string& error);
machi_status stmt_column_blob(machi_stmt* s, int32_t col, machi_str* out, std::string& error);

}  // namespace machi::storage
