// Storage helpers over the host's SQL functions: RAII statements with typed binding, RAII
// transactions (rolled back unless committed), and versioned schema migrations.
// Thread rules (from the ABI): statements and transactions belong to the thread that made them.
// Every failure throws HostError with the SQLite message.
#pragma once

#include <machi/plugin_api.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "machi/sdk/host.h"

namespace machi::sdk {

class Statement {
 public:
  Statement(machi_stmt* stmt, std::string sql) : stmt_(stmt), sql_(std::move(sql)) {}
  Statement(Statement&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)), sql_(std::move(other.sql_)) {}
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement() {
    if (stmt_) host().sql_finalize(stmt_);
  }

  Statement& bind(int index, std::nullptr_t) {
    check(host().sql_bind_null(stmt_, index), where("bind"));
    return *this;
  }
  template <typename T>
    requires std::is_integral_v<T>
  Statement& bind(int index, T value) {
    check(host().sql_bind_int64(stmt_, index, static_cast<int64_t>(value)), where("bind"));
    return *this;
  }
  Statement& bind(int index, double value) {
    check(host().sql_bind_double(stmt_, index, value), where("bind"));
    return *this;
  }
  Statement& bind(int index, std::string_view value) {
    check(host().sql_bind_text(stmt_, index, to_view(value)), where("bind"));
    return *this;
  }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, nullptr);
  }
  Statement& bind_blob(int index, std::string_view bytes) {
    check(host().sql_bind_blob(stmt_, index, to_view(bytes)), where("bind"));
    return *this;
  }
  // Binds ?1, ?2, … in order.
  template <typename... Args>
  Statement& bind_all(const Args&... args) {
    int index = 1;
    (bind(index++, args), ...);
    return *this;
  }

  // true: a row is ready; false: done.
  bool step() { return check(host().sql_step(stmt_), where("step")) == MACHI_ROW; }
  // Runs to completion (INSERT/UPDATE/DELETE).
  void run() {
    while (step()) {
    }
  }
  void reset() { check(host().sql_reset(stmt_), where("reset")); }

  bool is_null(int column) const {
    int32_t type = 0;
    check(host().sql_column_type(stmt_, column, &type), where("column"));
    return type == MACHI_SQL_NULL;
  }
  int64_t integer(int column) const {
    int64_t v = 0;
    check(host().sql_column_int64(stmt_, column, &v), where("column"));
    return v;
  }
  double real(int column) const {
    double v = 0;
    check(host().sql_column_double(stmt_, column, &v), where("column"));
    return v;
  }
  // Valid until the next step/reset.
  std::string_view text(int column) const {
    machi_str v{};
    check(host().sql_column_text(stmt_, column, &v), where("column"));
    return from_view(v);
  }
  std::string_view blob(int column) const {
    machi_str v{};
    check(host().sql_column_blob(stmt_, column, &v), where("column"));
    return from_view(v);
  }
  std::optional<std::string> optional_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return std::string(text(column));
  }

 private:
  std::string where(const char* what) const { return std::string("SQL ") + what + " `" + sql_ + "`"; }
  machi_stmt* stmt_;
  std::string sql_;
};

class Database {
 public:
  explicit Database(machi_instance_ctx* ctx) : ctx_(ctx) {}

  void exec(std::string_view sql) { check(host().sql_exec(ctx_, to_view(sql)), "SQL exec"); }

  Statement prepare(std::string_view sql) {
    machi_stmt* stmt = nullptr;
    check(host().sql_prepare(ctx_, to_view(sql), &stmt),
          "SQL prepare `" + std::string(sql) + "`");
    return Statement(stmt, std::string(sql));
  }

  // Prepares, binds ?1… and runs to completion; returns rows changed.
  template <typename... Args>
  int64_t run(std::string_view sql, const Args&... args) {
    Statement stmt = prepare(sql);
    stmt.bind_all(args...);
    stmt.run();
    return changes();
  }

  int64_t changes() {
    int64_t rows = 0;
    check(host().sql_changes(ctx_, &rows), "SQL changes");
    return rows;
  }
  int64_t last_insert_rowid() {
    int64_t id = 0;
    check(host().sql_last_insert_rowid(ctx_, &id), "SQL last_insert_rowid");
    return id;
  }

  void begin() { check(host().sql_begin(ctx_), "SQL begin"); }
  void commit() { check(host().sql_commit(ctx_), "SQL commit"); }
  void rollback() { check(host().sql_rollback(ctx_), "SQL rollback"); }

  // Applies steps[user_version…] in one transaction and sets user_version to steps.size().
  // Steps are append-only: never edit a released step, add a new one.
  void migrate(std::initializer_list<std::string_view> steps);

 private:
  machi_instance_ctx* ctx_;
};

// Rolls back on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) { db_.begin(); }
  Transaction(const Transaction&) = delete;
  ~Transaction() {
    if (!done_) {
      // Already failing if we get here through an exception; nothing more to report.
      try { db_.rollback(); } catch (...) {}  // NOLINT(bugprone-empty-catch)
    }
  }
  void commit() {
    db_.commit();
    done_ = true;
  }

 private:
  Database& db_;
  bool done_ = false;
};

inline void Database::migrate(std::initializer_list<std::string_view> steps) {
  Transaction tx(*this);
  Statement version = prepare("PRAGMA user_version");
  version.step();
  int64_t current = version.integer(0);
  if (current > static_cast<int64_t>(steps.size())) {
    throw HostError(MACHI_ERR_INVALID_STATE,
                    "database schema version " + std::to_string(current) +
                        " is newer than this plugin's " + std::to_string(steps.size()) +
                        ": refusing to run an older plugin on newer data");
  }
  int64_t index = 0;
  for (std::string_view step : steps) {
    if (index++ >= current) exec(step);
  }
  exec("PRAGMA user_version = " + std::to_string(steps.size()));
  tx.commit();
}

}  // namespace machi::sdk
