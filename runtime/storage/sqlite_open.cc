#include "runtime/storage/sqlite_open.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <system_error>

namespace machi::storage {
namespace {

Status exec_pragma(sqlite3* db, const char* sql, const std::filesystem::path& file) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = "database " + file.string() + ": `" + sql + "` failed: " +
                          (error ? error : sqlite3_errmsg(db));
    sqlite3_free(error);
    return Status::error(message);
  }
  return Status::ok();
}

}  // namespace

Result<SqliteHandle> open_database(const std::filesystem::path& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (file.has_parent_path()) {
    fs::create_directories(file.parent_path(), ec);
    if (ec) return Status::error("database " + file.string() + ": cannot create its directory: " + ec.message());
    // Private whatever the umask: the directory 0700, the database and its WAL files 0600.
    fs::permissions(file.parent_path(), fs::perms::owner_all, ec);
  }
  {
    // A new file is created 0600 (SQLite gives its -wal and -shm files the database's mode).
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::fchmod(fd, 0600);  // an existing file from before: made private too
      ::close(fd);
    }
    for (const char* suffix : {"-wal", "-shm"}) {
      fs::path side = file.string() + suffix;
      if (fs::exists(side, ec)) fs::permissions(side, fs::perms::owner_read | fs::perms::owner_write, ec);
    }
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  SqliteHandle db(raw);
  if (rc != SQLITE_OK) {
    return Status::error("database " + file.string() + ": cannot open: " +
                         (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                             "PRAGMA foreign_keys=ON"}) {
    if (Status s = exec_pragma(raw, pragma, file); !s) return s;
  }
  return db;
}

Result<std::string> read_pragma(sqlite3* db, const char* pragma) {
  std::string sql = std::string("PRAGMA ") + pragma;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return Status::error(sql + ": " + sqlite3_errmsg(db));
  }
  std::string value;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    if (text) value = reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(stmt);
  return value;
}

Status migrate(sqlite3* db, const std::filesystem::path& file, std::span<const char* const> steps) {
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
  int version = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  int known = static_cast<int>(steps.size());
  if (version > known) {
    return Status::error("database " + file.string() + ": schema version " + std::to_string(version) +
                         " is newer than this runtime's " + std::to_string(known));
  }
  for (int i = version; i < known; ++i) {
    std::string sql = std::string("BEGIN IMMEDIATE;") + steps[i] +
                      "PRAGMA user_version = " + std::to_string(i + 1) + ";COMMIT;";
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = "database " + file.string() + ": migration " + std::to_string(i + 1) +
                            " failed: " + (error ? error : "?");
      sqlite3_free(error);
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return Status::error(message);
    }
  }
  return Status::ok();
}

}  // namespace machi::storage
