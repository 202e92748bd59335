#include "runtime/notify/stream_api.h"

#include <boost/json/serialize.hpp>
#include <openssl/rand.h>

#include <memory>
#include <vector>

#include "runtime/http/event_stream.h"
#include "runtime/identity/base64url.h"
#include "runtime/identity/token_cache.h"
#include "runtime/notify/notifier.h"
#include "runtime/routing/municipalities.h"

namespace machi::notify {
namespace {

namespace json = boost::json;

std::string ticket_key(std::string_view municipality, std::string_view ticket) {
  identity::CacheKey k = identity::cache_key({municipality, ticket});
  return std::string(reinterpret_cast<const char*>(k.data()), k.size());
}

// Subscribes `stream` to each channel key, forwarding messages through `format`; unsubscribes
// when the stream ends. The hub holds the stream weakly: a finished stream is not kept alive.
void subscribe_all(LiveHub& live, const std::shared_ptr<EventStream>& stream,
                   const std::vector<std::pair<std::string, std::string>>& channels) {
  auto ids = std::make_shared<std::vector<uint64_t>>();
  for (const auto& [key, label] : channels) {
    std::weak_ptr<EventStream> weak = stream;
    ids->push_back(live.subscribe(key, [weak, label = label](std::string_view message) {
      auto s = weak.lock();
      if (!s) return;
      if (label.empty()) {
        s->send("notification", message);  // the inbox: already one JSON object
      } else {
        s->send("live", json::serialize(json::object{{"channel", label}, {"message", message}}));
      }
    }));
  }
  stream->on_end([&live, ids] {
    for (uint64_t id : *ids) live.unsubscribe(id);
  });
}

HttpResponse streaming(std::shared_ptr<EventStream> stream) {
  HttpResponse r;
  r.stream = std::move(stream);
  return r;
}

}  // namespace

HttpResponse StreamApi::issue_ticket(const MunicipalitySnapshot& m, const std::string& public_id) {
  unsigned char random[32];
  RAND_bytes(random, sizeof random);
  std::string ticket = identity::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(random), sizeof random));
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    for (auto it = tickets_.begin(); it != tickets_.end();) {  // forget expired tickets
      it = it->second.expires <= now ? tickets_.erase(it) : std::next(it);
    }
    if (tickets_.size() >= 100'000) {
      return json_error(503, "overloaded", "too many open stream tickets; retry shortly");
    }
    tickets_[ticket_key(m.manifest.municipality_id, ticket)] =
        Ticket{m.manifest.municipality_id, public_id, now + kTicketLifetime};
  }
  HttpResponse r;
  r.status = 201;
  r.body = json::serialize(json::object{{"ticket", ticket}, {"expires_in", kTicketLifetime.count()}});
  r.headers = {{"cache-control", "no-store"}};
  return r;
}

std::optional<std::string> StreamApi::redeem_ticket(const MunicipalitySnapshot& m,
                                                    std::string_view ticket) {
  if (ticket.size() > 128) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = tickets_.find(ticket_key(m.manifest.municipality_id, ticket));
  if (it == tickets_.end()) return std::nullopt;
  Ticket t = std::move(it->second);
  tickets_.erase(it);  // one use, whatever happens next
  if (t.expires <= std::chrono::steady_clock::now()) return std::nullopt;
  return t.public_id;
}

HttpResponse StreamApi::resident_stream(const MunicipalitySnapshot& m, const std::string& public_id,
                                        const HttpRequest& request) {
  if (!live_) return json_error(503, "unavailable", "live streams are not enabled on this server");
  std::vector<std::pair<std::string, std::string>> channels;
  channels.emplace_back(Notifier::inbox_channel(m.manifest.municipality_id, public_id), "");
  if (auto asked = query_param(request.query, "channels"); asked && !asked->empty()) {
    std::string_view rest = *asked;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      auto slash = item.find('/');
      std::string_view mount = item.substr(0, slash == std::string_view::npos ? item.size() : slash);
      std::string_view channel = slash == std::string_view::npos ? std::string_view() : item.substr(slash + 1);
      if (!m.find(mount) || !LiveHub::valid_channel(channel)) {
        return json_error(400, "bad_channel",
                          "channels: '" + std::string(item.substr(0, 140)) +
                              "' is not an enabled mini-app's channel (mount/channel, channel "
                              "1–64 of [a-z0-9_.-])");
      }
      if (channels.size() > kMaxChannels) {
        return json_error(400, "too_many_channels",
                          "channels: at most " + std::to_string(kMaxChannels) + " per stream");
      }
      channels.emplace_back(LiveHub::channel_key(m.manifest.municipality_id, mount, channel),
                            std::string(item));
    }
  }
  auto stream = std::make_shared<EventStream>();
  subscribe_all(*live_, stream, channels);
  json::array names;
  for (size_t i = 1; i < channels.size(); ++i) names.emplace_back(channels[i].second);
  stream->send("ready", json::serialize(json::object{{"inbox", true}, {"channels", std::move(names)}}));
  return streaming(std::move(stream));
}

HttpResponse StreamApi::channel_stream(const MunicipalitySnapshot& m, std::string_view mount,
                                       std::string_view channel) {
  if (!live_) return json_error(503, "unavailable", "live streams are not enabled on this server");
  if (!m.find(mount)) {
    return json_error(404, "unknown_mini_app", "no mini-app '" + std::string(mount) + "' is enabled here");
  }
  if (!LiveHub::valid_channel(channel)) {
    return json_error(400, "bad_channel", "a channel is 1–64 of [a-z0-9_.-]");
  }
  auto stream = std::make_shared<EventStream>();
  std::string label = std::string(mount) + "/" + std::string(channel);
  subscribe_all(*live_, stream, {{LiveHub::channel_key(m.manifest.municipality_id, mount, channel), label}});
  stream->send("ready", json::serialize(json::object{{"channels", json::array{json::value(label)}}}));
  return streaming(std::move(stream));
}

}  // namespace machi::notify
