// KeyStore: a municipality's token signing keys in its data directory (<dir>/<kid>.pem, 0600).
// The kid is the key's RFC 7638 JWK thumbprint. The newest key signs; when it is older than
// `rotate_after`, rotate_if_due() creates a new one. A retired key keeps verifying (and stays in
// the JWKS) for `keep_after_retire` — at least the lifetime of the tokens it signed — and is
// then deleted.
// Thread-safety: every method is thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/identity/es256_key.h"
#include "runtime/status.h"

namespace machi::identity {

class KeyStore {
 public:
  using Clock = std::chrono::system_clock;

  static Result<std::unique_ptr<KeyStore>> open(const std::filesystem::path& dir,
                                                std::chrono::seconds rotate_after,
                                                std::chrono::seconds keep_after_retire);

  struct SigningKey {
    std::string kid;
    std::shared_ptr<const Es256Key> key;
  };
  SigningKey signing_key() const;
  // Any key that may still verify; nullptr for an unknown kid.
  std::shared_ptr<const Es256Key> find(std::string_view kid) const;
  // Creates a new signing key when due and deletes keys past retention. Returns whether it rotated.
  Result<bool> rotate_if_due(Clock::time_point now);
  // {"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":…,"x":…,"y":…}, …]}
  std::string jwks_json() const;
  size_t key_count() const;

  static std::string thumbprint(const Es256Key& key);

 private:
  struct Entry {
    std::shared_ptr<const Es256Key> key;
    Clock::time_point created;
  };
  KeyStore(std::filesystem::path dir, std::chrono::seconds rotate, std::chrono::seconds keep)
      : dir_(std::move(dir)), rotate_after_(rotate), keep_after_retire_(keep) {}
  Status add_new_key(Clock::time_point now);
  const std::pair<const std::string, Entry>* newest() const;

  std::filesystem::path dir_;
  std::chrono::seconds rotate_after_;
  std::chrono::seconds keep_after_retire_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, Entry, std::less<>> keys_;
};

}  // namespace machi::identity
