// LiveHub: named live channels inside one process. Plugins publish through the host API;
// the HTTP layer subscribes a client's stream (WebSocket/SSE) to a channel.
// A channel key is "municipality/mount/channel", so instances never see each other's channels.
// Thread-safety: all methods are thread-safe. Subscribers are called on the publishing thread
// and must not block (they queue the message for their own connection).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace machi {

class LiveHub {
 public:
  using Subscriber = std::function<void(std::string_view message)>;

  // Returns an id for unsubscribe().
  uint64_t subscribe(const std::string& channel_key, Subscriber subscriber);
  void unsubscribe(uint64_t id);
  // Number of subscribers reached.
  uint32_t publish(const std::string& channel_key, std::string_view message);
  size_t subscribers() const;
  // Channel keys with at least one subscriber that start with `prefix`.
  std::vector<std::string> channels_with_prefix(std::string_view prefix) const;

  // A plugin's channel name: 1–64 of [a-z0-9_.-].
  static bool valid_channel(std::string_view name);
  static std::string channel_key(std::string_view municipality, std::string_view mount,
                                 std::string_view channel);

 private:
  mutable std::mutex mutex_;
  uint64_t next_id_ = 1;
  // By channel, so a publish touches only its own subscribers.
  std::map<std::string, std::map<uint64_t, std::shared_ptr<Subscriber>>, std::less<>> channels_;
  std::map<uint64_t, std::string> channel_of_;
  size_t count_ = 0;
};

}  // namespace machi
