#include "runtime/live/live_hub.h"

#include <vector>

namespace machi {

uint64_t LiveHub::subscribe(const std::string& channel_key, Subscriber subscriber) {
  std::lock_guard lock(mutex_);
  uint64_t id = next_id_++;
  channels_[channel_key].emplace(id, std::make_shared<Subscriber>(std::move(subscriber)));
  channel_of_.emplace(id, channel_key);
  ++count_;
  return id;
}

void LiveHub::unsubscribe(uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = channel_of_.find(id);
  if (it == channel_of_.end()) return;
  auto channel = channels_.find(it->second);
  if (channel != channels_.end()) {
    channel->second.erase(id);
    if (channel->second.empty()) channels_.erase(channel);
  }
  channel_of_.erase(it);
  --count_;
}

uint32_t LiveHub::publish(const std::string& channel_key, std::string_view message) {
  // Copy the channel's subscribers out so they run without the lock held (one may unsubscribe).
  std::vector<std::shared_ptr<Subscriber>> targets;
  {
    std::lock_guard lock(mutex_);
    auto channel = channels_.find(channel_key);
    if (channel == channels_.end()) return 0;
    targets.reserve(channel->second.size());
    for (const auto& [id, subscriber] : channel->second) targets.push_back(subscriber);
  }
  for (const auto& target : targets) (*target)(message);
  return static_cast<uint32_t>(targets.size());
}

std::vector<std::string> LiveHub::channels_with_prefix(std::string_view prefix) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (auto it = channels_.lower_bound(prefix); it != channels_.end() && it->first.starts_with(prefix); ++it) {
    out.push_back(it->first);
  }
  return out;
}

size_t LiveHub::subscribers() const {
  std::lock_guard lock(mutex_);
  return count_;
}

bool LiveHub::valid_channel(std::string_view c) {
  if (c.empty() || c.size() > 64) return false;
  for (char ch : c) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
          ch == '-')) {
      return false;
    }
  }
  return true;
}

std::string LiveHub::channel_key(std::string_view municipality, std::string_view mount,
                                 std::string_view channel) {
  std::string key;
  key.reserve(municipality.size() + mount.size() + channel.size() + 2);
  key.append(municipality).append("/").append(mount).append("/").append(channel);
  return key;
}

}  // namespace machi
