#include "runtime/storage/plugin_store.h"

#include <doctest/doctest.h>

#include <thread>

#include "runtime/storage/plugin_statement.h"
#include "tests/support/plugin_harness.h"
#include "tests/support/scratch_dir.h"

using namespace machi;
using storage::PluginStore;

namespace {

std::unique_ptr<PluginStore> open_store(const std::filesystem::path& file) {
  auto store = PluginStore::open(file);
  REQUIRE_MESSAGE(store.is_ok(), store.error());
  return std::move(store).value();
}

machi_status exec(PluginStore& store, std::string_view sql, std::string* error_out = nullptr) {
  std::string error;
  machi_status s = store.exec(sql, error);
  if (error_out) *error_out = error;
  return s;
}

int64_t count(PluginStore& store, const char* sql) {
  std::string error;
  machi_stmt* stmt = nullptr;
  REQUIRE(store.prepare(sql, &stmt, error) == MACHI_OK);
  REQUIRE(storage::stmt_step(stmt, error) == MACHI_ROW);
  int64_t n = 0;
  storage::stmt_column_int64(stmt, 0, &n, error);
  storage::finalize_statement(stmt, error);
  return n;
}

}  // namespace

TEST_CASE("the authorizer refuses escapes from the instance's own database") {
  test::ScratchDir dir;
  auto store = open_store(dir / "p.db");
  std::string error;
  CHECK(exec(*store, "ATTACH DATABASE '" + (dir / "other.db").string() + "' AS o", &error) ==
        MACHI_ERR_DENIED);
  CHECK_FALSE(std::filesystem::exists(dir / "other.db"));
  CHECK(exec(*store, "VACUUM INTO '" + (dir / "copy.db").string() + "'") == MACHI_ERR_DENIED);
  CHECK_FALSE(std::filesystem::exists(dir / "copy.db"));
  CHECK(exec(*store, "VACUUM") == MACHI_ERR_DENIED);
  CHECK(exec(*store, "DETACH DATABASE main") == MACHI_ERR_DENIED);
  CHECK(exec(*store, "SELECT load_extension('/tmp/x.so')", &error) == MACHI_ERR_DENIED);
  for (const char* pragma : {"PRAGMA synchronous=OFF", "PRAGMA journal_mode=DELETE",
                             "PRAGMA locking_mode=EXCLUSIVE", "PRAGMA writable_schema=ON",
                             "PRAGMA temp_store_directory='/tmp'", "PRAGMA synchronous"}) {
    CAPTURE(pragma);
    CHECK(exec(*store, pragma) == MACHI_ERR_DENIED);
  }
  for (const char* sql : {"SELECT * FROM _machi_jobs", "DELETE FROM _machi_jobs",
                          "DROP TABLE _machi_jobs", "CREATE TABLE _machi_mine(x)",
                          "INSERT INTO _MACHI_JOBS(key, due_ms, payload) VALUES('k', 0, '')"}) {
    CAPTURE(sql);
    CHECK(exec(*store, sql) == MACHI_ERR_DENIED);
  }
}

TEST_CASE("ordinary SQL, user_version and introspection pragmas are allowed") {
  test::ScratchDir dir;
  auto store = open_store(dir / "p.db");
  std::string error;
  CHECK(exec(*store, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE);"
                     "INSERT INTO t(name) VALUES('a'), ('b');", &error) == MACHI_OK);
  CHECK(exec(*store, "PRAGMA user_version = 3") == MACHI_OK);
  CHECK(count(*store, "PRAGMA user_version") == 3);
  CHECK(exec(*store, "PRAGMA table_info(t)") == MACHI_OK);
  CHECK(exec(*store, "PRAGMA foreign_keys = ON") == MACHI_OK);
  CHECK(exec(*store, "INSERT INTO t(name) VALUES('a')", &error) == MACHI_ERR_CONSTRAINT);
  CHECK(error.find("UNIQUE") != std::string::npos);
  CHECK(exec(*store, "SELEKT 1", &error) == MACHI_ERR_STORAGE);
  CHECK(error.find("syntax error") != std::string::npos);
}

TEST_CASE("committed writes survive closing; a rolled-back transaction leaves nothing") {
  test::ScratchDir dir;
  std::string error;
  {
    auto store = open_store(dir / "p.db");
    REQUIRE(exec(*store, "CREATE TABLE loans(book TEXT)") == MACHI_OK);
    REQUIRE(store->begin(error) == MACHI_OK);
    REQUIRE(exec(*store, "INSERT INTO loans VALUES('kept')") == MACHI_OK);
    REQUIRE(store->commit(error) == MACHI_OK);
    REQUIRE(store->begin(error) == MACHI_OK);
    CHECK(store->begin(error) == MACHI_ERR_INVALID_STATE);
    REQUIRE(exec(*store, "INSERT INTO loans VALUES('lost')") == MACHI_OK);
    REQUIRE(store->rollback(error) == MACHI_OK);
    CHECK(store->commit(error) == MACHI_ERR_INVALID_STATE);
  }
  auto reopened = open_store(dir / "p.db");
  CHECK(count(*reopened, "SELECT count(*) FROM loans WHERE book = 'kept'") == 1);
  CHECK(count(*reopened, "SELECT count(*) FROM loans") == 1);
}

