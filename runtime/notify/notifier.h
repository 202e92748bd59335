// Notifier: moves notifications into residents' inboxes and tells their open streams.
// Two ways in: a mini-app's outbox (written by the host's notify() inside the plugin's own
// transaction; relay() moves each item once it is committed) and the runtime's own senders
// (broadcasts), which call deliver(). Delivery guarantee: an item leaves the outbox only after
// its inbox row is committed, and the inbox's unique (resident, source, key) makes a repeat after
// a crash a no-op — so the inbox holds every committed notification exactly once.
// Thread-safety: every method is thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/identity/municipality_identity.h"
#include "runtime/live/live_hub.h"
#include "runtime/notify/notification_store.h"

namespace machi {
struct MunicipalitySnapshot;
}

namespace machi::notify {

class Notifier {
 public:
  explicit Notifier(LiveHub* live) : live_(live) {}

  // Stores `n` in the account's inbox and, if it is new, publishes it to the resident's streams.
  Result<NotificationStore::Added> deliver(identity::MunicipalityIdentity& identity,
                                           std::string_view municipality_id, int64_t account_id,
                                           const Notification& n);
  // Moves every mounted mini-app's committed outbox items into inboxes. Returns how many.
  size_t relay(const MunicipalitySnapshot& m, int64_t now_ms);

  // The live channel that carries one resident's inbox events (new notifications).
  static std::string inbox_channel(std::string_view municipality_id, std::string_view public_id);

 private:
  void publish(std::string_view municipality_id, int64_t account_id, const Notification& n, int64_t id,
               identity::MunicipalityIdentity& identity);
  LiveHub* live_;
};

}  // namespace machi::notify
