#include "runtime/notify/notification_store.h"

#include "runtime/storage/sqlite_open.h"

namespace machi::notify {
namespace {

using storage::Query;

constexpr const char* kColumns =
    "id, source, idem_key, category, title, body, link, urgency, created_ms, expires_ms, read_ms, "
    "broadcast_id";

Notification read_row(Query& q) {
  Notification n;
  n.id = q.integer(0);
  n.source = q.text(1);
  n.key = q.text(2);
  n.category = q.text(3);
  n.title = q.text(4);
  n.body = q.text(5);
  n.link = q.text(6);
  n.urgency = q.text(7);
  n.created_ms = q.integer(8);
  if (!q.is_null(9)) n.expires_ms = q.integer(9);
  if (!q.is_null(10)) n.read_ms = q.integer(10);
  if (!q.is_null(11)) n.broadcast_id = q.integer(11);
  return n;
}

}  // namespace

Result<NotificationStore::Added> NotificationStore::add(int64_t account_id, const Notification& n) {
  std::lock_guard lock(mutex_);
  Query insert(db_,
               "INSERT INTO notifications(account_id, source, idem_key, category, title, body, "
               "link, urgency, created_ms, expires_ms, broadcast_id) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
               "ON CONFLICT(account_id, source, idem_key) DO NOTHING");
  insert.bind(1, account_id).bind(2, n.source).bind(3, n.key).bind(4, n.category);
  insert.bind(5, n.title).bind(6, n.body).bind(7, n.link).bind(8, n.urgency);
  insert.bind(9, n.created_ms);
  if (n.expires_ms) insert.bind(10, *n.expires_ms); else insert.bind_null(10);
  if (n.broadcast_id) insert.bind(11, *n.broadcast_id); else insert.bind_null(11);
  if (insert.step() != SQLITE_DONE) {
    return Status::error(std::string("storing a notification: ") + sqlite3_errmsg(db_));
  }
  if (sqlite3_changes(db_) == 1) return Added{sqlite3_last_insert_rowid(db_), true};
  Query existing(db_, "SELECT id FROM notifications WHERE account_id = ?1 AND source = ?2 AND idem_key = ?3");
  existing.bind(1, account_id).bind(2, n.source).bind(3, n.key);
  if (existing.step() != SQLITE_ROW) return Status::error("notification vanished after a conflict");
  return Added{existing.integer(0), false};
}

Result<NotificationStore::Page> NotificationStore::inbox(int64_t account_id, int64_t now_ms,
                                                         std::optional<int64_t> before,
                                                         size_t limit) {
  std::lock_guard lock(mutex_);
  Page page;
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM notifications WHERE account_id = ?1 AND id < ?2 "
                    "AND (expires_ms IS NULL OR expires_ms > ?3) ORDER BY id DESC LIMIT ?4";
  Query q(db_, sql.c_str());
  q.bind(1, account_id).bind(2, before.value_or(INT64_MAX)).bind(3, now_ms);
  q.bind(4, static_cast<int64_t>(limit + 1));
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) page.items.push_back(read_row(q));
  if (rc != SQLITE_DONE) return Status::error(std::string("reading the inbox: ") + sqlite3_errmsg(db_));
  if (page.items.size() > limit) {
    page.items.pop_back();
    page.next_before = page.items.back().id;
  }
  Query unread(db_,
               "SELECT count(*) FROM notifications WHERE account_id = ?1 AND read_ms IS NULL "
               "AND (expires_ms IS NULL OR expires_ms > ?2)");
  unread.bind(1, account_id).bind(2, now_ms);
  if (unread.step() == SQLITE_ROW) page.unread = unread.integer(0);
  return page;
}

std::optional<Notification> NotificationStore::get(int64_t account_id, int64_t id) {
  std::lock_guard lock(mutex_);
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM notifications WHERE account_id = ?1 AND id = ?2";
  Query q(db_, sql.c_str());
  q.bind(1, account_id).bind(2, id);
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return read_row(q);
}

Status NotificationStore::mark_read(int64_t account_id, int64_t id, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_, "UPDATE notifications SET read_ms = coalesce(read_ms, ?3) WHERE account_id = ?1 AND id = ?2");
  q.bind(1, account_id).bind(2, id).bind(3, now_ms);
  if (q.step() != SQLITE_DONE) return Status::error(std::string("marking read: ") + sqlite3_errmsg(db_));
  if (sqlite3_changes(db_) == 0) return Status::error("no notification " + std::to_string(id) + " in this inbox");
  return Status::ok();
}

Result<int64_t> NotificationStore::mark_all_read(int64_t account_id, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_, "UPDATE notifications SET read_ms = ?2 WHERE account_id = ?1 AND read_ms IS NULL");
  q.bind(1, account_id).bind(2, now_ms);
  if (q.step() != SQLITE_DONE) return Status::error(std::string("marking read: ") + sqlite3_errmsg(db_));
  return static_cast<int64_t>(sqlite3_changes(db_));
}

std::vector<Notification> NotificationStore::all(int64_t account_id) {
  std::lock_guard lock(mutex_);
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM notifications WHERE account_id = ?1 ORDER BY id";
  Query q(db_, sql.c_str());
  q.bind(1, account_id);
  std::vector<Notification> out;
  while (q.step() == SQLITE_ROW) out.push_back(read_row(q));
  return out;
}

}  // namespace machi::notify