TEST_CASE("statements belong to their thread; stale handles are refused, not dereferenced") {
  test::ScratchDir dir;
  auto store = open_store(dir / "p.db");
  std::string error;
  machi_stmt* stmt = nullptr;
  REQUIRE(store->prepare("SELECT 1", &stmt, error) == MACHI_OK);
  machi_status other_thread = MACHI_OK;
  std::thread([&] {
    std::string e;
    other_thread = storage::stmt_step(stmt, e);
  }).join();
  CHECK(other_thread == MACHI_ERR_WRONG_THREAD);
  CHECK(storage::stmt_step(stmt, error) == MACHI_ROW);
  CHECK(storage::finalize_statement(stmt, error) == MACHI_OK);
  CHECK(storage::stmt_step(stmt, error) == MACHI_ERR_INVALID_ARGUMENT);
  CHECK(storage::finalize_statement(stmt, error) == MACHI_ERR_INVALID_ARGUMENT);
  int64_t bogus = 0;
  CHECK(storage::stmt_step(reinterpret_cast<machi_stmt*>(&bogus), error) ==
        MACHI_ERR_INVALID_ARGUMENT);
}

TEST_CASE("each thread's transaction is its own: uncommitted rows are invisible elsewhere") {
  test::ScratchDir dir;
  auto store = open_store(dir / "p.db");
  std::string error;
  REQUIRE(exec(*store, "CREATE TABLE t(x)") == MACHI_OK);
  REQUIRE(store->begin(error) == MACHI_OK);
  REQUIRE(exec(*store, "INSERT INTO t VALUES(1)") == MACHI_OK);
  int64_t seen_elsewhere = -1;
  std::thread([&] { seen_elsewhere = count(*store, "SELECT count(*) FROM t"); }).join();
  CHECK(seen_elsewhere == 0);  // WAL reader on another connection sees the last commit
  REQUIRE(store->commit(error) == MACHI_OK);
  std::thread([&] { seen_elsewhere = count(*store, "SELECT count(*) FROM t"); }).join();
  CHECK(seen_elsewhere == 1);
}

constexpr int64_t kQuota = 1000;

TEST_CASE("jobs: schedule replaces by key, cancel reports unknown keys, limits hold") {
  test::ScratchDir dir;
  auto store = open_store(dir / "p.db");
  std::string error;
  CHECK(store->schedule("k", 100, 0, "one", kQuota, error) == MACHI_OK);
  CHECK(store->schedule("k", 200, 0, "two", kQuota, error) == MACHI_OK);
  auto due = store->due_jobs(1000, 10);
  REQUIRE(due.value().size() == 1);
  CHECK(due.value()[0].due_ms == 200);
  CHECK(due.value()[0].payload == "two");
  CHECK(store->cancel("k", error) == MACHI_OK);
  CHECK(store->cancel("k", error) == MACHI_ERR_NOT_FOUND);
  CHECK(store->schedule("", 1, 0, "", kQuota, error) == MACHI_ERR_INVALID_ARGUMENT);
  CHECK(store->schedule(std::string(257, 'k'), 1, 0, "", kQuota, error) == MACHI_ERR_TOO_LARGE);
  CHECK(store->schedule("big", 1, 0, std::string(64 * 1024 + 1, 'x'), kQuota, error) == MACHI_ERR_TOO_LARGE);
}

TEST_CASE("a job rescheduled during delivery is not removed by that delivery") {
  test::ScratchDir dir;
  auto store = open_store(dir / "p.db");
  std::string error;
  REQUIRE(store->schedule("daily", 100, 0, "", kQuota, error) == MACHI_OK);
  auto due = store->due_jobs(100, 10).value();
  REQUIRE(store->schedule("daily", 100 + 86'400'000, 0, "", kQuota, error) == MACHI_OK);  // next day
  CHECK(store->finish_job(due[0], true, 0).is_ok());
  auto later = store->due_jobs(100 + 86'400'000, 10).value();
  REQUIRE(later.size() == 1);
  CHECK(later[0].key == "daily");
}

TEST_CASE("the attach fixture plugin sees every escape refused through the real host API") {
  test::Harness h;
  auto instance = h.instance(test::fixture("attach"));
  auto answer = test::call(*instance, test::make_request("GET", "/"));
  REQUIRE(answer.status == 200);
  auto result = test::body_json(answer).as_object();
  for (const auto& entry : result) {
    std::string_view sql = entry.key();  // not a structured binding: CAPTURE captures it (clang 14)
    const auto& status = entry.value();
    CAPTURE(sql);
    bool allowed = sql == "CREATE TABLE ok_table(x)" || sql == "PRAGMA user_version = 7";
    CHECK(status.as_int64() == (allowed ? MACHI_OK : MACHI_ERR_DENIED));
  }
  CHECK(result.size() == 9);
  CHECK_FALSE(std::filesystem::exists("/tmp/machi-attach-escape.db"));
  CHECK_FALSE(std::filesystem::exists("/tmp/machi-vacuum-escape.db"));
}

