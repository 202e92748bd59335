// MunicipalityIdentity: a municipality's identity-provider state that outlives manifest reloads:
// its token signing keys (<data>/<municipality>/keys/). The issuer is the manifest's public_url.
// Token lifetimes are fixed here so that key retention always covers them.
// Thread-safety: thread-safe (KeyStore is).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "runtime/identity/jwt.h"
#include "runtime/identity/key_store.h"

namespace machi::identity {

inline constexpr std::chrono::seconds kAccessTokenLifetime{600};
inline constexpr std::chrono::seconds kKeyRotation{std::chrono::hours(24 * 30)};
// A retired key verifies for a day: far longer than any token it signed lives.
inline constexpr std::chrono::seconds kKeyRetention{std::chrono::hours(24)};
inline constexpr const char* kAccessTokenType = "at+jwt";
inline constexpr const char* kAccessTokenAudience = "machi";

class MunicipalityIdentity {
 public:
  static Result<std::shared_ptr<MunicipalityIdentity>> open(const std::filesystem::path& data_dir);

  KeyStore& keys() { return *keys_; }
  const KeyStore& keys() const { return *keys_; }
  // Verification rules for access tokens issued by `issuer` (the manifest's public_url).
  static VerifyRules access_token_rules(const std::string& issuer);
  KeyLookup key_lookup() const;

 private:
  std::unique_ptr<KeyStore> keys_;
};

}  // namespace machi::identity
