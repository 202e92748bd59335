// RuntimeDatabase: a municipality's runtime database (<data>/<municipality>/runtime.db: WAL,
// synchronous=FULL, 0600 in a 0700 directory): one connection behind one mutex, the schema of
// every runtime table (identity's and notify's, runtime_database.cc: append-only migrations) and
// its named secrets. The stores of identity/ and notify/ each take it and hold mutex() around
// their statements, so that one statement may read across them (a broadcast selects its
// audience from the accounts; deleting an account cascades to its notifications). This is the
// seam where the second storage engine plugs in.
// Thread-safety: get() only while holding mutex(); secret() locks it itself.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "runtime/status.h"
#include "runtime/storage/sqlite_open.h"

namespace machi::storage {

class RuntimeDatabase {
 public:
  // Opens (creating when missing) and migrates the file; refuses one from a newer runtime.
  static Result<std::unique_ptr<RuntimeDatabase>> open(const std::filesystem::path& file);

  sqlite3* get() const { return db_.get(); }
  std::mutex& mutex() { return mutex_; }
  const std::filesystem::path& file() const { return file_; }

  // The secret `name`: `size` random bytes made on first use and kept for the database's life
  // (the pairwise secret: lose it and every mini-app sees its residents as new people).
  Result<std::string> secret(std::string_view name, size_t size);

 private:
  RuntimeDatabase() = default;
  std::mutex mutex_;
  SqliteHandle db_;
  std::filesystem::path file_;
};

}  // namespace machi::storage
