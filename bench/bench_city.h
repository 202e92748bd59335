// Shared set-up for the in-process benchmarks: synthetic residents written straight into a
// municipality's runtime.db (registering 100,000 through scrypt would take hours; everything
// measured afterwards runs through the runtime's own code), and one operator account created the
// way `machi staff add` does.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "runtime/identity/password_hasher.h"
#include "runtime/routing/municipalities.h"

namespace machi::bench {

inline void exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::fprintf(stderr, "sql failed: %s\n", error ? error : "?");
    std::exit(1);
  }
}

// Opens a database for bulk writes from the benchmark (close with sqlite3_close).
inline sqlite3* open_db(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_busy_timeout(db, 10'000);
  return db;
}

// N accounts r0@bench … with public ids p0 …, each known to `mount` as subject s0 ….
inline void add_residents(sqlite3* runtime_db, int64_t n, const std::string& mount) {
  exec(runtime_db, "WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x + 1 < " +
                       std::to_string(n) +
                       ") INSERT INTO accounts(public_id, login, password, display_name, created_ms) "
                       "SELECT 'p' || x, 'r' || x || '@bench', '-', 'R', 0 FROM i");
  exec(runtime_db, "INSERT INTO subjects(mount_id, subject, account_id) SELECT '" + mount +
                       "', 's' || substr(public_id, 2), id FROM accounts");
}

// The operator "ops@bench" with password "operator password".
inline void add_operator(const MunicipalitySnapshot& m) {
  identity::PasswordHasher hasher(1, std::chrono::seconds(5));
  identity::Account op;
  op.login = "ops@bench";
  op.display_name = "ops";
  op.password_hash = hasher.hash("operator password").value();
  auto created = m.identity->accounts().create(op);
  m.identity->accounts().set_roles(created.value().id, {"operator"});
}

inline constexpr const char* kOperatorSignIn =
    R"({"grant_type": "password", "login": "ops@bench", "password": "operator password"})";

}  // namespace machi::bench
