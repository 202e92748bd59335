// NotificationStore: the in-app inbox, in the municipality's runtime database (next to the
// accounts, so deleting an account deletes its notifications and a broadcast selects its audience
// in one statement). A notification is committed before anyone is told it exists; the unique
// (account, source, key) makes every add idempotent, so a relay that crashes and repeats an add
// still leaves exactly one copy in the inbox.
// Thread-safety: every method is thread-safe (it shares the account store's connection and lock).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "runtime/notify/notification.h"
#include "runtime/status.h"

namespace machi::notify {

class NotificationStore {
 public:
  NotificationStore(sqlite3* db, std::mutex& mutex) : db_(db), mutex_(mutex) {}

  struct Added {
    int64_t id = 0;
    bool inserted = false;  // false: this (account, source, key) was already in the inbox
  };
  Result<Added> add(int64_t account_id, const Notification& n);

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

 private:
  sqlite3* db_;
  std::mutex& mutex_;
};

}  // namespace machi::notify
