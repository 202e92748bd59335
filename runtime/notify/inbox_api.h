// The resident's in-app inbox over HTTP (paths under /api/v1/me/notifications):
//   GET  me/notifications?limit=N&before=ID   newest first, with the unread count
//   POST me/notifications/{id}/read           marks one read (204)
//   POST me/notifications/read-all            marks all read ({"marked": n})
// The caller is already authenticated (bearer token or cookie session with CSRF).
// Thread-safety: free function, runs on a worker thread.
#pragma once

#include <string_view>

#include "runtime/http/http_message.h"
#include "runtime/identity/account_store.h"
#include "runtime/manifest/manifest.h"
#include "runtime/notify/notification_store.h"

namespace machi::notify {

HttpResponse handle_inbox(NotificationStore& store, const identity::Account& account,
                          const HttpRequest& request, std::string_view rest);

// GET/PUT /api/v1/me/notification-preferences:
//   {"muted": [{"source": "garbage" | null, "category": "…"}], "quiet_hours": {"start": "22:00",
//    "end": "07:00"} | null, "language": "ja"}
// muted: categories not delivered from that source (null: the municipality's own notices);
// critical notifications are delivered anyway. quiet_hours: local times (the municipality's zone)
// during which pushes wait (the inbox still receives); critical ones are pushed at once.
// language: the resident's language (one of the manifest's locales). PUT changes the fields given.
HttpResponse handle_preferences(NotificationStore& store, identity::AccountStore& accounts, const Manifest& manifest,
                                const identity::Account& account, const HttpRequest& request);

}  // namespace machi::notify
