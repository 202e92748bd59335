// PushSender: delivers the Web Push queue (one entry per notification and subscription, written
// with the inbox row in the same transaction). Each entry is encrypted for its subscription
// (aes128gcm, a fresh key and salt per message), signed with the municipality's VAPID key, and
// POSTed to the subscription's push service over TLS with certificate verification. Outcomes:
//   2xx          delivered: the entry is removed
//   404, 410     the subscription is gone: it is deleted (and its other entries with it)
//   429, 5xx, no answer (connect, TLS, timeout)
//                retried with exponential back-off (2 s … 1 h), at most kMaxAttempts times
//   other 4xx    refused for good (logged): the entry is removed
// Entries past the notification's expiry are removed unsent. Guarantee: at-least-once per
// subscription — a crash after the service accepted a message and before the entry is removed
// sends it again; each message carries the notification's id (in the payload) and a Topic
// header derived from it, so the service replaces an undelivered copy and the web app's service
// worker shows a repeat only once.
// Thread-safety: run() may be called from one thread at a time per municipality; it sends up to
// kParallel requests at once on threads of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime/notify/notification_store.h"

namespace machi {
struct MunicipalitySnapshot;
}

namespace machi::notify {

struct PushRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};
struct PushReply {
  unsigned status = 0;  // 0: no HTTP answer; `error` says why
  std::string error;
};
// Sends one request (runtime/http/https_client.h in production, a fake in unit tests).
using PushTransport = std::function<PushReply(const PushRequest&)>;

class PushSender {
 public:
  static constexpr int kMaxAttempts = 10;
  static constexpr size_t kParallel = 8;  // requests in flight per pass
  explicit PushSender(PushTransport transport) : transport_(std::move(transport)) {}

  struct Stats {
    size_t sent = 0;
    size_t retried = 0;
    size_t dropped = 0;  // refused, expired or out of attempts
    size_t gone = 0;     // subscriptions deleted (404/410)
    size_t deferred = 0; // held back by the resident's quiet hours
  };
  Stats run(const MunicipalitySnapshot& m, int64_t now_ms, size_t limit = 500);

  // The message a service worker receives (JSON, ≤ 3993 bytes; a long body is shortened).
  static std::string payload(const Notification& n);
  // A stable Topic header value (≤ 32 base64url characters) for a notification.
  static std::string topic(std::string_view municipality_id, int64_t notification_id);
  static int64_t retry_delay_ms(int64_t attempts);

 private:
  void send_one(const MunicipalitySnapshot& m, NotificationStore& store,
                const NotificationStore::PushItem& item, int64_t now_ms, Stats& stats);
  std::string vapid_header(const MunicipalitySnapshot& m, const std::string& origin, int64_t now_s);

  PushTransport transport_;
  std::mutex mutex_;
  struct CachedVapid {
    std::string header;
    int64_t expires_s = 0;
  };
  std::map<std::string, CachedVapid> vapid_;  // by municipality + origin; reused ~12 h
};

}  // namespace machi::notify
