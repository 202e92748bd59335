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
  // The inbox row and its push queue entries commit together: a crash cannot leave one of them.
  sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  auto added = add_locked(account_id, n);
  sqlite3_exec(db_, added ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
  return added;
}

Result<std::vector<NotificationStore::Added>> NotificationStore::add_all(
    const std::vector<std::pair<int64_t, Notification>>& items) {
  std::lock_guard lock(mutex_);
  sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  std::vector<Added> out;
  out.reserve(items.size());
  for (const auto& [account_id, n] : items) {
    auto added = add_locked(account_id, n);
    if (!added) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return added.status();
    }
    out.push_back(added.value());
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string error = sqlite3_errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return Status::error("storing notifications: " + error);
  }
  return out;
}

Result<NotificationStore::Added> NotificationStore::add_locked(int64_t account_id, const Notification& n) {
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
  if (sqlite3_changes(db_) == 1) {
    int64_t id = sqlite3_last_insert_rowid(db_);
    Query queue(db_,
                "INSERT INTO push_queue(notification_id, subscription_id, next_ms) "
                "SELECT ?1, id, ?2 FROM push_subscriptions WHERE account_id = ?3");
    queue.bind(1, id).bind(2, n.created_ms).bind(3, account_id);
    if (queue.step() != SQLITE_DONE) {
      return Status::error(std::string("queueing push messages: ") + sqlite3_errmsg(db_));
    }
    return Added{id, true};
  }
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

Result<int64_t> NotificationStore::add_subscription(int64_t account_id, const Subscription& s) {
  std::lock_guard lock(mutex_);
  Query count(db_, "SELECT count(*) FROM push_subscriptions WHERE account_id = ?1 AND endpoint <> ?2");
  count.bind(1, account_id).bind(2, s.endpoint);
  if (count.step() == SQLITE_ROW && count.integer(0) >= static_cast<int64_t>(kMaxSubscriptions)) {
    return Status::error("at most " + std::to_string(kMaxSubscriptions) +
                         " push subscriptions per resident; remove one first");
  }
  Query upsert(db_,
               "INSERT INTO push_subscriptions(account_id, endpoint, p256dh, auth, created_ms) "
               "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(endpoint) DO UPDATE SET "
               "account_id = excluded.account_id, p256dh = excluded.p256dh, auth = excluded.auth, "
               "created_ms = excluded.created_ms RETURNING id");
  upsert.bind(1, account_id).bind(2, s.endpoint).bind_blob(3, s.p256dh).bind_blob(4, s.auth);
  upsert.bind(5, s.created_ms);
  if (upsert.step() != SQLITE_ROW) {
    return Status::error(std::string("storing the subscription: ") + sqlite3_errmsg(db_));
  }
  return upsert.integer(0);
}

std::vector<NotificationStore::Subscription> NotificationStore::subscriptions(int64_t account_id) {
  std::lock_guard lock(mutex_);
  Query q(db_, "SELECT id, endpoint, p256dh, auth, created_ms FROM push_subscriptions "
               "WHERE account_id = ?1 ORDER BY id");
  q.bind(1, account_id);
  std::vector<Subscription> out;
  while (q.step() == SQLITE_ROW) out.push_back({q.integer(0), q.text(1), q.blob(2), q.blob(3), q.integer(4)});
  return out;
}

bool NotificationStore::remove_subscription(int64_t account_id, int64_t id) {
  std::lock_guard lock(mutex_);
  Query q(db_, "DELETE FROM push_subscriptions WHERE account_id = ?1 AND id = ?2");
  q.bind(1, account_id).bind(2, id);
  return q.step() == SQLITE_DONE && sqlite3_changes(db_) == 1;
}

void NotificationStore::drop_subscription(int64_t id) {
  std::lock_guard lock(mutex_);
  Query q(db_, "DELETE FROM push_subscriptions WHERE id = ?1");
  q.bind(1, id);
  q.step();
}

std::vector<NotificationStore::PushItem> NotificationStore::due_pushes(int64_t now_ms, size_t limit) {
  std::lock_guard lock(mutex_);
  std::string sql = std::string("SELECT n.id, n.source, n.idem_key, n.category, n.title, n.body, "
                                "n.link, n.urgency, n.created_ms, n.expires_ms, n.read_ms, "
                                "n.broadcast_id, s.id, s.endpoint, s.p256dh, s.auth, s.created_ms, "
                                "q.attempts, w.start_minute, w.end_minute FROM push_queue q "
                                "JOIN notifications n ON n.id = q.notification_id "
                                "JOIN push_subscriptions s ON s.id = q.subscription_id "
                                "LEFT JOIN notification_quiet w ON w.account_id = s.account_id "
                                "WHERE q.next_ms <= ?1 ORDER BY q.next_ms LIMIT ?2");
  Query q(db_, sql.c_str());
  q.bind(1, now_ms).bind(2, static_cast<int64_t>(limit));
  std::vector<PushItem> out;
  while (q.step() == SQLITE_ROW) {
    PushItem item;
    item.notification = read_row(q);
    item.subscription = {q.integer(12), q.text(13), q.blob(14), q.blob(15), q.integer(16)};
    item.attempts = q.integer(17);
    if (!q.is_null(18)) item.quiet = QuietHours{static_cast<int>(q.integer(18)), static_cast<int>(q.integer(19))};
    out.push_back(std::move(item));
  }
  return out;
}

void NotificationStore::push_done(int64_t notification_id, int64_t subscription_id) {
  std::lock_guard lock(mutex_);
  Query q(db_, "DELETE FROM push_queue WHERE notification_id = ?1 AND subscription_id = ?2");
  q.bind(1, notification_id).bind(2, subscription_id);
  q.step();
}

void NotificationStore::push_retry(int64_t notification_id, int64_t subscription_id, int64_t next_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_, "UPDATE push_queue SET attempts = attempts + 1, next_ms = ?3 "
               "WHERE notification_id = ?1 AND subscription_id = ?2");
  q.bind(1, notification_id).bind(2, subscription_id).bind(3, next_ms);
  q.step();
}

