#include "runtime/notify/push_sender.h"

#include <boost/json/serialize.hpp>
#include <openssl/sha.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "runtime/identity/base64url.h"
#include "runtime/log/log.h"
#include "runtime/notify/web_push.h"
#include "runtime/routing/municipalities.h"
#include "runtime/scheduler/local_time.h"

namespace machi::notify {

std::string PushSender::payload(const Notification& n) {
  boost::json::object o{{"id", n.id},           {"title", n.title},   {"body", n.body},
                        {"link", n.link},       {"urgency", n.urgency}, {"category", n.category},
                        {"source", n.source}};
  std::string text = boost::json::serialize(o);
  if (text.size() <= kMaxPushPlaintext) return text;
  // Too long for one push record: shorten the body (the inbox keeps the whole text).
  std::string body = n.body;
  size_t over = text.size() - kMaxPushPlaintext + 3;  // room for "…"
  body.resize(body.size() > over ? body.size() - over : 0);
  while (!body.empty() && (static_cast<unsigned char>(body.back()) & 0xC0) == 0x80) body.pop_back();
  if (!body.empty() && static_cast<unsigned char>(body.back()) >= 0xC0) body.pop_back();  // cut lead byte
  o["body"] = body + "…";
  return boost::json::serialize(o);
}

std::string PushSender::topic(std::string_view municipality_id, int64_t notification_id) {
  std::string input = std::string(municipality_id) + "/" + std::to_string(notification_id);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return identity::base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), 24));  // 32 chars
}

int64_t PushSender::retry_delay_ms(int64_t attempts) {
  int64_t delay = 2000;
  for (int64_t i = 0; i < attempts && delay < 3'600'000; ++i) delay *= 2;
  return std::min<int64_t>(delay, 3'600'000);
}

std::string PushSender::vapid_header(const MunicipalitySnapshot& m, const std::string& origin,
                                     int64_t now_s) {
  std::lock_guard lock(mutex_);
  CachedVapid& cached = vapid_[m.manifest.municipality_id + " " + origin];
  if (cached.expires_s - now_s < 3600) {  // renew an hour before the 12 h token ends
    int64_t expires = now_s + 12 * 3600;
    auto header = vapid_authorization(m.identity->vapid_key(), origin, m.manifest.push.contact, expires);
    if (!header) return {};
    cached = {header.value(), expires};
  }
  return cached.header;
}

PushSender::Stats PushSender::run(const MunicipalitySnapshot& m, int64_t now_ms, size_t limit) {
  Stats total;
  if (!m.identity) return total;
  NotificationStore& store = m.identity->notifications();
  std::vector<NotificationStore::PushItem> items = store.due_pushes(now_ms, limit);
  // Several requests in flight: each waits mostly on the network (TLS handshake, the service).
  std::atomic<size_t> next{0};
  std::mutex stats_mutex;
  auto work = [&] {
    Stats mine;
    for (size_t k; (k = next.fetch_add(1)) < items.size();) send_one(m, store, items[k], now_ms, mine);
    std::lock_guard lock(stats_mutex);
    total.sent += mine.sent;
    total.retried += mine.retried;
    total.dropped += mine.dropped;
    total.gone += mine.gone;
    total.deferred += mine.deferred;
  };
  size_t threads = std::min(kParallel, items.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return total;
}

void PushSender::send_one(const MunicipalitySnapshot& m, NotificationStore& store,
                          const NotificationStore::PushItem& item, int64_t now_ms, Stats& stats) {
  const Notification& n = item.notification;
  const auto& sub = item.subscription;
  if (n.expires_ms && *n.expires_ms <= now_ms) {
    store.push_done(n.id, sub.id);
    ++stats.dropped;
    return;
  }
  // Quiet hours (the resident's, in the municipality's zone) hold pushes back until they end;
  // critical messages (disaster warnings) ignore them. The inbox has the message already.
  if (item.quiet && n.urgency != "critical") {
    if (auto end = end_of_local_window(m.manifest.timezone, now_ms, item.quiet->start_minute,
                                       item.quiet->end_minute)) {
      store.push_defer(n.id, sub.id, *end);
      ++stats.deferred;
      return;
    }
  }
  // Checked at subscription time; checked again here, as the allowlist may have changed.
  if (!push_endpoint_allowed(m.manifest.push.services, sub.endpoint)) {
    log_line(LogLevel::kWarn, "push", "subscription's push service no longer allowed; deleted",
             {{"municipality", m.manifest.municipality_id}});
    store.drop_subscription(sub.id);
    ++stats.gone;
    return;
  }
  std::string origin = push_origin(sub.endpoint);
  auto body = encrypt_push(payload(n), {sub.p256dh, sub.auth, "", ""});
  std::string authorization = vapid_header(m, origin, now_ms / 1000);
  if (!body || authorization.empty()) {
    log_line(LogLevel::kError, "push", "cannot build the push message; dropped",
             {{"reason", body ? "VAPID signing failed" : body.error()}});
    store.push_done(n.id, sub.id);
    ++stats.dropped;
    return;
  }
  int64_t ttl = n.expires_ms ? std::max<int64_t>(0, (*n.expires_ms - now_ms) / 1000) : 7 * 24 * 3600;
  PushRequest request;
  request.url = sub.endpoint;
  request.body = std::move(body).value();
  request.headers = {{"content-type", "application/octet-stream"},
                     {"content-encoding", "aes128gcm"},
                     {"ttl", std::to_string(ttl)},
                     {"urgency", n.urgency == "critical" ? "high" : n.urgency},
                     {"topic", topic(m.manifest.municipality_id, n.id)},
                     {"authorization", authorization}};
  PushReply reply = transport_(request);
  if (reply.status >= 200 && reply.status < 300) {
    store.push_done(n.id, sub.id);
    ++stats.sent;
  } else if (reply.status == 404 || reply.status == 410) {
    store.drop_subscription(sub.id);
    ++stats.gone;
  } else if (reply.status == 0 || reply.status == 429 || reply.status >= 500) {
    if (item.attempts + 1 >= kMaxAttempts) {
      log_line(LogLevel::kWarn, "push", "push message given up after retries",
               {{"status", std::to_string(reply.status)}, {"reason", reply.error}});
      store.push_done(n.id, sub.id);
      ++stats.dropped;
    } else {
      store.push_retry(n.id, sub.id, now_ms + retry_delay_ms(item.attempts));
      ++stats.retried;
    }
  } else {
    log_line(LogLevel::kWarn, "push", "push service refused the message; dropped",
             {{"status", std::to_string(reply.status)}});
    store.push_done(n.id, sub.id);
    ++stats.dropped;
  }

}

}  // namespace machi::notify
