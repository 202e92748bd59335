// TokenCache: access tokens that already verified, until they expire, so a resident's requests
// pay for one ES256 verification per token rather than one per request. Keyed by the whole token
// text (compared in full, so no other string can hit an entry). Bounded: when full, it is
// cleared (tokens then verify again — correct, just slower).
// Thread-safety: every method is thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace machi::identity {

template <typename Value>
class TokenCache {
 public:
  explicit TokenCache(size_t max_entries) : max_entries_(max_entries) {}

  std::optional<Value> find(std::string_view token, int64_t now) const {
    std::shared_lock lock(mutex_);
    auto it = entries_.find(token);  // heterogeneous: no copy of the token
    if (it == entries_.end() || it->second.expires <= now) return std::nullopt;
    return it->second.value;
  }

  void insert(std::string_view token, Value value, int64_t expires) {
    std::unique_lock lock(mutex_);
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_[std::string(token)] = Entry{std::move(value), expires};
  }

  size_t size() const {
    std::shared_lock lock(mutex_);
    return entries_.size();
  }

 private:
  struct Entry {
    Value value;
    int64_t expires;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  size_t max_entries_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

}  // namespace machi::identity
