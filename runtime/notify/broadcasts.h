// Broadcasts: a municipality's notices to an audience defined by attributes, never by name.
//   POST /api/v1/staff/broadcasts/preview   {audience}               → {audience_size, minimum, allowed}
//   POST /api/v1/staff/broadcasts           {audience, notification} → 201 (200 for a repeated key)
//   GET  /api/v1/staff/broadcasts[/{id}]    delivery state and open rate
// audience (every member optional; all given must hold): districts [ids], age {min, max}
// (years, from the profile's birth date), children_under (years: a household child younger than
// that), audience ("resident" | "visitor"), languages [tags]. An audience smaller than the
// manifest's broadcasts.minimum_audience is refused, so a broadcast cannot single out a person.
// The whole broadcast — one inbox row per recipient and their push queue entries — is one
// transaction: committed before the answer, exactly once per resident (by key), or not at all.
// Residents who muted the category for municipality notices are left out unless it is critical;
// staff accounts are never part of an audience.
// Staff need the "operator" role.
// Thread-safety: BroadcastStore shares the account store's connection and lock.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/notify/notification.h"
#include "runtime/status.h"
#include "runtime/storage/runtime_database.h"

namespace machi::notify {

struct Audience {
  std::vector<std::string> districts;
  std::optional<int> min_age;
  std::optional<int> max_age;
  std::optional<int> children_under;
  std::string audience;  // "", "resident" or "visitor"
  std::vector<std::string> languages;
};

struct BroadcastState {
  int64_t id = 0;
  std::string key;
  std::string title;
  std::string category;
  std::string urgency;
  std::string created_by;
  int64_t created_ms = 0;
  int64_t recipients = 0;    // inbox rows written
  int64_t read = 0;          // of those, opened
  int64_t push_pending = 0;  // push messages not yet accepted by a push service
};

class BroadcastStore {
 public:
  explicit BroadcastStore(storage::RuntimeDatabase& db) : db_(db.get()), mutex_(db.mutex()) {}

  // `today` is YYYY-MM-DD in the municipality's zone (ages are counted from it).
  Result<int64_t> audience_size(const Audience& a, const std::string& today);
  struct Sent {
    BroadcastState state;
    bool created = false;  // false: this key was broadcast before; nothing sent again
  };
  Result<Sent> send(const Audience& a, const std::string& today, const Notification& n,
                    const std::string& created_by, int64_t minimum);
  std::vector<BroadcastState> list(size_t limit);
  std::optional<BroadcastState> get(int64_t id);
  // The public ids of the recipients among `public_ids` (to tell their open streams).
  std::vector<std::pair<std::string, int64_t>> recipients_among(int64_t broadcast_id,
                                                                const std::vector<std::string>& public_ids);

 private:
  std::optional<BroadcastState> get_locked(int64_t id);
  sqlite3* db_;
  std::mutex& mutex_;
};

}  // namespace machi::notify
