// TokenCache: results that already verified (access tokens, pairwise subjects, disclosed claims),
// until they expire, so a resident's requests pay for one ES256 verification per token rather
// than one per request. Keyed by the SHA-256 of the key's parts (each length-prefixed, so
// ("ab","c") and ("a","bc") differ): a 32-byte key compared in full, never the token text, which
// keeps each lookup to one slot instead of a walk over kilobytes of scattered tokens.
// Bounded: when full, it is cleared (entries then verify again — correct, just slower).
// Thread-safety: every method is thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <vector>

namespace machi::identity {

using CacheKey = std::array<unsigned char, 32>;

// SHA-256 over the length-prefixed parts.
CacheKey cache_key(std::initializer_list<std::string_view> parts);

template <typename Value>
class TokenCache {
 public:
  // Open addressing with linear probing in one array of slots (key, expiry and value side by
  // side), so a lookup costs one cache line rather than a bucket, a node and a key elsewhere.
  // The table grows by doubling up to twice max_entries slots.
  explicit TokenCache(size_t max_entries) : max_entries_(max_entries) { slots_.resize(16); }

  std::optional<Value> find(const CacheKey& key, int64_t now) const {
    std::shared_lock lock(mutex_);
    const Slot* slot = locate(slots_, key);
    if (!slot->used || slot->expires <= now) return std::nullopt;
    return slot->value;
  }

  void insert(const CacheKey& key, Value value, int64_t expires) {
    std::unique_lock lock(mutex_);
    if (used_ >= max_entries_) {
      slots_.assign(slots_.size(), Slot{});
      used_ = 0;
    }
    if ((used_ + 1) * 2 > slots_.size()) grow();
    Slot* slot = const_cast<Slot*>(locate(slots_, key));
    if (!slot->used) {
      ++used_;
      slot->used = true;
      slot->key = key;
    }
    slot->expires = expires;
    slot->value = std::move(value);
  }

  size_t size() const {
    std::shared_lock lock(mutex_);
    return used_;
  }

 private:
  struct Slot {
    CacheKey key{};
    int64_t expires = 0;
    bool used = false;
    Value value{};
  };

  // The slot holding key, or the empty slot where it would go (the table is never full).
  static const Slot* locate(const std::vector<Slot>& slots, const CacheKey& key) {
    size_t mask = slots.size() - 1;
    size_t h;
    std::memcpy(&h, key.data(), sizeof h);  // the key is already a uniform hash
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots[i];
      if (!s.used || s.key == key) return &s;
    }
  }

  void grow() {
    std::vector<Slot> bigger(slots_.size() * 2);
    for (Slot& s : slots_) {
      if (s.used) *const_cast<Slot*>(locate(bigger, s.key)) = std::move(s);
    }
    slots_ = std::move(bigger);
  }

  size_t max_entries_;
  mutable std::shared_mutex mutex_;
  std::vector<Slot> slots_;
  size_t used_ = 0;
};

}  // namespace machi::identity
