// A resident's Web Push subscriptions (paths under /api/v1/me/push-subscriptions):
//   POST   me/push-subscriptions        {endpoint, keys: {p256dh, auth}} (PushSubscription.toJSON())
//   GET    me/push-subscriptions        the resident's subscriptions (origin and id only)
//   DELETE me/push-subscriptions/{id}
// and the public GET /api/v1/push/vapid-public-key (the web app's applicationServerKey).
// An endpoint must be an https URL on the manifest's push-service allowlist: a resident-supplied
// URL never makes the server call an arbitrary host.
// Thread-safety: free functions.
#pragma once

#include <string_view>

#include "runtime/http/http_message.h"
#include "runtime/identity/account_store.h"
#include "runtime/notify/notification_store.h"
#include "runtime/manifest/manifest.h"

namespace machi::notify {

inline constexpr size_t kMaxEndpointBytes = 1024;

HttpResponse handle_push_subscriptions(NotificationStore& store, const Manifest& manifest,
                                       const identity::Account& account, const HttpRequest& request,
                                       std::string_view rest);

}  // namespace machi::notify