void NotificationStore::push_defer(int64_t notification_id, int64_t subscription_id, int64_t next_ms) {
  std::lock_guard lock(mutex_);
  Query q(db_, "UPDATE push_queue SET next_ms = ?3 WHERE notification_id = ?1 AND subscription_id = ?2");
  q.bind(1, notification_id).bind(2, subscription_id).bind(3, next_ms);
  q.step();
}

int64_t NotificationStore::queued_pushes() {
  std::lock_guard lock(mutex_);
  Query q(db_, "SELECT count(*) FROM push_queue");
  return q.step() == SQLITE_ROW ? q.integer(0) : 0;
}

NotificationStore::Preferences NotificationStore::preferences(int64_t account_id) {
  std::lock_guard lock(mutex_);
  Preferences p;
  Query mutes(db_, "SELECT source, category FROM notification_mutes WHERE account_id = ?1 ORDER BY source, category");
  mutes.bind(1, account_id);
  while (mutes.step() == SQLITE_ROW) p.muted.emplace_back(mutes.text(0), mutes.text(1));
  Query quiet(db_, "SELECT start_minute, end_minute FROM notification_quiet WHERE account_id = ?1");
  quiet.bind(1, account_id);
  if (quiet.step() == SQLITE_ROW) {
    p.quiet = QuietHours{static_cast<int>(quiet.integer(0)), static_cast<int>(quiet.integer(1))};
  }
  return p;
}

Status NotificationStore::set_preferences(int64_t account_id, const Preferences& p) {
  if (p.muted.size() > kMaxMutes) return Status::error("at most " + std::to_string(kMaxMutes) + " muted categories");
  std::lock_guard lock(mutex_);
  sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  bool ok = true;
  {
    Query clear(db_, "DELETE FROM notification_mutes WHERE account_id = ?1");
    clear.bind(1, account_id);
    ok = clear.step() == SQLITE_DONE;
  }
  for (const auto& [source, category] : p.muted) {
    if (!ok) break;
    Query add(db_, "INSERT OR IGNORE INTO notification_mutes(account_id, source, category) VALUES(?1, ?2, ?3)");
    add.bind(1, account_id).bind(2, source).bind(3, category);
    ok = add.step() == SQLITE_DONE;
  }
  if (ok) {
    Query clear(db_, "DELETE FROM notification_quiet WHERE account_id = ?1");
    clear.bind(1, account_id);
    ok = clear.step() == SQLITE_DONE;
  }
  if (ok && p.quiet) {
    Query set(db_, "INSERT INTO notification_quiet(account_id, start_minute, end_minute) VALUES(?1, ?2, ?3)");
    set.bind(1, account_id).bind(2, static_cast<int64_t>(p.quiet->start_minute)).bind(3, static_cast<int64_t>(p.quiet->end_minute));
    ok = set.step() == SQLITE_DONE;
  }
  std::string error = ok ? "" : sqlite3_errmsg(db_);
  sqlite3_exec(db_, ok ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
  if (!ok) return Status::error("storing preferences: " + error);
  return Status::ok();
}

bool NotificationStore::muted(int64_t account_id, std::string_view source, std::string_view category) {
  std::lock_guard lock(mutex_);
  Query q(db_, "SELECT 1 FROM notification_mutes WHERE account_id = ?1 AND source = ?2 AND category = ?3");
  q.bind(1, account_id).bind(2, source).bind(3, category);
  return q.step() == SQLITE_ROW;
}

}  // namespace machi::notify
