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

namespace machi::notify {

HttpResponse handle_inbox(NotificationStore& store, const identity::Account& account,
                          const HttpRequest& request, std::string_view rest);

}  // namespace machi::notify