TEST_CASE("jobs: a per-instance quota refuses new keys but never a replacement") {
  test::ScratchDir dir;
  auto store = open_store(dir / "p.db");
  std::string error;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(store->schedule("k" + std::to_string(i), 100, 0, "", 3, error) == MACHI_OK);
  }
  CHECK(store->schedule("k3", 100, 0, "", 3, error) == MACHI_ERR_TOO_LARGE);
  CHECK(error.find("quota") != std::string::npos);
  CHECK(store->schedule("k1", 500, 0, "again", 3, error) == MACHI_OK);  // replacing is fine
  CHECK(store->job_count() == 3);
  REQUIRE(store->cancel("k0", error) == MACHI_OK);
  CHECK(store->schedule("k3", 100, 0, "", 3, error) == MACHI_OK);  // room again
  // A rolled-back schedule leaves the counter high; reaching the quota recounts exactly.
  REQUIRE(store->cancel("k3", error) == MACHI_OK);
  REQUIRE(store->begin(error) == MACHI_OK);
  REQUIRE(store->schedule("ghost", 100, 0, "", 3, error) == MACHI_OK);
  REQUIRE(store->rollback(error) == MACHI_OK);
  CHECK(store->job_count() == 3);  // counted, though the row is gone
  CHECK(store->schedule("real", 100, 0, "", 3, error) == MACHI_OK);
  CHECK(store->job_count() == 3);
}

TEST_CASE("jobs: an expiry is stored, must follow the due time, and survives reopening") {
  test::ScratchDir dir;
  std::string error;
  {
    auto store = open_store(dir / "p.db");
    CHECK(store->schedule("bad", 200, 100, "", kQuota, error) == MACHI_ERR_INVALID_ARGUMENT);
    REQUIRE(store->schedule("soon", 100, 5000, "p", kQuota, error) == MACHI_OK);
    REQUIRE(store->schedule("forever", 100, 0, "p", kQuota, error) == MACHI_OK);
  }
  auto store = open_store(dir / "p.db");
  CHECK(store->job_count() == 2);
  auto due = store->due_jobs(1000, 10).value();
  REQUIRE(due.size() == 2);
  CHECK(due[0].key == "forever");
  CHECK(due[0].expires_ms == 0);
  CHECK(due[1].key == "soon");
  CHECK(due[1].expires_ms == 5000);
}

TEST_CASE("outbox: items commit and roll back with the plugin's transaction, drain in order") {
  test::ScratchDir dir;
  auto store = open_store(dir / "p.db");
  std::string error;
  REQUIRE(store->begin(error) == MACHI_OK);
  REQUIRE(store->enqueue_notification("sub-a", R"({"key":"1"})", error) == MACHI_OK);
  REQUIRE(store->rollback(error) == MACHI_OK);
  CHECK(store->outbox(10).value().empty());
  REQUIRE(store->begin(error) == MACHI_OK);
  REQUIRE(store->enqueue_notification("sub-a", R"({"key":"2"})", error) == MACHI_OK);
  REQUIRE(store->enqueue_notification("sub-b", R"({"key":"3"})", error) == MACHI_OK);
  // Not visible to the runtime's own connection (another thread) before the commit.
  size_t seen = 99;
  std::thread([&] { seen = store->outbox(10).value().size(); }).join();
  CHECK(seen == 0);
  REQUIRE(store->commit(error) == MACHI_OK);
  auto items = store->outbox(10).value();
  REQUIRE(items.size() == 2);
  CHECK(items[0].subject == "sub-a");
  CHECK(items[1].notification == R"({"key":"3"})");
  CHECK(store->remove_outbox_through(items[0].seq).is_ok());
  CHECK(store->outbox(10).value().size() == 1);
  // The plugin's own SQL cannot read or forge the outbox.
  CHECK(exec(*store, "INSERT INTO _machi_outbox(subject, notification) VALUES('x', '{}')") ==
        MACHI_ERR_DENIED);
}

TEST_CASE("a database from before job expiries gains the column and keeps its jobs") {
  test::ScratchDir dir;
  {
    auto db = machi::storage::open_database(dir / "old.db");
    REQUIRE(db);
    REQUIRE(sqlite3_exec(db.value().get(),
                         "CREATE TABLE _machi_jobs (key TEXT PRIMARY KEY, due_ms INTEGER NOT NULL,"
                         " payload BLOB NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,"
                         " generation INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
                         "INSERT INTO _machi_jobs(key, due_ms, payload) VALUES('old', 5, 'x');",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  auto store = open_store(dir / "old.db");
  auto due = store->due_jobs(10, 10).value();
  REQUIRE(due.size() == 1);
  CHECK(due[0].key == "old");
  CHECK(due[0].expires_ms == 0);
}
