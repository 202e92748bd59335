#include "runtime/identity/municipality_identity.h"

namespace machi::identity {

Result<std::shared_ptr<MunicipalityIdentity>> MunicipalityIdentity::open(
    const std::filesystem::path& data_dir) {
  auto keys = KeyStore::open(data_dir / "keys", kKeyRotation, kKeyRetention);
  if (!keys) return keys.status();
  auto rotated = keys.value()->rotate_if_due(KeyStore::Clock::now());
  if (!rotated) return rotated.status();
  auto identity = std::make_shared<MunicipalityIdentity>();
  identity->keys_ = std::move(keys).value();
  return identity;
}

VerifyRules MunicipalityIdentity::access_token_rules(const std::string& issuer) {
  VerifyRules rules;
  rules.typ = kAccessTokenType;
  rules.issuer = issuer;
  rules.audience = kAccessTokenAudience;
  return rules;
}

KeyLookup MunicipalityIdentity::key_lookup() const {
  // The key stays alive while any caller holds it; a plain pointer is enough during one verify,
  // because retired keys are kept for a day after rotation.
  return [this](std::string_view kid) { return keys_->find(kid).get(); };
}

}  // namespace machi::identity
