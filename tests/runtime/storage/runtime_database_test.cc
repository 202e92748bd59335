// The runtime database on a real SQLite file: its secrets outlive a reopen, a file from a newer
// runtime is refused, and it is private whatever the umask.
#include "runtime/storage/runtime_database.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "tests/support/scratch_dir.h"

using namespace machi;

TEST_CASE("a named secret is made once and kept across reopening; another name is another secret") {
  test::ScratchDir dir;
  std::string pairwise;
  {
    auto db = storage::RuntimeDatabase::open(dir / "runtime.db");
    REQUIRE_MESSAGE(db.is_ok(), db.error());
    auto first = db.value()->secret("pairwise", 32);
    REQUIRE(first.is_ok());
    pairwise = first.value();
    CHECK(pairwise.size() == 32);
    CHECK(db.value()->secret("pairwise", 32).value() == pairwise);
    auto other = db.value()->secret("other", 16);
    CHECK(other.value().size() == 16);
    CHECK(other.value() != pairwise.substr(0, 16));
  }
  auto again = storage::RuntimeDatabase::open(dir / "runtime.db");
  REQUIRE(again.is_ok());
  CHECK(again.value()->secret("pairwise", 32).value() == pairwise);
  struct stat st{};
  REQUIRE(::stat((dir / "runtime.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a runtime database written by a newer runtime (more schema steps) is refused, naming the file") {
  test::ScratchDir dir;
  {
    auto db = storage::RuntimeDatabase::open(dir / "runtime.db");
    REQUIRE(db.is_ok());
    sqlite3_exec(db.value()->get(), "PRAGMA user_version = 9999", nullptr, nullptr, nullptr);
  }
  auto newer = storage::RuntimeDatabase::open(dir / "runtime.db");
  REQUIRE_FALSE(newer.is_ok());
  CHECK(newer.error().find("runtime.db") != std::string::npos);
}
