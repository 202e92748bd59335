#include "runtime/storage/sqlite_open.h"

#include <doctest/doctest.h>

#include "tests/support/scratch_dir.h"

using namespace machi;

TEST_CASE("databases open in WAL mode with synchronous=FULL and foreign keys on") {
  test::ScratchDir dir;
  auto db = storage::open_database(dir / "nested/dir/runtime.db");
  REQUIRE_MESSAGE(db.is_ok(), db.error());
  CHECK(storage::read_pragma(db.value().get(), "journal_mode").value() == "wal");
  CHECK(storage::read_pragma(db.value().get(), "synchronous").value() == "2");  // FULL
  CHECK(storage::read_pragma(db.value().get(), "foreign_keys").value() == "1");
}

TEST_CASE("a database that cannot be opened names the file") {
  test::ScratchDir dir;
  std::filesystem::create_directories(dir / "a-directory.db");
  auto db = storage::open_database(dir / "a-directory.db");
  REQUIRE_FALSE(db.is_ok());
  CHECK(db.error().find("a-directory.db") != std::string::npos);
}
