// NotificationStore: the in-app inbox, in the municipality's runtime database (next to the
// accounts, so deleting an account deletes its notifications and a broadcast selects its audience
// in one statement). A notification is committed before anyone is told it exists; the unique
// (account, source, key) makes every add idempotent, so a relay that crashes and repeats an add
// still leaves exactly one copy in the inbox.
// Thread-safety: every method is thread-safe (the runtime database's connection behind its lock).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/notify/notification.h"
#include "runtime/status.h"
#include "runtime/storage/runtime_database.h"

namespace machi::notify {

class NotificationStore {
 public:
  explicit NotificationStore(storage::RuntimeDatabase& db) : db_(db.get()), mutex_(db.mutex()) {}

  struct Added {
    int64_t id = 0;
    bool inserted = false;  // false: this (account, source, key) was already in the inbox
  };
  Result<Added> add(int64_t account_id, const Notification& n);
  // Several at once, in one transaction (all or none).
  Result<std::vector<Added>> add_all(const std::vector<std::pair<int64_t, Notification>>& items);

  struct Page {
    std::vector<Notification> items;  // newest first; expired ones are left out
    int64_t unread = 0;               // unread and unexpired, in the whole inbox
    std::optional<int64_t> next_before;  // pass as `before` for the next page
  };
  Result<Page> inbox(int64_t account_id, int64_t now_ms, std::optional<int64_t> before,
                     size_t limit);
  std::optional<Notification> get(int64_t account_id, int64_t id);
  // NOT_FOUND-style error when the notification is not this account's.
  Status mark_read(int64_t account_id, int64_t id, int64_t now_ms);
  Result<int64_t> mark_all_read(int64_t account_id, int64_t now_ms);  // how many changed
  // Every notification of the account (for the data export), oldest first.
  std::vector<Notification> all(int64_t account_id);

  // --- Preferences ---
  struct QuietHours {
    int start_minute = 0;  // local minutes after midnight; the window may wrap past midnight
    int end_minute = 0;
  };
  struct Preferences {
    std::vector<std::pair<std::string, std::string>> muted;  // (source, category); source "" = municipality
    std::optional<QuietHours> quiet;
  };
  static constexpr size_t kMaxMutes = 200;
  Preferences preferences(int64_t account_id);
  Status set_preferences(int64_t account_id, const Preferences& p);
  bool muted(int64_t account_id, std::string_view source, std::string_view category);

  // --- Web Push subscriptions and the push queue ---
  static constexpr size_t kMaxSubscriptions = 10;  // per resident (phones, tablets, browsers)
  struct Subscription {
    int64_t id = 0;
    std::string endpoint;
    std::string p256dh;  // raw 65 bytes
    std::string auth;    // raw 16 bytes
    int64_t created_ms = 0;
  };
  // Stores (or takes over: a device's endpoint belongs to whoever subscribed on it last) a
  // subscription. Error when the resident already has kMaxSubscriptions others.
  Result<int64_t> add_subscription(int64_t account_id, const Subscription& s);
  std::vector<Subscription> subscriptions(int64_t account_id);
  bool remove_subscription(int64_t account_id, int64_t id);
  void drop_subscription(int64_t id);  // the push service says it is gone (404/410)

  struct PushItem {
    Notification notification;
    Subscription subscription;
    int64_t attempts = 0;
    std::optional<QuietHours> quiet;  // the resident's, if set
  };
  // Queue entries due at `now_ms`, oldest first.
  std::vector<PushItem> due_pushes(int64_t now_ms, size_t limit);
  void push_done(int64_t notification_id, int64_t subscription_id);
  void push_retry(int64_t notification_id, int64_t subscription_id, int64_t next_ms);
  // Later, without counting an attempt (quiet hours).
  void push_defer(int64_t notification_id, int64_t subscription_id, int64_t next_ms);
  int64_t queued_pushes();

 private:
  Result<Added> add_locked(int64_t account_id, const Notification& n);

  sqlite3* db_;
  std::mutex& mutex_;
};

}  // namespace machi::notify
