// TokenCache: results that already verified (access tokens, pairwise subjects, disclosed claims),
// until they expire, so a resident's requests pay for one ES256 verification per token rather
// than one per request. Keyed by the SHA-256 of the key's parts (each length-prefixed, so
// ("ab","c") and ("a","bc") differ): a 32-byte key compared in full, never a token's text, which
// keeps each lookup to one slot instead of a walk over kilobytes of scattered tokens. (A caller
// whose key covers only part of its input checks the rest with find_prefetched's `accept`.)
// Bounded: when full, it is cleared (entries then verify again — correct, just slower).
// Thread-safety: every method is thread-safe.
#pragma once

#include <openssl/types.h>

#include <sys/mman.h>

#include <array>
#include <new>
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

// cache_key() piece by piece, for a caller with work to overlap with the hashing:
// `part(p)` = `length(p.size())` then `bytes()` of p's pieces in order.
class KeyHasher {
 public:
  KeyHasher();
  ~KeyHasher();
  KeyHasher(const KeyHasher&) = delete;
  KeyHasher& operator=(const KeyHasher&) = delete;
  void part(std::string_view p) {
    length(p.size());
    bytes(p);
  }
  void length(uint64_t n);
  void bytes(std::string_view piece);
  CacheKey finish();

 private:
  EVP_MD_CTX* ctx_;
};

// Allocates tables of 2 MiB and more on 2 MiB boundaries and asks the kernel for transparent
// huge pages for them (madvise; ignored where THP is off): a lookup in a table of thousands of
// tokens then needs no page walk, which on a VM's nested paging costs as much as the lookup.
template <typename T>
struct LargeTableAllocator {
  using value_type = T;
  static constexpr size_t kHugePage = size_t{2} << 20;
  LargeTableAllocator() = default;
  template <typename U>
  LargeTableAllocator(const LargeTableAllocator<U>&) {}
  static size_t alignment(size_t bytes) { return bytes >= kHugePage ? kHugePage : alignof(T); }
  T* allocate(size_t n) {
    size_t bytes = n * sizeof(T);
    void* p = ::operator new(bytes, std::align_val_t(alignment(bytes)));
    if (bytes >= kHugePage) madvise(p, bytes, MADV_HUGEPAGE);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) { ::operator delete(p, std::align_val_t(alignment(n * sizeof(T)))); }
  template <typename U>
  bool operator==(const LargeTableAllocator<U>&) const { return true; }
};

template <typename Value>
class TokenCache {
 public:
  // Open addressing with linear probing in one array of slots (key, expiry and value side by
  // side), so a lookup costs one cache line rather than a bucket, a node and a key elsewhere.
  // The table grows by doubling up to twice max_entries slots.
  explicit TokenCache(size_t max_entries) : max_entries_(max_entries) { slots_.resize(16); }

  std::optional<Value> find(const CacheKey& key, int64_t now) const {
    std::shared_lock lock(mutex_);
    const Slot* slot = locate(slots_, key, hint_of(key));
    if (!slot->used() || slot->expires <= now) return std::nullopt;
    return slot->value;
  }

  // The same lookup for a caller that knows where the entry sits (`hint`, from bytes of the input
  // that an attacker cannot choose for a stored entry, e.g. a verified token's signature) before
  // it has computed the key: the slot's line is fetched from memory while make_key(candidate)
  // computes the key, and `candidate` — the value in that slot, possibly another key's or empty,
  // read under the lock — lets make_key prefetch what the value points to. An entry found counts
  // only if accept(value) holds (for a key over part of the input: the rest compared with what
  // was stored). Entries must be inserted with the same hint.
  template <typename MakeKey, typename Accept>
  std::optional<Value> find_prefetched(uint64_t hint, int64_t now, MakeKey&& make_key,
                                       Accept&& accept) const {
    std::shared_lock lock(mutex_);
    const Slot* first = &slots_[hint & (slots_.size() - 1)];
    __builtin_prefetch(first);
    CacheKey key = make_key(first->value);
    const Slot* slot = locate(slots_, key, hint);
    if (!slot->used() || slot->expires <= now || !accept(slot->value)) return std::nullopt;
    return slot->value;
  }

  // Starts fetching the slot where an entry filed under `hint` is looked for first.
  void prefetch(uint64_t hint) const {
    std::shared_lock lock(mutex_);
    __builtin_prefetch(&slots_[hint & (slots_.size() - 1)]);
  }

  void insert(const CacheKey& key, Value value, int64_t expires) {
    insert(key, std::move(value), expires, hint_of(key));
  }

  void insert(const CacheKey& key, Value value, int64_t expires, uint64_t hint) {
    if (expires <= 0) return;  // never valid (and 0 marks a free slot)
    std::unique_lock lock(mutex_);
    if (used_ >= max_entries_) {
      slots_.assign(slots_.size(), Slot{});
      used_ = 0;
    }
    if ((used_ + 1) * 2 > slots_.size()) grow();
    Slot* slot = const_cast<Slot*>(locate(slots_, key, hint));
    if (!slot->used()) {
      ++used_;
      slot->key = key;
      slot->hint = hint;
    }
    slot->expires = expires;
    slot->value = std::move(value);
  }

  size_t size() const {
    std::shared_lock lock(mutex_);
    return used_;
  }

 private:
  // One cache line per slot when the value is a pointer (aligned, so a slot never straddles two).
  struct alignas(64) Slot {
    CacheKey key{};
    uint64_t hint = 0;  // where the slot's probe starts, kept for growing
    int64_t expires = 0;  // > 0 in a used slot
    Value value{};
    bool used() const { return expires != 0; }
  };

  using Slots = std::vector<Slot, LargeTableAllocator<Slot>>;

  static uint64_t hint_of(const CacheKey& key) {
    uint64_t h;
    std::memcpy(&h, key.data(), sizeof h);  // the key is already a uniform hash
    return h;
  }

  // The slot holding key, or the empty slot where it would go (the table is never full).
  static const Slot* locate(const Slots& slots, const CacheKey& key, uint64_t hint) {
    size_t mask = slots.size() - 1;
    for (size_t i = hint & mask;; i = (i + 1) & mask) {
      const Slot& s = slots[i];
      if (!s.used() || s.key == key) return &s;
    }
  }

  void grow() {
    Slots bigger(slots_.size() * 2);
    for (Slot& s : slots_) {
      if (s.used()) *const_cast<Slot*>(locate(bigger, s.key, s.hint)) = std::move(s);
    }
    slots_ = std::move(bigger);
  }

  size_t max_entries_;
  mutable std::shared_mutex mutex_;
  Slots slots_;
  size_t used_ = 0;
};

}  // namespace machi::identity
