#include "runtime/notify/notifier.h"

#include <boost/json/serialize.hpp>

#include "runtime/log/log.h"
#include "runtime/routing/municipalities.h"

namespace machi::notify {

std::string Notifier::inbox_channel(std::string_view municipality_id, std::string_view public_id) {
  // "_inbox" cannot be a mount id (ids start with a letter), so no plugin can publish here.
  return LiveHub::channel_key(municipality_id, "_inbox", public_id);
}

Result<NotificationStore::Added> Notifier::deliver(identity::MunicipalityIdentity& identity,
                                                   std::string_view municipality_id,
                                                   int64_t account_id, const Notification& n) {
  // A category the resident muted for this source is not delivered — unless it is critical
  // (disaster warnings reach everyone).
  if (n.urgency != "critical" && identity.notifications().muted(account_id, n.source, n.category)) {
    return NotificationStore::Added{0, false};
  }
  auto added = identity.notifications().add(account_id, n);
  if (!added || !added.value().inserted || !live_) return added;
  publish(municipality_id, account_id, n, added.value().id, identity);
  return added;
}

void Notifier::publish(std::string_view municipality_id, int64_t account_id, const Notification& n,
                       int64_t id, identity::MunicipalityIdentity& identity) {
  auto account = identity.accounts().by_id(account_id);
  if (!account) return;
  Notification stored = n;
  stored.id = id;
  boost::json::object event{{"type", "notification"}, {"notification", to_json(stored)}};
  live_->publish(inbox_channel(municipality_id, account->public_id), boost::json::serialize(event));
}

size_t Notifier::relay(const MunicipalitySnapshot& m, int64_t now_ms) {
  if (!m.identity) return 0;
  size_t moved = 0;
  auto& store = m.identity->notifications();
  for (const auto& app : m.apps) {
    const std::string& mount = app->entry.id;
    // A batch of up to 500 items becomes inbox rows in one transaction, then leaves the outbox
    // in one statement: two commits per batch instead of two per notification.
    moved += app->instance->drain_outbox_batch(
        [&](const std::vector<storage::OutboxItem>& items) {
          std::vector<std::pair<int64_t, Notification>> batch;
          batch.reserve(items.size());
          for (const storage::OutboxItem& item : items) {
            auto account = m.identity->consents().account_for_subject(mount, item.subject);
            if (!account) {
              // The resident deleted their account after the plugin wrote this: nobody to tell.
              log_line(LogLevel::kInfo, "notify", "recipient gone; notification dropped",
                       {{"mini_app", mount}});
              continue;
            }
            auto parsed = parse_notification(item.notification, 0);  // checked when written
            if (!parsed) {
              log_line(LogLevel::kError, "notify", "outbox item unreadable; dropped",
                       {{"mini_app", mount}, {"reason", parsed.error()}});
              continue;
            }
            Notification n = std::move(parsed).value();
            if (n.expires_ms && *n.expires_ms <= now_ms) {
              log_line(LogLevel::kInfo, "notify", "notification expired before delivery",
                       {{"mini_app", mount}});
              continue;
            }
            // A category the resident muted for this source is not delivered — unless critical.
            n.source = mount;
            if (n.urgency != "critical" && store.muted(*account, n.source, n.category)) continue;
            n.created_ms = now_ms;
            if (!n.link.empty()) n.link = "/apps/" + mount + n.link;
            batch.emplace_back(*account, std::move(n));
          }
          auto added = store.add_all(batch);
          if (!added) {
            log_line(LogLevel::kError, "notify", "inbox write failed; retried",
                     {{"mini_app", mount}, {"reason", added.error()}});
            return false;
          }
          for (size_t i = 0; i < batch.size() && live_; ++i) {
            if (added.value()[i].inserted) publish(m.manifest.municipality_id, batch[i].first, batch[i].second, added.value()[i].id, *m.identity);
          }
          return true;
        },
        500);
  }
  return moved;
}

}  // namespace machi::notify
