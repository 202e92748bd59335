#include "runtime/live/live_hub.h"

#include <vector>

namespace machi {

uint64_t LiveHub::subscribe(const std::string& channel_key, Subscriber subscriber) {
  std::lock_guard lock(mutex_);
  uint64_t id = next_id_++;
  subscribers_.emplace(id, std::make_pair(channel_key,
                                          std::make_shared<Subscriber>(std::move(subscriber))));
  return id;
}

void LiveHub::unsubscribe(uint64_t id) {
  std::lock_guard lock(mutex_);
  subscribers_.erase(id);
}

uint32_t LiveHub::publish(const std::string& channel_key, std::string_view message) {
  // Copy the matching subscribers out so they run without the lock held.
  std::vector<std::shared_ptr<Subscriber>> targets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : subscribers_) {
      if (entry.first == channel_key) targets.push_back(entry.second);
    }
  }
  for (const auto& target : targets) (*target)(message);
  return static_cast<uint32_t>(targets.size());
}

std::string LiveHub::channel_key(std::string_view municipality, std::string_view mount,
                                 std::string_view channel) {
  std::string key;
  key.reserve(municipality.size() + mount.size() + channel.size() + 2);
  key.append(municipality).append("/").append(mount).append("/").append(channel);
  return key;
}

}  // namespace machi
