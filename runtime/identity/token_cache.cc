#include "runtime/identity/token_cache.h"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace machi::identity {

CacheKey cache_key(std::initializer_list<std::string_view> parts) {
  // Fetched once: an implicit fetch per digest costs more than hashing a token.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  CacheKey key{};
  if (!sha256 || !ctx || EVP_DigestInit_ex2(ctx.get(), sha256, nullptr) != 1) {
    throw std::runtime_error("SHA-256 is unavailable in this OpenSSL");
  }
  for (std::string_view part : parts) {
    uint64_t size = part.size();
    EVP_DigestUpdate(ctx.get(), &size, sizeof size);
    EVP_DigestUpdate(ctx.get(), part.data(), part.size());
  }
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), key.data(), &length);
  return key;
}

}  // namespace machi::identity
