#include "runtime/identity/token_cache.h"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace machi::identity {

namespace {

// Digest contexts are reused: a thread keeps those its hashers released (a hasher may be created
// while another is in use, so there can be several).
struct ContextPool {
  std::vector<EVP_MD_CTX*> free;
  ~ContextPool() {
    for (EVP_MD_CTX* c : free) EVP_MD_CTX_free(c);
  }
};
thread_local ContextPool pool;

}  // namespace

KeyHasher::KeyHasher() {
  // Fetched once: an implicit fetch per digest costs more than hashing a token.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (pool.free.empty()) {
    ctx_ = EVP_MD_CTX_new();
  } else {
    ctx_ = pool.free.back();
    pool.free.pop_back();
  }
  if (!sha256 || !ctx_ || EVP_DigestInit_ex2(ctx_, sha256, nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw std::runtime_error("SHA-256 is unavailable in this OpenSSL");
  }
}

KeyHasher::~KeyHasher() {
  try {
    pool.free.push_back(ctx_);
  } catch (...) {
    EVP_MD_CTX_free(ctx_);
  }
}

void KeyHasher::length(uint64_t n) { EVP_DigestUpdate(ctx_, &n, sizeof n); }

void KeyHasher::bytes(std::string_view piece) { EVP_DigestUpdate(ctx_, piece.data(), piece.size()); }

CacheKey KeyHasher::finish() {
  CacheKey key{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_, key.data(), &length);
  return key;
}

CacheKey cache_key(std::initializer_list<std::string_view> parts) {
  KeyHasher h;
  for (std::string_view part : parts) h.part(part);
  return h.finish();
}

}  // namespace machi::identity
