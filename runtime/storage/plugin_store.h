// PluginStore: one plugin instance's own SQLite database, reached only through the host API.
//
// Isolation: an authorizer refuses ATTACH/DETACH/VACUUM (VACUUM INTO), load_extension, PRAGMAs
// outside a small allowlist, and any table named _machi_* (the runtime's tables in the same file).
// This is an API boundary between well-meaning vendors, not a security sandbox: code in the same
// process can do anything the process can (see docs/vendor-guide.md, "Isolation").
//
// Thread-safety: every method is thread-safe. Each calling thread gets its own connection (WAL lets
// readers run beside the one writer), so a transaction and the statements prepared on a thread
// belong to that thread; using a statement elsewhere answers MACHI_ERR_WRONG_THREAD.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "machi/plugin_api.h"
#include "runtime/status.h"
#include "runtime/storage/plugin_statement.h"
#include "runtime/storage/sqlite_open.h"

namespace machi::storage {

// A job stored in _machi_jobs, due for delivery to the plugin's on_event hook.
struct ScheduledJob {
  std::string key;
  int64_t due_ms = 0;
  std::string payload;
  uint32_t attempt = 0;     // failed deliveries so far
  int64_t generation = 0;  // bumped when the plugin reschedules the key
  int64_t expires_ms = 0;  // 0: never; a job not delivered by then is dropped
};

// A notification a plugin created, waiting in _machi_outbox for the runtime to move it into
// the resident's inbox (the transactional outbox: it commits with the plugin's own transaction).
struct OutboxItem {
  int64_t seq = 0;
  std::string subject;       // the pairwise subject the plugin addressed
  std::string notification;  // the notification's JSON, checked when it was written
};

class PluginStore {
 public:
  static constexpr size_t kMaxJobKey = 256;
  static constexpr size_t kMaxJobPayload = 64 * 1024;
  static constexpr int kMaxValueBytes = 16 * 1024 * 1024;  // SQLITE_LIMIT_LENGTH
  static constexpr int kMaxSqlBytes = 1024 * 1024;          // SQLITE_LIMIT_SQL_LENGTH

  static Result<std::unique_ptr<PluginStore>> open(const std::filesystem::path& file);
  ~PluginStore();  // finalizes every statement and closes every connection
  PluginStore(const PluginStore&) = delete;
  PluginStore& operator=(const PluginStore&) = delete;

  const std::filesystem::path& file() const { return file_; }

  // Plugin SQL, authorizer on. Failures return a MACHI_ERR_* and set `error`.
  machi_status exec(std::string_view sql, std::string& error);
  machi_status prepare(std::string_view sql, machi_stmt** out, std::string& error);
  machi_status changes(int64_t* out_rows, std::string& error);
  machi_status last_insert_rowid(int64_t* out_rowid, std::string& error);
  machi_status begin(std::string& error);
  machi_status commit(std::string& error);
  machi_status rollback(std::string& error);

  // Jobs, on the calling thread's connection: inside the plugin's open transaction they commit
  // or roll back with it.
  // `quota`: at most that many jobs stored (MACHI_ERR_TOO_LARGE beyond); expires_ms 0 = never.
  machi_status schedule(std::string_view key, int64_t due_ms, int64_t expires_ms,
                        std::string_view payload, int64_t quota, std::string& error);
  machi_status cancel(std::string_view key, std::string& error);
  Result<std::vector<ScheduledJob>> due_jobs(int64_t now_ms, size_t limit);
  // After a delivery: success removes the job unless it was rescheduled meanwhile; failure
  // moves it to retry_at_ms and counts the attempt.
  Status finish_job(const ScheduledJob& job, bool delivered, int64_t retry_at_ms);
  int64_t job_count() const { return job_count_.load(); }  // approximate (see schedule())

  // The notification outbox. enqueue runs on the calling thread's connection (inside the
  // plugin's transaction, if one is open); the runtime drains it from its own thread.
  machi_status enqueue_notification(std::string_view subject, std::string_view json,
                                    std::string& error);
  Result<std::vector<OutboxItem>> outbox(size_t limit);
  // Removes every outbox item up to and including `seq` (one statement, one commit).
  Status remove_outbox_through(int64_t seq);

 private:
  explicit PluginStore(std::filesystem::path file) : file_(std::move(file)) {}
  Result<StoreConnection*> connection(std::string& error_out);
  machi_status run_host_sql(StoreConnection& c, const char* sql, std::string& error);
  machi_status transaction_control(const char* sql, bool needs_open, std::string& error);

  Status count_jobs();

  std::filesystem::path file_;
  // Jobs stored, kept without a count(*) per schedule(): +1 for a new key, −1 for a delivered,
  // dropped or cancelled one. A rolled-back schedule leaves it too high, so reaching the quota
  // recounts exactly before refusing.
  std::atomic<int64_t> job_count_{0};
  std::mutex mutex_;
  std::unordered_map<std::thread::id, std::unique_ptr<StoreConnection>> connections_;
};

// Maps a SQLite result code to the ABI's fixed status codes.
machi_status status_from_sqlite(int rc);

}  // namespace machi::storage
